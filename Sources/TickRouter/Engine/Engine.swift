public import Logging
import ServiceLifecycle
public import TickRouterConfig

/// A running TickRouter: feed connections → pipelines → sink inlets → sinks, built from an ``EnginePlan``.
///
/// Shutdown order: the feed stops first, then every inlet closes and each sink drains what it
/// accepted before `run()` returns.
public final class Engine: Service {
    public let plan: EnginePlan
    public let stats: EngineStats
    public let symbols: SymbolTable
    private let connections: [FeedConnection]
    private let sinks: [any Sink]
    private let inlets: [SinkInlet]
    private let logger: Logger

    /// - Parameters:
    ///   - simulatorPort: the port of the in-process simulator, for connections planned against it.
    public init(plan: EnginePlan, simulatorPort: Int? = nil, logger: Logger) throws {
        self.plan = plan
        self.logger = logger
        let symbols = SymbolTable()
        self.symbols = symbols
        let stats = EngineStats(connectionNames: plan.connections.map(\.name), sinkNames: plan.sinks.map(\.name))
        self.stats = stats

        let carried = plan.configuration.carriedChannels
        var inlets: [SinkInlet] = []
        var sinks: [any Sink] = []
        for (index, sinkPlan) in plan.sinks.enumerated() {
            var mask: UInt32 = sinkPlan.channels == nil ? 1 << 31 : 0
            for channel in sinkPlan.channels ?? carried { mask |= 1 << UInt32(channel.rawValue) }
            if !sinkPlan.spec.consumesEvents { mask = 0 }
            let symbolFilter = sinkPlan.symbols.map { Set($0.map(symbols.intern)) }
            let inlet = SinkInlet(channelMask: mask, symbolFilter: symbolFilter, byteLimit: sinkPlan.spec.queueBytes, stats: stats.sinks[index])
            var sinkLogger = logger
            sinkLogger[metadataKey: "sink"] = .string(sinkPlan.name)
            let runtime = SinkRuntime(
                name: sinkPlan.name, inlet: inlet, stats: stats.sinks[index], engineStats: stats, symbols: symbols,
                market: plan.configuration.feed.market, logger: sinkLogger
            )
            inlets.append(inlet)
            sinks.append(try sinkPlan.spec.makeSink(runtime))
        }
        self.inlets = inlets
        self.sinks = sinks

        let fanout = Fanout(inlets: inlets.filter { $0.channelMask != 0 })
        let market = plan.configuration.feed.market
        let policies = plan.policies
        self.connections = plan.connections.map { [symbols] connection in
            FeedConnection(
                plan: connection, feed: plan.configuration.feed, url: connection.endpoint.url(simulatorPort: simulatorPort),
                stats: stats.connections[connection.index], logger: logger
            ) {
                ConnectionPipeline(
                    connection: ConnectionIndex(connection.index), market: market, symbols: symbols, policies: policies,
                    fanout: fanout, stats: stats
                )
            }
        }
    }

    public func run() async throws {
        let connections = self.connections
        let sinks = self.sinks
        let inlets = self.inlets
        try await withThrowingDiscardingTaskGroup { group in
            for sink in sinks {
                group.addTask { try await sink.run() }
            }
            group.addTask {
                defer { for inlet in inlets { inlet.close() } }
                try await cancelWhenGracefulShutdown {
                    try await withThrowingDiscardingTaskGroup { feed in
                        for connection in connections {
                            feed.addTask { try await connection.run() }
                        }
                    }
                }
            }
        }
        logger.info("engine stopped")
    }
}
