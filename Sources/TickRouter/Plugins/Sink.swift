public import Logging
public import ServiceLifecycle
public import TickRouterConfig

/// A sink delivers events somewhere. It is a `Service`: `run()` drains its ``SinkInlet`` in
/// batches until the inlet closes (graceful shutdown) and flushes before it returns.
public protocol Sink: Service {}

/// What the engine gives a sink when it builds it.
public struct SinkRuntime: Sendable {
    /// The sink's name (`name` key, or its type).
    public var name: String
    /// The queue the feed fills for this sink.
    public var inlet: SinkInlet
    /// The sink's own counters.
    public var stats: SinkStats
    /// Every counter of the engine (for summaries and status lines).
    public var engineStats: EngineStats
    /// Symbol ids ↔ names.
    public var symbols: SymbolTable
    /// The market of the feed, to interpret `ev` codes.
    public var market: Market
    public var logger: Logger

    public init(
        name: String, inlet: SinkInlet, stats: SinkStats, engineStats: EngineStats, symbols: SymbolTable, market: Market,
        logger: Logger
    ) {
        self.name = name
        self.inlet = inlet
        self.stats = stats
        self.engineStats = engineStats
        self.symbols = symbols
        self.market = market
        self.logger = logger
    }
}

/// A configured sink: its options decoded and validated, able to describe itself and to build the sink.
public protocol SinkSpec: Sendable {
    /// Key/value lines for `tickrouter plan` (never secrets).
    var planDetails: [(key: String, value: String)] { get }
    /// Whether the sink consumes events at all (a summary printer does not).
    var consumesEvents: Bool { get }
    /// Most bytes the sink's inlet may hold.
    var queueBytes: Int { get }
    /// Builds the running sink.
    func makeSink(_ runtime: SinkRuntime) throws -> any Sink
}

extension SinkSpec {
    public var consumesEvents: Bool { true }
    public var queueBytes: Int { 64 << 20 }
}

/// A sink type as registered by name: how to build it from its `sinks[i]` section.
public struct SinkPlugin: Sendable {
    /// The name used in `sinks[i].type`.
    public var type: String
    public var summary: String
    public var options: [PluginOption]
    /// Decodes the sink's section (the loader has already read `type`, `name`, `channels`, `symbols`).
    /// Returns nil when the options are invalid; problems go to the reader's diagnostics.
    public var decode: @Sendable (_ options: OptionsReader, _ context: PluginContext) -> (any SinkSpec)?

    public init(
        type: String, summary: String, options: [PluginOption],
        decode: @escaping @Sendable (_ options: OptionsReader, _ context: PluginContext) -> (any SinkSpec)?
    ) {
        self.type = type
        self.summary = summary
        self.options = options
        self.decode = decode
    }
}
