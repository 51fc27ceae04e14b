public import TickRouterConfig
import Synchronization

/// Live figures of one feed connection.
public final class ConnectionStats: Sendable {
    public let name: String
    public let frames = Counter()
    public let events = Counter()
    public let bytes = Counter()
    public let malformedFrames = Counter()
    public let reconnects = Counter()
    /// Raw value of ``FeedConnectionState``.
    public let stateCode = Counter()
    /// Last event time seen (ms since epoch), for read lag.
    public let lastEventMillis = Counter()
    /// Number of symbols currently subscribed.
    public let subscribedSymbols = Counter()

    public init(name: String) { self.name = name }

    public var state: FeedConnectionState { FeedConnectionState(rawValue: stateCode.load) ?? .idle }
}

/// Live figures of one channel, across connections.
public final class ChannelStats: Sendable {
    public let channel: FeedChannel?
    public let received = Counter()
    public let forwarded = Counter()
    /// Quarantined events by ``InvalidReason``.
    public let quarantined = ReasonCounters(names: InvalidReason.allCases.map(\.description))

    public init(channel: FeedChannel?) { self.channel = channel }
}

/// Why a sink or a client lost events.
public enum DropReason: Int, CaseIterable, Sendable, CustomStringConvertible {
    case sinkBytesFull, slowClient, disconnected, shutdown
    /// A file sink could not open or write a file (disk full, permissions).
    case writeFailed
    /// Replaced by a newer event of the same channel and symbol for a lagging client (`slow_client: conflate | demote`).
    case conflated

    public var description: String {
        switch self {
        case .sinkBytesFull: "sink_bytes_full"
        case .slowClient: "slow_client"
        case .disconnected: "disconnected"
        case .shutdown: "shutdown"
        case .writeFailed: "write_failed"
        case .conflated: "conflated"
        }
    }
}

/// Live figures of one sink.
public final class SinkStats: Sendable {
    public let name: String
    public let accepted = Counter()
    public let delivered = Counter()
    public let dropped = ReasonCounters(names: DropReason.allCases.map(\.description))
    public let clients = Counter()
    public let queuedEvents = Counter()
    /// Slow-client level changes (`demoted` / `promoted` status lines sent).
    public let clientTransitions = Counter()

    public init(name: String) { self.name = name }

    @inline(__always) public func drop(_ reason: DropReason, _ count: Int) { dropped.add(reason.rawValue, count) }
}

/// Every live figure of an engine. Counters are updated per batch; readers take snapshots.
public final class EngineStats: Sendable {
    public let connections: [ConnectionStats]
    /// Indexed by `FeedChannel.rawValue`; the last element counts unknown `ev` values.
    public let channels: [ChannelStats]
    public let sinks: [SinkStats]
    public let quarantine: Quarantine
    public let startedAt = ContinuousClock.now

    public init(connectionNames: [String], sinkNames: [String], quarantineCapacity: Int = 1000) {
        connections = connectionNames.map(ConnectionStats.init)
        channels = FeedChannel.allCases.map { ChannelStats(channel: $0) } + [ChannelStats(channel: nil)]
        sinks = sinkNames.map(SinkStats.init)
        quarantine = Quarantine(capacity: quarantineCapacity)
    }

    @inline(__always) public func channel(code: UInt8) -> ChannelStats {
        code == EventRecord.unknownChannel ? channels[channels.count - 1] : channels[Int(code)]
    }

    /// Figures of the sink named `name`.
    public func sink(named name: String) -> SinkStats? { sinks.first { $0.name == name } }

    /// Events received over all connections.
    public var totalEvents: Int { connections.reduce(0) { $0 + $1.events.load } }
}
