public import TickRouterConfig
import Synchronization

/// The channels' processing policies, shared by every connection's processor and replaced whole
/// on reload. Processors check the generation once per batch and re-read only when it moved.
public final class ProcessorPolicies: Sendable {
    private let current: Mutex<[ChannelPolicy?]>
    private let version = Atomic<Int>(0)

    public init(_ policies: [FeedChannel: ChannelPolicy]) {
        current = Mutex(FeedChannel.allCases.map { policies[$0] })
    }

    /// Replaces every policy.
    public func set(_ policies: [FeedChannel: ChannelPolicy]) {
        let list = FeedChannel.allCases.map { policies[$0] }
        current.withLock { $0 = list }
        version.add(1, ordering: .releasing)
    }

    @inline(__always) var generation: Int { version.load(ordering: .acquiring) }

    var snapshot: [ChannelPolicy?] { current.withLock { $0 } }
}
