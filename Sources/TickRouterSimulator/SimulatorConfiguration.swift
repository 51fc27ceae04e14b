/// Everything the provider simulator needs to know before it starts serving.
///
/// The defaults describe a loopback provider on an ephemeral port generating 50,000 events/s
/// for 500 symbols, accepting any API key.
public struct SimulatorConfiguration: Sendable {
    /// Interface to bind (loopback by default).
    public var host: String = "127.0.0.1"
    /// TCP port; 0 picks an ephemeral port (read it back with `Simulator.waitUntilListening()`).
    public var port: Int = 0
    /// Explicit universe; padded with synthetic tickers (`SYM0001`, ...) up to `symbolCount`.
    public var symbols: [String] = []
    /// Size of the universe (at least `symbols.count`).
    public var symbolCount: Int = 500
    /// Total events/s generated for the whole universe across the realtime channels, before
    /// subscription filtering. FMV is generated on top of this at about 5% of `rate`.
    public var rate: Int = 50_000
    /// Maximum number of events packed into one WebSocket frame.
    public var eventsPerFrame: Int = 50
    /// Seed of the deterministic market (universe weights, start prices, event sequence).
    public var seed: UInt64 = 1
    /// Accepted API keys; `nil` accepts any key, otherwise other keys get `auth_failed`.
    public var apiKeys: Set<String>? = nil
    /// NDJSON file to replay instead of generating (one JSON array frame or one event per line).
    public var replay: String? = nil
    /// Replay speed factor (2 = twice as fast as recorded).
    public var speed: Double = 1
    /// Frames queued for one connection beyond which it is closed with `slow_consumer`.
    public var maxPendingFrames: Int = 1000
    /// Events/s generated for each other market (options, forex, crypto, indices, futures) while
    /// at least one client is connected to one of its paths; FMV on top at about 5% of it.
    public var otherMarketsRate: Int = 5_000
    /// Most sessions authenticated with one API key at a time, like the provider's account budget;
    /// `nil` is unlimited. What happens beyond it is ``connectionLimitPolicy``.
    public var maxConnectionsPerKey: Int? = nil
    /// Who loses when a key goes over ``maxConnectionsPerKey``.
    public var connectionLimitPolicy: ConnectionLimitPolicy = .evictOldest
    /// PEM certificate chain and private key: serve `wss://` instead of `ws://` (both or neither).
    public var tlsCertificateFile: String? = nil
    public var tlsKeyFile: String? = nil
    /// When above 0, about this many stock trades and quotes are rendered once at start and sent
    /// round and round with fresh sequence numbers and times, at `rate` (benchmarks: the simulator
    /// then costs a copy per event). No other channels, and no events for symbols clients add later.
    public var pregenerated: Int = 0

    /// Creates a configuration; every parameter has the documented default.
    public init(
        host: String = "127.0.0.1",
        port: Int = 0,
        symbols: [String] = [],
        symbolCount: Int = 500,
        rate: Int = 50_000,
        eventsPerFrame: Int = 50,
        seed: UInt64 = 1,
        apiKeys: Set<String>? = nil,
        replay: String? = nil,
        speed: Double = 1,
        maxPendingFrames: Int = 1000,
        otherMarketsRate: Int = 5_000,
        maxConnectionsPerKey: Int? = nil,
        connectionLimitPolicy: ConnectionLimitPolicy = .evictOldest,
        tlsCertificateFile: String? = nil,
        tlsKeyFile: String? = nil,
        pregenerated: Int = 0
    ) {
        self.host = host
        self.port = port
        self.symbols = symbols
        self.symbolCount = symbolCount
        self.rate = rate
        self.eventsPerFrame = eventsPerFrame
        self.seed = seed
        self.apiKeys = apiKeys
        self.replay = replay
        self.speed = speed
        self.maxPendingFrames = maxPendingFrames
        self.otherMarketsRate = otherMarketsRate
        self.maxConnectionsPerKey = maxConnectionsPerKey
        self.connectionLimitPolicy = connectionLimitPolicy
        self.tlsCertificateFile = tlsCertificateFile
        self.tlsKeyFile = tlsKeyFile
        self.pregenerated = pregenerated
    }

    /// The initial universe: `symbols` (deduplicated, order kept) padded with `SYM0001`, ...
    var initialUniverse: [String] {
        var seen = Set<String>()
        var result: [String] = []
        for symbol in symbols where !symbol.isEmpty && seen.insert(symbol).inserted {
            result.append(symbol)
        }
        var next = 1
        while result.count < symbolCount {
            let digits = String(next)
            let name = "SYM" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
            next += 1
            if seen.insert(name).inserted { result.append(name) }
        }
        return result
    }
}

/// What the simulator does when one API key authenticates more sessions than its budget
/// (provider-protocol.md §2.3: both have been observed).
public enum ConnectionLimitPolicy: String, Sendable, CaseIterable {
    /// The newest session wins: the oldest one gets `max_connections` and a 1008 close.
    case evictOldest = "evict-oldest"
    /// The newcomer gets `auth_success`, then `max_connections` and a 1008 close.
    case refuseNewest = "refuse-newest"
}
