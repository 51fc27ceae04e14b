/// The whole router configuration, resolved and validated: what ``ConfigurationLoader`` returns.
///
/// Plugin-specific sections (`routing.options`, each sink's own keys) stay as ``ConfigNode``s and
/// are decoded by the plugins with an ``OptionsReader`` sharing the loader's ``OptionsContext``.
public struct TickRouterConfiguration: Sendable {
    /// The file the configuration was loaded from.
    public var file: String
    /// The provider, market, account budget and connection behaviour (`feed`).
    public var feed: FeedConfiguration
    /// The named connection slots (`connections`), in file order.
    public var connections: [ConnectionConfiguration]
    /// Every symbol to route: `universe.symbols`, then each of `universe.files`, then the named
    /// universes, deduplicated, first occurrence kept, spelled as written.
    public var universe: [String]
    /// Named universes (`universe.named`), e.g. `tech: [AAPL, MSFT]`, for strategies to refer to.
    public var universeNames: [String: [String]]
    /// The routing strategy and its options (`routing`).
    public var routing: RoutingConfiguration
    /// One processor per channel some connection carries; defaults where not configured.
    public var processors: [FeedChannel: ProcessorConfiguration]
    /// The sinks (`sinks`), in file order.
    public var sinks: [SinkConfiguration]
    /// The admin plane (`admin`), nil when the section is absent.
    public var admin: AdminConfiguration?
    /// How the router stops (`shutdown`); defaults when the section is absent.
    public var shutdown = ShutdownConfiguration()
    /// How full sink queues shed load (`backpressure`); defaults when the section is absent.
    public var backpressure = BackpressureConfiguration()

    /// Creates a configuration; every parameter has a default so `.init()` is valid.
    public init(
        file: String = "",
        feed: FeedConfiguration = .init(),
        connections: [ConnectionConfiguration] = [],
        universe: [String] = [],
        universeNames: [String: [String]] = [:],
        routing: RoutingConfiguration = .init(),
        processors: [FeedChannel: ProcessorConfiguration] = [:],
        sinks: [SinkConfiguration] = [],
        admin: AdminConfiguration? = nil
    ) {
        self.file = file
        self.feed = feed
        self.connections = connections
        self.universe = universe
        self.universeNames = universeNames
        self.routing = routing
        self.processors = processors
        self.sinks = sinks
        self.admin = admin
    }

    /// The channels some connection carries, sorted.
    public var carriedChannels: [FeedChannel] {
        Set(connections.flatMap(\.channels)).sorted()
    }
}

/// A named connection slot (`connections[i]`): one WebSocket to one feed host.
public struct ConnectionConfiguration: Sendable {
    /// Unique, non-empty name (`name`).
    public var name: String
    /// Which host serves it (`feed`, default `realtime`).
    public var feed: FeedKind
    /// The channels it subscribes (`channels`), validated against the market and the feed.
    public var channels: [FeedChannel]
    /// Where the connection's entry starts in the file.
    public var location: ConfigLocation

    /// Creates a connection slot.
    public init(name: String = "primary", feed: FeedKind = .realtime, channels: [FeedChannel] = [], location: ConfigLocation = .init()) {
        self.name = name
        self.feed = feed
        self.channels = channels
        self.location = location
    }
}

/// How symbols are assigned to connections (`routing`).
public struct RoutingConfiguration: Sendable {
    /// The strategy plugin's registered name (`strategy`, default `round-robin`).
    public var strategy: String
    /// The strategy's own options (`options`), decoded by the plugin; nil when absent.
    public var options: ConfigNode?
    /// Whether a failed connection's symbols move to healthy ones (`failover`, default true).
    public var failover: Bool
    /// The `rebalance` mapping (load-balanced strategy), decoded by the plugin; nil when absent.
    public var rebalance: ConfigNode?
    /// How long a failed connection must stream again before its symbols move back (`failback_after`, default 30s).
    public var failbackAfter: Duration = .seconds(30)
    /// Where the `routing` section starts (the root when absent).
    public var location: ConfigLocation
    /// Where the `strategy` value is (for plugin errors about the strategy itself).
    public var strategyLocation: ConfigLocation

    /// Creates a routing configuration.
    public init(
        strategy: String = "round-robin",
        options: ConfigNode? = nil,
        failover: Bool = true,
        rebalance: ConfigNode? = nil,
        location: ConfigLocation = .init(),
        strategyLocation: ConfigLocation = .init()
    ) {
        self.strategy = strategy
        self.options = options
        self.failover = failover
        self.rebalance = rebalance
        self.location = location
        self.strategyLocation = strategyLocation
    }
}

/// The admin plane (`admin`): health, metrics and the API.
public struct AdminConfiguration: Sendable {
    /// `host:port` to listen on (`listen`, default `127.0.0.1:9464`).
    public var listen: String
    /// Bearer token required by mutating endpoints (`token`), if any.
    public var token: Secret?

    /// Creates an admin configuration.
    public init(listen: String = "127.0.0.1:9464", token: Secret? = nil) {
        self.listen = listen
        self.token = token
    }
}
