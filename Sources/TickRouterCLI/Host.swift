import Foundation
public import Logging
public import ServiceLifecycle
public import TickRouter
import TickRouterConfig
public import TickRouterSimulator
public import TickRouterAdmin
public import Prometheus

/// Runs an ``EnginePlan``: starts the in-process simulator first when the config asks for it,
/// then the engine against it. Stopping (graceful shutdown) stops the engine, then the simulator.
public final class RouterHost: Service {
    public let plan: EnginePlan
    /// The in-process simulator, when the config's provider is `simulator` (tests inject faults through it).
    public let simulator: Simulator?
    private let logger: Logger
    private let engineBox = EngineBox()
    /// The admin plane, when the config has an `admin` section.
    public let admin: AdminServer?

    /// - Parameters:
    ///   - adminListen: overrides `admin.listen` (tests pass `127.0.0.1:0` for a free port).
    ///   - metricsRegistry: where `/metrics` renders from (the one `MetricsSystem` is bootstrapped with, if any).
    ///   - configFile: the file the plan came from, so `POST /api/reload` can reload it.
    public init(
        plan: EnginePlan, logger: Logger, adminListen: String? = nil,
        metricsRegistry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
        configFile: String? = nil, registry: PluginRegistry? = nil
    ) {
        self.plan = plan
        self.logger = logger
        if let configuration = plan.configuration.admin {
            let box = engineBox
            var reload: AdminRoutes.ReloadHandler?
            if let configFile, let registry {
                let original = plan
                reload = { [logger] in
                    guard let engine = await box.current() else { return .init(result: "failed", generation: 0, summary: "starting") }
                    let result = await Self.reload(
                        engine: engine, original: original, file: configFile, environment: ProcessInfo.processInfo.environment,
                        registry: registry, logger: logger
                    )
                    switch result {
                    case .applied(let generation, let diff): return .init(result: "applied", generation: generation, summary: diff.summary)
                    case .refused(let error):
                        return .init(result: "refused", generation: engine.stats.generation.load, errors: error.diagnostics.map(\.description))
                    case .failed(let message): return .init(result: "failed", generation: engine.stats.generation.load, summary: message)
                    }
                }
            }
            let routes = AdminRoutes(
                engine: { await box.current() }, metrics: MetricsExporter(registry: metricsRegistry), token: configuration.token?.value,
                reload: reload
            )
            admin = AdminServer(listen: adminListen ?? configuration.listen, routes: routes, logger: logger)
        } else {
            admin = nil
        }
        let feed = plan.configuration.feed
        if feed.provider == .simulator, feed.url == nil {
            simulator = Simulator(
                configuration: SimulatorConfiguration(
                    host: "127.0.0.1", port: 0, symbols: plan.configuration.universe,
                    symbolCount: max(feed.simulator.symbols, plan.configuration.universe.count), rate: feed.simulator.rate,
                    eventsPerFrame: feed.simulator.eventsPerFrame, seed: UInt64(truncatingIfNeeded: feed.simulator.seed)
                ),
                logger: logger.with(label: "simulator")
            )
        } else {
            simulator = nil
        }
    }

    /// The running engine, once started (for tests and the admin plane).
    public func engine() async -> Engine {
        await engineBox.wait()
    }

    /// The outcome of one reload request.
    public enum ReloadResult: Sendable {
        /// Applied as generation `generation`.
        case applied(generation: Int, diff: PlanDiff)
        /// The new config is invalid; the running one goes on.
        case refused(ConfigError)
        /// The diff could not be applied (a sink failed to start); the rest of it was applied.
        case failed(String)
    }

    /// Validates `path` and applies it as a diff to the running engine. An invalid file is refused
    /// with its diagnostics and changes nothing.
    public func reload(file path: String, environment: [String: String], registry: PluginRegistry) async -> ReloadResult {
        await Self.reload(engine: await engine(), original: plan, file: path, environment: environment, registry: registry, logger: logger)
    }

    static func reload(
        engine: Engine, original: EnginePlan, file path: String, environment: [String: String], registry: PluginRegistry, logger: Logger
    ) async -> ReloadResult {
        let planner = EnginePlanner(registry: registry)
        let plan: EnginePlan
        do {
            plan = try planner.plan(file: path, environment: environment, previous: engine.plan.routing)
        } catch {
            logger.error("reload refused, the running config stays:\n\(error.description)")
            return .refused(error)
        }
        guard plan.configuration.feed.market == original.configuration.feed.market,
            plan.configuration.feed.provider == original.configuration.feed.provider
        else {
            let message = "reload refused: feed.provider and feed.market cannot change while running; restart instead"
            logger.error("\(message)")
            return .failed(message)
        }
        do {
            let diff = try await engine.reload(plan)
            return .applied(generation: engine.stats.generation.load, diff: diff)
        } catch {
            logger.error("reload failed: \(error)")
            return .failed("\(error)")
        }
    }

    public func run() async throws {
        // The admin plane stays up while the engine drains; a failure to bind stops everything.
        // The heap reclaimer runs beside the engine and stops with it.
        let reclaimer = HeapReclaimer(logger: logger.with(label: "heap"))
        try await withThrowingTaskGroup(of: Bool.self) { group in
            if let admin { group.addTask { try await admin.run(); return false } }
            group.addTask { try? await reclaimer.run(); return false }
            group.addTask { try await self.runEngine(); return true }
            while let engineDone = try await group.next() {
                if engineDone { break }
            }
            group.cancelAll()
        }
    }

    private func runEngine() async throws {
        let feed = plan.configuration.feed
        guard let simulator else {
            let engine = try Engine(plan: plan, logger: logger)
            await engineBox.set(engine)
            try await engine.run()
            return
        }
        // The simulator stands in for the provider, so it must outlive the engine's graceful shutdown
        // (which unsubscribes from it): it runs outside this task's graceful shutdown and is
        // cancelled once the engine has stopped.
        let simulatorGroup = ServiceGroup(configuration: .init(services: [.init(service: simulator)], logger: logger.with(label: "simulator")))
        let simulatorTask = Task.detached { try await simulatorGroup.run() }
        defer { simulatorTask.cancel() }
        try await withTaskCancellationHandler {
            let port = try await simulator.waitUntilListening()
            logger.info("built-in simulator on ws://127.0.0.1:\(port) (\(feed.simulator.rate) events/s)")
            let engine = try Engine(plan: plan, simulatorPort: port, logger: logger)
            await engineBox.set(engine)
            try await engine.run()
        } onCancel: {
            simulatorTask.cancel()
        }
        // Cancelled (tests stop hosts that way): the handler above has already stopped it.
        if !Task.isCancelled { await simulatorGroup.triggerGracefulShutdown() }
        _ = try? await simulatorTask.value
    }
}

/// Hands the engine, once built, to whoever waits for it.
private actor EngineBox {
    private var engine: Engine?
    private var waiters: [CheckedContinuation<Engine, Never>] = []

    func set(_ engine: Engine) {
        self.engine = engine
        for waiter in waiters { waiter.resume(returning: engine) }
        waiters = []
    }

    func current() -> Engine? { engine }

    func wait() async -> Engine {
        if let engine { return engine }
        return await withCheckedContinuation { waiters.append($0) }
    }
}

extension Logger {
    func with(label: String) -> Logger {
        var copy = self
        copy[metadataKey: "component"] = .string(label)
        return copy
    }
}
