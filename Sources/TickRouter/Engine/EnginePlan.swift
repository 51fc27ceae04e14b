public import TickRouterConfig

/// One feed connection as planned: where it connects, which channels and symbols it carries.
public struct ConnectionPlan: Sendable {
    public var index: Int
    public var name: String
    public var feed: FeedKind
    public var channels: [FeedChannel]
    /// The symbols routed to this connection, in universe order.
    public var symbols: [String]
    /// The endpoint; for the in-process simulator the port is chosen at start (`ws://127.0.0.1:0/...`).
    public var endpoint: FeedEndpoint
}

/// Where a connection connects.
public struct FeedEndpoint: Sendable, Equatable {
    /// `ws` or `wss` base with no path, e.g. `wss://socket.massive.com`; nil means the in-process simulator.
    public var base: String?
    /// URL path: `/stocks` on a provider host; `/business/stocks` (feed first) on a single-host server.
    public var path: String

    /// The full URL given the simulator's port when ``base`` is nil.
    public func url(simulatorPort: Int?) -> String {
        (base ?? "ws://127.0.0.1:\(simulatorPort ?? 0)") + path
    }

    /// Text for plans: no credentials are ever part of an endpoint.
    public var display: String { base == nil ? "simulator (in-process)\(path)" : (base ?? "") + path }
}

/// A configured sink: its name, filter and decoded settings.
public struct SinkPlan: Sendable {
    public var name: String
    public var type: String
    public var channels: [FeedChannel]?
    public var symbols: [String]?
    public var spec: any SinkSpec
    /// The sink's YAML section, canonicalised: a reload restarts the sink only when this changes.
    public var fingerprint: String
}

/// The resolved graph of an engine: what `tickrouter plan` prints and `run` builds. Deterministic.
public struct EnginePlan: Sendable {
    public var configuration: TickRouterConfiguration
    public var connections: [ConnectionPlan]
    public var routing: RoutingTable
    /// The strategy's registered name.
    public var strategy: String
    /// The strategy itself, for failover and rebalancing.
    public var routingStrategy: any RoutingStrategy
    /// Every channel some connection carries, with its policy.
    public var policies: [FeedChannel: ChannelPolicy]
    public var sinks: [SinkPlan]
    /// Warnings found while planning (printed by `validate`, `plan` and `run`).
    public var warnings: [ConfigDiagnostic]

    /// Periodic rebalancing by measured rates (`routing.rebalance`), or nil.
    public var rebalance: RebalancePolicy?

    /// How long a failed connection must stream again before its symbols move back.
    public var failbackAfter: Duration { configuration.routing.failbackAfter }
}

/// When to move symbols to balance measured load: every `every`, and only if the busiest
/// connection would get at least `minGain` lighter (hysteresis, so the routing never flaps).
public struct RebalancePolicy: Sendable, Equatable {
    public var every: Duration
    public var minGain: Double

    public init(every: Duration = .seconds(30), minGain: Double = 0.1) {
        self.every = every
        self.minGain = minGain
    }
}
