import NIOCore
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
    /// Sessions that reached streaming.
    public let sessions = Counter()
    /// Raw value of ``FeedConnectionState``.
    public let stateCode = Counter()
    /// Last event time seen (ms since epoch), for read lag.
    public let lastEventMillis = Counter()
    /// Number of symbols currently subscribed.
    public let subscribedSymbols = Counter()
    /// `subscribed to: ...` acknowledgements received (one per topic): a move waits for them
    /// before the old connection lets go.
    public let subscribeAcks = Counter()

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
    /// Events the processors removed, held back or marked, by ``ShapingReason``.
    public let shaped = ReasonCounters(names: ShapingReason.allCases.map(\.description))

    public init(channel: FeedChannel?) { self.channel = channel }
}

/// What a processor did to an event it did not simply forward (besides quarantine).
public enum ShapingReason: Int, CaseIterable, Sendable, CustomStringConvertible {
    /// Removed: the same (channel, symbol, sequence) was already forwarded (`dedup`).
    case duplicate
    /// Replaced by a newer event of its symbol inside a throttle window or a rate cap (`conflate`).
    case conflated
    /// Dropped inside its symbol's throttle window (`mode: sample`).
    case sampled
    /// Held back and delivered at the end of its throttle window (counted when delivered).
    case deferred
    /// A re-sent bar for a window already delivered, marked `"correction":true`.
    case correction
    /// Dropped by the overflow policy of a full emission buffer (`emit_every` with `buffer`).
    case overflow

    public var description: String {
        switch self {
        case .duplicate: "duplicate"
        case .conflated: "conflated"
        case .sampled: "sampled"
        case .deferred: "deferred"
        case .correction: "correction"
        case .overflow: "overflow"
        }
    }
}

/// Why a sink or a client lost events.
public enum DropReason: Int, CaseIterable, Sendable, CustomStringConvertible {
    case sinkBytesFull, slowClient, disconnected, shutdown
    /// A broker sink was disconnected and its client library's reconnect buffer was full.
    case reconnectBufferFull
    /// A broker sink's client library refused a publish for another reason (closed connection, ...).
    case publishFailed
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
        case .reconnectBufferFull: "reconnect_buffer_full"
        case .publishFailed: "publish_failed"
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
    /// The sink's own upstream connection, for sinks that publish to a broker (NATS, ...).
    public let link = SinkLinkStats()
    /// Slow-client level changes (`demoted` / `promoted` status lines sent).
    public let clientTransitions = Counter()
    /// Time from a frame being read to the sink having written or handed off its batch.
    public let latency = LatencyHistogram()
    /// Time from a frame being read to each of its events being written to a consumer's socket
    /// (sinks with client sockets record it), per event.
    public let writeLatency = WriteLatency()
    /// Queue depth of each connected client, for sinks that queue per client (unix-socket).
    public let clientQueues = ClientQueueDepths()

    public init(name: String) { self.name = name }

    @inline(__always) public func drop(_ reason: DropReason, _ count: Int) { dropped.add(reason.rawValue, count) }

    /// Records, once per batch, how long ago each batch's frame was read. Sinks call it after
    /// writing or handing off one drain's batches. Batches without a read time are skipped.
    public func recordHandoff(_ batches: [EventBatch]) {
        let now = NIODeadline.now().uptimeNanoseconds
        for batch in batches where batch.receivedAt != 0 {
            latency.record(nanoseconds: now &- min(now, batch.receivedAt))
        }
    }
}

/// A fixed-bucket latency histogram of relaxed atomics: recording is a bucket search and two
/// atomic adds, with no allocation. Exported as a Prometheus histogram in seconds.
public final class LatencyHistogram: Sendable {
    /// Upper bounds of the buckets in nanoseconds, 10 µs to 10 s; one more bucket takes the rest (`+Inf`).
    public static let boundsNanoseconds: [UInt64] = [
        10_000, 25_000, 50_000, 100_000, 250_000, 500_000,
        1_000_000, 2_500_000, 5_000_000, 10_000_000, 25_000_000, 50_000_000,
        100_000_000, 250_000_000, 500_000_000, 1_000_000_000, 2_500_000_000, 5_000_000_000, 10_000_000_000,
    ]
    private let buckets: [Counter]
    private let sumNanoseconds = Counter()

    public init() { buckets = (0...Self.boundsNanoseconds.count).map { _ in Counter() } }

    @inline(__always) public func record(nanoseconds: UInt64) {
        var index = 0
        while index < Self.boundsNanoseconds.count, nanoseconds > Self.boundsNanoseconds[index] { index += 1 }
        buckets[index].add(1)
        sumNanoseconds.add(Int(truncatingIfNeeded: min(nanoseconds, UInt64(Int.max))))
    }

