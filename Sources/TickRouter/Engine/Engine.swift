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

    /// Events accepted by each sink's inlet and not yet drained, in plan order (for the admin plane).
    public var queuedEventsPerSink: [Int] { inlets.map(\.queuedEvents) }

    public func run() async throws {
        let connections = self.connections
        let sinks = self.sinks
        let inlets = self.inlets
        let timeout = plan.configuration.shutdown.timeout
        let logger = self.logger
        do {
            try await withThrowingTaskGroup(of: Void.self) { outer in
                // The shutdown deadline: counted from graceful shutdown, it cancels whatever still drains.
                outer.addTask {
                    do { try await gracefulShutdown() } catch { return }
                    try await Task.sleep(for: timeout)
                    throw ShutdownDeadlineExceeded()
                }
                outer.addTask {
                    try await withThrowingDiscardingTaskGroup { group in
                        for sink in sinks {
                            group.addTask { try await sink.run() }
                        }
                        group.addTask {
                            defer { for inlet in inlets { inlet.close() } }
                            try await Self.runFeed(connections, unsubscribeWithin: timeout / 2, logger: logger)
                        }
                    }
                }
                _ = try await outer.next()
                outer.cancelAll()
            }
        } catch is ShutdownDeadlineExceeded {
            logger.warning("shutdown took longer than \(timeout); stopped what was still draining")
        }
        reportUndelivered()
        logger.info("engine stopped")
    }

    private struct ShutdownDeadlineExceeded: Error {}

    /// Runs the connections until cancelled; on graceful shutdown, every streaming connection
    /// unsubscribes and closes, and the feed waits (up to `grace`) for the provider to finish the
    /// close handshake; connections still busy then (connecting, backing off) are cancelled.
    private static func runFeed(_ connections: [FeedConnection], unsubscribeWithin grace: Duration, logger: Logger) async throws {
        // Detached from graceful shutdown, which would close each WebSocket at once: the engine
        // unsubscribes first (below). Cancellation still reaches them.
        let sessions = connections.map { connection in Task.detached { try await connection.run() } }
        try await withThrowingTaskGroup(of: Bool.self) { feed in
            for session in sessions {
                feed.addTask {
                    try await withTaskCancellationHandler { try await session.value } onCancel: { session.cancel() }
                    return true
                }
            }
            feed.addTask {
                do { try await gracefulShutdown() } catch { return false }
                let deadline = ContinuousClock.now + grace
                await withTaskGroup(of: Bool.self) { stops in
                    for (connection, session) in zip(connections, sessions) {
                        stops.addTask {
                            // Not streaming (connecting, backing off): nothing to unsubscribe, stop it now.
                            if await !connection.unsubscribeAndClose() { session.cancel() }
                            return true
                        }
                    }
                    stops.addTask { try? await Task.sleep(until: deadline); return false }
                    var remaining = connections.count
                    while remaining > 0, let isConnection = await stops.next(), isConnection { remaining -= 1 }
                    stops.cancelAll()
                }
                try? await Task.sleep(until: deadline)
                return false
            }
            // Until every connection has returned, or the grace period after shutdown is over.
            var running = connections.count
            while running > 0, let isConnection = try await feed.next(), isConnection { running -= 1 }
            feed.cancelAll()
            for session in sessions { session.cancel() }
        }
        logger.info("feed stopped")
    }

    /// Logs, per sink, what was lost during the run by reason (and what a cancelled drain left queued).
    private func reportUndelivered() {
        for (index, inlet) in inlets.enumerated() {
            let stats = self.stats.sinks[index]
            let left = inlet.queuedEvents
            if left > 0 { stats.drop(.shutdown, left) }
            let lost = stats.dropped.snapshot.filter { $0.count > 0 }
            let figures = "accepted \(stats.accepted.load) events, delivered \(stats.delivered.load)"
            if lost.isEmpty {
                logger.info("sink \(stats.name): \(figures); nothing undelivered")
            } else {
                let reasons = lost.map { "\($0.reason) \($0.count)" }.joined(separator: ", ")
                logger.notice("sink \(stats.name): \(figures); undelivered by reason: \(reasons)")
            }
        }
    }
}
