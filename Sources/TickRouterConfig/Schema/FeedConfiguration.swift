/// Which service the feed connects to (`feed.provider`).
public enum Provider: String, Sendable, CaseIterable {
    /// The provider's current hosts (`*.massive.com`).
    case massive
    /// The provider's legacy hosts (`*.polygon.io`).
    case polygon
    /// The built-in simulator on a loopback port: runs offline, needs no key.
    case simulator
}

/// The provider side of the router (`feed`).
public struct FeedConfiguration: Sendable {
    /// Which service to connect to (`provider`, required).
    public var provider: Provider
    /// The asset-class cluster (`market`, default `stocks`).
    public var market: Market
    /// The account key (`api_key`, required for massive/polygon); write `${MASSIVE_API_KEY}`.
    public var apiKey: Secret?
    /// Any Polygon-protocol server instead of the provider's hosts (`url`, `ws://` or `wss://`).
    public var url: String?
    /// The account's connection budget for this cluster (`max_connections`, default 1, at least 1).
    public var maxConnections: Int
    /// The simulator's settings (`simulator`), used when `provider: simulator`.
    public var simulator: SimulatorSettings
    /// The largest WebSocket frame accepted (`frame_limit`, byte size, default 16 MiB, at least 1 MiB).
    public var frameLimit: Int
    /// TLS settings for `wss://` (`tls`).
    public var tls: TLSSettings
    /// Reconnection backoff (`reconnect`).
    public var reconnect: ReconnectSettings

    /// Creates a feed configuration.
    public init(
        provider: Provider = .simulator,
        market: Market = .stocks,
        apiKey: Secret? = nil,
        url: String? = nil,
        maxConnections: Int = 1,
        simulator: SimulatorSettings = .init(),
        frameLimit: Int = 16 << 20,
        tls: TLSSettings = .init(),
        reconnect: ReconnectSettings = .init()
    ) {
        self.provider = provider
        self.market = market
        self.apiKey = apiKey
        self.url = url
        self.maxConnections = maxConnections
        self.simulator = simulator
        self.frameLimit = frameLimit
        self.tls = tls
        self.reconnect = reconnect
    }
}

/// The built-in simulator (`feed.simulator`).
public struct SimulatorSettings: Sendable, Hashable {
    /// How many symbols it invents when the universe does not name them (`symbols`, default 500).
    public var symbols: Int
    /// Total events per second (`rate`, default 50 000).
    public var rate: Int
    /// Events per WebSocket frame (`events_per_frame`, default 50).
    public var eventsPerFrame: Int
    /// Random seed, for reproducible runs (`seed`, default 1).
    public var seed: Int

    /// Creates simulator settings.
    public init(symbols: Int = 500, rate: Int = 50_000, eventsPerFrame: Int = 50, seed: Int = 1) {
        self.symbols = symbols
        self.rate = rate
        self.eventsPerFrame = eventsPerFrame
        self.seed = seed
    }
}

/// TLS for `wss://` connections (`feed.tls`).
public struct TLSSettings: Sendable, Hashable {
    /// Whether the server certificate is verified (`verify`, default true).
    public var verify: Bool
    /// Extra trusted CA bundle (`ca_file`), resolved against the config file's directory.
    public var caFile: String?

    /// Creates TLS settings.
    public init(verify: Bool = true, caFile: String? = nil) {
        self.verify = verify
        self.caFile = caFile
    }
}

/// Exponential backoff with jitter for reconnects (`feed.reconnect`).
public struct ReconnectSettings: Sendable, Hashable {
    /// First delay (`initial`, default 500ms).
    public var initial: Duration
    /// Largest delay (`max`, default 30s).
    public var max: Duration
    /// Growth factor per attempt (`multiplier`, default 2.0, at least 1).
    public var multiplier: Double
    /// Random spread as a fraction of the delay (`jitter`, default 0.2, 0...1).
    public var jitter: Double
    /// Connected time after which the backoff resets (`healthy_after`, default 10s).
    public var healthyAfter: Duration
    /// Wait after the provider reports the connection budget exceeded (`max_connections_cooldown`, default 5m).
    public var maxConnectionsCooldown: Duration

    /// Creates reconnect settings.
    public init(
        initial: Duration = .milliseconds(500),
        max: Duration = .seconds(30),
        multiplier: Double = 2.0,
        jitter: Double = 0.2,
        healthyAfter: Duration = .seconds(10),
        maxConnectionsCooldown: Duration = .seconds(300)
    ) {
        self.initial = initial
        self.max = max
        self.multiplier = multiplier
        self.jitter = jitter
        self.healthyAfter = healthyAfter
        self.maxConnectionsCooldown = maxConnectionsCooldown
    }
}