    /// The counts now (not cumulative; the last one is above every bound) and their sum.
    public var snapshot: Snapshot { Snapshot(counts: buckets.map(\.load), sumNanoseconds: sumNanoseconds.load) }

    /// The histogram at one instant.
    public struct Snapshot: Sendable, Equatable {
        /// Per bucket, not cumulative; one more than ``LatencyHistogram/boundsNanoseconds``.
        public var counts: [Int]
        public var sumNanoseconds: Int

        public var count: Int { counts.reduce(0, +) }

        /// The upper bound (ns) of the bucket holding quantile `q` (0...1); nil when empty,
        /// `UInt64.max` when it lies above the last bound.
        public func quantile(_ q: Double) -> UInt64? {
            let total = count
            guard total > 0 else { return nil }
            let rank = max(1, Int((Double(total) * q).rounded(.up)))
            var seen = 0
            for (index, bucketCount) in counts.enumerated() {
                seen += bucketCount
                if seen >= rank { return index < LatencyHistogram.boundsNanoseconds.count ? LatencyHistogram.boundsNanoseconds[index] : .max }
            }
            return .max
        }
    }
}

/// The queue depth of every connected client of one sink, read together as an aggregate
/// (labels stay bounded: the sink, never the client). Each client stores its depth in its own
/// counter when its queue changes; a scrape sums them and takes the deepest.
public final class ClientQueueDepths: Sendable {
    private let depths = Mutex<[ObjectIdentifier: Counter]>([:])

    public init() {}

    /// A counter for a new client's queue depth (events), part of the aggregate until ``unregister(_:)``.
    public func register() -> Counter {
        let depth = Counter()
        depths.withLock { $0[ObjectIdentifier(depth)] = depth }
        return depth
    }

    public func unregister(_ depth: Counter) {
        _ = depths.withLock { $0.removeValue(forKey: ObjectIdentifier(depth)) }
    }

    /// Events queued over all clients, and in the deepest client queue.
    public var aggregate: (total: Int, deepest: Int) {
        depths.withLock { depths in
            depths.values.reduce((0, 0)) { result, depth in
                let events = depth.load
                return (result.0 + events, max(result.1, events))
            }
        }
    }
}

/// Every live figure of an engine. Counters are updated per batch; readers take snapshots.
/// Connections and sinks come and go with reloads; channels are fixed.
public final class EngineStats: Sendable {
    /// Indexed by `FeedChannel.rawValue`; the last element counts unknown `ev` values.
    public let channels: [ChannelStats]
    public let quarantine: Quarantine
    public let startedAt = ContinuousClock.now
    private let members: Mutex<(connections: [ConnectionStats], sinks: [SinkStats])>
    /// Config generation: 1 at start, +1 per applied reload.
    public let generation = Counter()

    public init(connectionNames: [String], sinkNames: [String], quarantineCapacity: Int = 1000) {
        channels = FeedChannel.allCases.map { ChannelStats(channel: $0) } + [ChannelStats(channel: nil)]
        quarantine = Quarantine(capacity: quarantineCapacity)
        members = Mutex((connectionNames.map(ConnectionStats.init), sinkNames.map(SinkStats.init)))
        generation.set(1)
    }

    /// The connections' figures, in configuration order.
    public var connections: [ConnectionStats] { members.withLock { $0.connections } }
    /// The sinks' figures, in configuration order.
    public var sinks: [SinkStats] { members.withLock { $0.sinks } }

    @inline(__always) public func channel(code: UInt8) -> ChannelStats {
        code < FeedChannel.count ? channels[Int(code)] : channels[channels.count - 1]
    }

    /// Figures of the sink named `name`.
    public func sink(named name: String) -> SinkStats? { sinks.first { $0.name == name } }

    /// Figures of the connection named `name`.
    public func connection(named name: String) -> ConnectionStats? { connections.first { $0.name == name } }

    /// Replaces the member lists (after a reload), keeping the figures of members that stay.
    func setMembers(connections connectionNames: [String], sinks sinkNames: [String]) -> (connections: [ConnectionStats], sinks: [SinkStats]) {
        members.withLock { members in
            let connections = connectionNames.map { name in members.connections.first { $0.name == name } ?? ConnectionStats(name: name) }
            let sinks = sinkNames.map { name in members.sinks.first { $0.name == name } ?? SinkStats(name: name) }
            members = (connections, sinks)
            return (connections, sinks)
        }
    }

    /// Events received over all connections.
    public var totalEvents: Int { connections.reduce(0) { $0 + $1.events.load } }
}
