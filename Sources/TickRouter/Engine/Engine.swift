public import Logging
import NIOCore
import ServiceLifecycle
import Synchronization
public import TickRouterConfig

/// A running TickRouter: feed connections → pipelines → sink inlets → sinks, built from an
/// ``EnginePlan`` and reconfigured in place by ``reload(_:)`` and by failover.
///
/// Shutdown order: every connection unsubscribes upstream and stops, then every inlet closes and
/// each sink drains what it accepted before ``run()`` returns.
public final class Engine: Service, Sendable {
    public let stats: EngineStats
    public let symbols: SymbolTable
    let logger: Logger
    let simulatorPort: Int?
    let fanout: Fanout
    let mergeGate = MergeGate()
    /// Per-connection symbol rates, when a rebalance is configured.
    let rateMeters = Mutex<[String: SymbolRateMeter]>([:])
    let policies: ProcessorPolicies
    /// Throttles, rate caps and emission buffers, after the merge (inactive when no channel is shaped).
    let shaping: ShapingStage
    let state: Mutex<State>
    let stopSignal: AsyncStream<Void>
    let stopContinuation: AsyncStream<Void>.Continuation

    struct RunningConnection {
        var plan: ConnectionPlan
        var connection: FeedConnection
        var task: Task<Void, Never>?
    }

    struct RunningSink {
        var plan: SinkPlan
        var inlet: SinkInlet
        var sink: any Sink
        var task: Task<Void, Never>?
    }

    struct State {
        var plan: EnginePlan
        var connections: [String: RunningConnection] = [:]
        var sinks: [String: RunningSink] = [:]
        /// The routing in force: the plan's, with failed connections' symbols moved.
        var effectiveRouting: RoutingTable
        /// Symbols each connection carries now.
        var assigned: [String: [String]] = [:]
        var failover: FailoverStateMachine<ContinuousClock.Instant>
        var started = false
        var failure: (any Error)?
    }

    /// - Parameters:
    ///   - simulatorPort: the port of the in-process simulator, for connections planned against it.
    public init(plan: EnginePlan, simulatorPort: Int? = nil, logger: Logger) throws {
        self.logger = logger
        self.simulatorPort = simulatorPort
        self.symbols = SymbolTable()
        self.stats = EngineStats(connectionNames: plan.connections.map(\.name), sinkNames: plan.sinks.map(\.name))
        self.policies = ProcessorPolicies(plan.policies)
        self.fanout = Fanout(inlets: [])
        self.shaping = ShapingStage(policies: plan.policies, symbols: symbols, fanout: fanout, stats: stats)
        (stopSignal, stopContinuation) = AsyncStream.makeStream(of: Void.self)
        state = Mutex(
            State(plan: plan, effectiveRouting: plan.routing, failover: FailoverStateMachine(returnAfter: plan.failbackAfter))
        )
        let built = try plan.sinks.enumerated().map { index, sinkPlan in try makeSink(sinkPlan, stats: stats.sinks[index], plan: plan) }
        let connections = plan.connections.map { makeConnection($0, stats: stats.connections[$0.index], plan: plan) }
        state.withLock { state in
            for sink in built { state.sinks[sink.plan.name] = sink }
            for connection in connections {
                state.connections[connection.plan.name] = connection
                state.assigned[connection.plan.name] = connection.plan.symbols
            }
        }
        fanout.setInlets(plan.sinks.compactMap { sink in built.first { $0.plan.name == sink.name }?.inlet })
        mergeGate.setRedundant(redundantSymbols(plan.routing, plan: plan))
    }

    /// Symbols that two connections of the same group carry at once (same feed and channels).
    func redundantSymbols(_ table: RoutingTable, plan: EnginePlan) -> Set<SymbolID> {
        var result = Set<SymbolID>()
        for (index, connections) in table.connectionsBySymbol.enumerated() where connections.count > 1 {
            let keys = connections.map { plan.connections[$0].feed.rawValue + ":" + plan.connections[$0].channels.sorted().map(\.code).joined(separator: ",") }
            if Set(keys).count < keys.count { result.insert(symbols.intern(table.symbols[index])) }
        }
        return result
    }

