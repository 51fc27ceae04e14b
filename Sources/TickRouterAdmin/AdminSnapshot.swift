import Foundation
public import TickRouter
import TickRouterConfig

/// Every live figure of a running engine at one instant, as the admin JSON (`/api/stats`), the
/// dashboard and `tickrouter top` see it.
///
/// Counters are totals since start; rates are the difference of two snapshots divided by the
/// difference of their ``takenAtMillis``. Nothing here is per symbol, and no credential is part of it.
public struct AdminSnapshot: Codable, Sendable, Equatable {
    /// Wall-clock time of the snapshot, milliseconds since the epoch.
    public var takenAtMillis: Int
    /// Seconds since the engine started.
    public var uptimeSeconds: Double
    public var connections: [ConnectionFigures]
    public var channels: [ChannelFigures]
    public var sinks: [SinkFigures]

    public init(takenAtMillis: Int, uptimeSeconds: Double, connections: [ConnectionFigures], channels: [ChannelFigures], sinks: [SinkFigures]) {
        self.takenAtMillis = takenAtMillis
        self.uptimeSeconds = uptimeSeconds
        self.connections = connections
        self.channels = channels
        self.sinks = sinks
    }

    /// One feed connection.
    public struct ConnectionFigures: Codable, Sendable, Equatable {
        public var name: String
        public var feed: String
        public var channels: [String]
        /// Where it connects, never with credentials.
        public var endpoint: String
        /// ``FeedConnectionState`` description (`streaming`, `backing-off`, ...).
        public var state: String
        /// Symbols routed to it by the plan.
        public var symbols: Int
        public var frames: Int
        public var events: Int
        public var bytes: Int
        public var malformedFrames: Int
        public var reconnects: Int
        /// Now minus the time of the newest event read, in milliseconds; nil before the first event.
        public var readLagMillis: Int?

        public init(
            name: String, feed: String, channels: [String], endpoint: String, state: String, symbols: Int, frames: Int, events: Int, bytes: Int,
            malformedFrames: Int, reconnects: Int, readLagMillis: Int?
        ) {
            self.name = name
            self.feed = feed
            self.channels = channels
            self.endpoint = endpoint
            self.state = state
            self.symbols = symbols
            self.frames = frames
            self.events = events
            self.bytes = bytes
            self.malformedFrames = malformedFrames
            self.reconnects = reconnects
            self.readLagMillis = readLagMillis
        }
    }

    /// One channel, over all connections.
    public struct ChannelFigures: Codable, Sendable, Equatable {
        /// The channel code (`T`, `Q`, ...) or `unknown`.
        public var channel: String
        public var received: Int
        public var forwarded: Int
        /// Quarantined events by reason (only reasons that occurred).
        public var quarantined: [String: Int]
        /// Events the processors removed, held back or marked, by reason (only reasons that occurred).
        public var shaped: [String: Int]

        public init(channel: String, received: Int, forwarded: Int, quarantined: [String: Int], shaped: [String: Int] = [:]) {
            self.channel = channel
            self.received = received
            self.forwarded = forwarded
            self.quarantined = quarantined
            self.shaped = shaped
        }
    }

    /// One sink.
    public struct SinkFigures: Codable, Sendable, Equatable {
        public var name: String
        public var type: String
        public var accepted: Int
        public var delivered: Int
        /// Lost events by reason (only reasons that occurred).
        public var dropped: [String: Int]
        public var clients: Int
        /// Events accepted but not yet taken by the sink.
        public var queuedEvents: Int
        /// Frame received → written by the sink, since start: the upper bounds (µs) of the
        /// histogram buckets holding the median and the 99th percentile; nil before any batch.
        public var latencyP50Micros: Int?
        public var latencyP99Micros: Int?

        public init(
            name: String, type: String, accepted: Int, delivered: Int, dropped: [String: Int], clients: Int, queuedEvents: Int,
            latencyP50Micros: Int? = nil, latencyP99Micros: Int? = nil
        ) {
            self.latencyP50Micros = latencyP50Micros
            self.latencyP99Micros = latencyP99Micros
            self.name = name
            self.type = type
            self.accepted = accepted
            self.delivered = delivered
            self.dropped = dropped
            self.clients = clients
            self.queuedEvents = queuedEvents
        }
    }
}

extension AdminSnapshot {
    /// Reads the engine's counters now (relaxed loads; no lock on the data path).
    public init(engine: Engine, now: Date = Date()) {
        let nowMillis = Int(now.timeIntervalSince1970 * 1000)
        let stats = engine.stats
        let plan = engine.plan
        takenAtMillis = nowMillis
        let uptime = ContinuousClock.now - stats.startedAt
        uptimeSeconds = Double(uptime.components.seconds) + Double(uptime.components.attoseconds) / 1e18
        connections = zip(plan.connections, stats.connections).map { connection, figures in
            let last = figures.lastEventMillis.load
            return ConnectionFigures(
                name: connection.name, feed: connection.feed.rawValue, channels: connection.channels.map(\.code),
                endpoint: connection.endpoint.display, state: figures.state.description, symbols: connection.symbols.count,
                frames: figures.frames.load, events: figures.events.load, bytes: figures.bytes.load,
                malformedFrames: figures.malformedFrames.load, reconnects: figures.reconnects.load,
                readLagMillis: last > 0 ? max(0, nowMillis - last) : nil
            )
        }
        let carried = Set(plan.configuration.carriedChannels)
        channels = stats.channels.compactMap { figures in
            let received = figures.received.load
            if let channel = figures.channel {
                guard carried.contains(channel) || received > 0 else { return nil }
            } else if received == 0 {
                return nil
            }
            return ChannelFigures(
                channel: figures.channel?.code ?? "unknown", received: received, forwarded: figures.forwarded.load,
                quarantined: Self.nonZero(figures.quarantined.snapshot), shaped: Self.nonZero(figures.shaped.snapshot)
            )
        }
        let queued = engine.queuedEventsPerSink
        sinks = zip(plan.sinks, stats.sinks).enumerated().map { index, pair in
            let (sink, figures) = pair
            let latency = figures.latency.snapshot
            return SinkFigures(
                name: sink.name, type: sink.type, accepted: figures.accepted.load, delivered: figures.delivered.load,
                dropped: Self.nonZero(figures.dropped.snapshot), clients: figures.clients.load,
                queuedEvents: index < queued.count ? queued[index] : figures.queuedEvents.load,
                latencyP50Micros: Self.micros(latency.quantile(0.5)), latencyP99Micros: Self.micros(latency.quantile(0.99))
            )
        }
    }

    private static func micros(_ nanoseconds: UInt64?) -> Int? {
        nanoseconds.map { $0 == .max ? Int.max : Int($0 / 1000) }
    }

    private static func nonZero(_ pairs: [(reason: String, count: Int)]) -> [String: Int] {
        var result: [String: Int] = [:]
        for (reason, count) in pairs where count > 0 { result[reason] = count }
        return result
    }
}
