public import TickRouterConfig

/// The processing policy of one channel, resolved from its `processors.<CH>` section.
public struct ChannelPolicy: Sendable, Equatable {
    /// Most events of this channel a sink may hold before the oldest are dropped.
    public var buffer: Int
    /// What happens when a buffer is full.
    public var overflow: OverflowPolicy
    /// Drop events whose (symbol, sequence) is not newer than the last one seen.
    public var dedup: Bool

    public init(buffer: Int = 1000, overflow: OverflowPolicy = .dropOldest, dedup: Bool = false) {
        self.buffer = buffer
        self.overflow = overflow
        self.dedup = dedup
    }

    public init(_ configuration: ProcessorConfiguration) {
        self.init(buffer: configuration.buffer, overflow: configuration.overflow, dedup: configuration.dedup)
    }
}