    /// The plan in force (the latest applied reload).
    public var plan: EnginePlan { state.withLock { $0.plan } }

    /// The routing in force, failover included.
    public var routing: RoutingTable { state.withLock { $0.effectiveRouting } }

    /// The feed connection named `name`.
    public func connection(named name: String) -> FeedConnection? { state.withLock { $0.connections[name]?.connection } }

    func makeSink(_ sinkPlan: SinkPlan, stats sinkStats: SinkStats, plan: EnginePlan) throws -> RunningSink {
        var mask: UInt32 = sinkPlan.channels == nil ? 1 << 31 : 0
        for channel in sinkPlan.channels ?? plan.configuration.carriedChannels { mask |= 1 << UInt32(channel.rawValue) }
        mask |= EventBatch.statusMask
        if !sinkPlan.spec.consumesEvents { mask = 0 }
        let symbolFilter = sinkPlan.symbols.map { Set($0.map(symbols.intern)) }
        let inlet = SinkInlet(
            channelMask: mask, symbolFilter: symbolFilter, byteLimit: sinkPlan.spec.queueBytes, stats: sinkStats,
            shedOrder: plan.configuration.backpressure.shedOrder
        )
        var sinkLogger = logger
        sinkLogger[metadataKey: "sink"] = .string(sinkPlan.name)
        let runtime = SinkRuntime(
            name: sinkPlan.name, inlet: inlet, stats: sinkStats, engineStats: stats, symbols: symbols,
            market: plan.configuration.feed.market, logger: sinkLogger
        )
        return RunningSink(plan: sinkPlan, inlet: inlet, sink: try sinkPlan.spec.makeSink(runtime))
    }

    func makeConnection(_ connection: ConnectionPlan, stats connectionStats: ConnectionStats, plan: EnginePlan) -> RunningConnection {
        let market = plan.configuration.feed.market
        let symbols = self.symbols
        let policies = self.policies
        let fanout = self.fanout
        let mergeGate = self.mergeGate
        let shaping = self.shaping
        let stats = self.stats
        let meter: SymbolRateMeter? = plan.rebalance == nil ? nil : SymbolRateMeter()
        rateMeters.withLock { $0[connection.name] = meter }
        let feed = FeedConnection(
            plan: connection, feed: plan.configuration.feed, url: connection.endpoint.url(simulatorPort: simulatorPort),
            stats: connectionStats, logger: logger,
            onSessionLost: { notice in fanout.publishStatus(StatusLine.gap(notice)) }
        ) {
            ConnectionPipeline(
                connection: ConnectionIndex(connection.index), market: market, symbols: symbols, policies: policies,
                fanout: fanout, mergeGate: mergeGate, shaping: shaping, stats: stats, connectionStats: connectionStats,
                rateMeter: meter
            )
        }
        return RunningConnection(plan: connection, connection: feed)
    }

    /// Sinks and connections run detached from the caller's task-locals: graceful shutdown must not
    /// reach them directly (the WebSocket client would close before the engine unsubscribes);
    /// the engine stops them in order.
    func start(_ sink: inout RunningSink) {
        let service = sink.sink
        let logger = self.logger
        let name = sink.plan.name
        sink.task = Task.detached {
            do {
                try await service.run()
            } catch {
                logger.error("sink \(name) stopped: \(error)")
            }
        }
    }

    func start(_ connection: inout RunningConnection) {
        let feed = connection.connection
        connection.task = Task.detached { [weak self] in
            do {
                try await feed.run()
            } catch {
                self?.fail(error)
            }
        }
    }

    /// A fatal error (authentication failed): stop everything and make ``run()`` throw it.
    func fail(_ error: any Error) {
        state.withLock { state in
            if state.failure == nil { state.failure = error }
        }
        stopContinuation.yield()
    }

    public func run() async throws {
        state.withLock { state in
            state.started = true
            for name in state.plan.sinks.map(\.name) { start(&state.sinks[name]!) }
            for name in state.plan.connections.map(\.name) { start(&state.connections[name]!) }
        }
        let supervisor = Task { [weak self] in await self?.superviseFailover() }
        let rebalancer = Task { [weak self] in await self?.superviseRebalance() }
        let ticker = Task { [shaping] in await Self.tick(shaping) }
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                for await _ in stopSignal { break }
            } onGracefulShutdown: {
                self.stopContinuation.yield()
            }
        } onCancel: {
            self.stopContinuation.yield()
        }
        supervisor.cancel()
        rebalancer.cancel()
        ticker.cancel()
        await shutdown()
        if let failure = state.withLock({ $0.failure }) { throw failure }
    }

    /// Events accepted by each sink's inlet and not yet drained, in plan order (for the admin plane).
    public var queuedEventsPerSink: [Int] {
        state.withLock { state in state.plan.sinks.map { state.sinks[$0.name]?.inlet.queuedEvents ?? 0 } }
    }

    /// Stops within `shutdown.timeout`: every streaming connection unsubscribes upstream and closes
    /// (others stop at once), then every inlet closes and each sink drains what it accepted. What is
    /// still draining at the deadline is cancelled and counted as `shutdown`, and each sink's
    /// undelivered events are logged by reason.
    func shutdown() async {
        let (connections, sinks, timeout) = state.withLock { state in
            (Array(state.connections.values), Array(state.sinks.values), state.plan.configuration.shutdown.timeout)
        }
        guard !Task.isCancelled else {
            // Cancellation is the hard stop: nothing can be sent or awaited any more.
            for running in connections { running.task?.cancel() }
            for running in sinks {
                running.inlet.close()
                running.task?.cancel()
            }
            reportUndelivered(sinks)
            logger.info("engine cancelled")
            return
        }
        let deadline = ContinuousClock.now + timeout
        await finishes(by: ContinuousClock.now + timeout / 2) {
            await withTaskGroup(of: Void.self) { group in
                for running in connections {
                    group.addTask {
                        if await !running.connection.unsubscribeAndClose() { running.task?.cancel() }
                        await running.task?.value
                    }
                }
            }
        }
        for running in connections { running.task?.cancel() }
        // Cancelled connections end within moments; wait for them (bounded) so that nothing is
        // pushed into an inlet after it closed.
        _ = await finishes(by: min(deadline, .now + .seconds(2))) {
            for running in connections { await running.task?.value }
        }
        logger.info("feed stopped")
        shaping.flushAll()  // held values and buffers are delivered, not lost
        for running in sinks { running.inlet.close() }
        let drained = await finishes(by: deadline) {
            for running in sinks { await running.task?.value }
        }
        if !drained {
            logger.warning("shutdown took longer than \(timeout); stopped what was still draining")
            for running in sinks { running.task?.cancel() }
        }
        reportUndelivered(sinks)
        logger.info("engine stopped")
    }

    /// Delivers held throttle values and emission buffers on time, even when no frame arrives.
    static func tick(_ shaping: ShapingStage) async {
        while !Task.isCancelled {
            try? await Task.sleep(for: shaping.isActive ? shaping.tick : .milliseconds(100))
            shaping.flushDue(now: Int64(NIODeadline.now().uptimeNanoseconds))  // the clock of `receivedAt`
        }
    }

    /// Logs, per sink, what was lost during the run by reason (and what a cancelled drain left queued).
    private func reportUndelivered(_ sinks: [RunningSink]) {
        for running in sinks {
            guard let sinkStats = stats.sink(named: running.plan.name) else { continue }
            let left = running.inlet.queuedEvents
            if left > 0 { sinkStats.drop(.shutdown, left) }
            let lost = sinkStats.dropped.snapshot.filter { $0.count > 0 }
            let figures = "accepted \(sinkStats.accepted.load) events, delivered \(sinkStats.delivered.load)"
            if lost.isEmpty {
                logger.info("sink \(sinkStats.name): \(figures); nothing undelivered")
            } else {
                let reasons = lost.map { "\($0.reason) \($0.count)" }.joined(separator: ", ")
                logger.notice("sink \(sinkStats.name): \(figures); undelivered by reason: \(reasons)")
            }
        }
    }
}
