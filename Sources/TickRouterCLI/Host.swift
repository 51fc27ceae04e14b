public import Logging
public import ServiceLifecycle
public import TickRouter
import TickRouterConfig
public import TickRouterSimulator

/// Runs an ``EnginePlan``: starts the in-process simulator first when the config asks for it,
/// then the engine against it. Stopping (graceful shutdown) stops the engine, then the simulator.
public final class RouterHost: Service {
    public let plan: EnginePlan
    /// The in-process simulator, when the config's provider is `simulator` (tests inject faults through it).
    public let simulator: Simulator?
    private let logger: Logger
    private let engineBox = EngineBox()

    public init(plan: EnginePlan, logger: Logger) {
        self.plan = plan
        self.logger = logger
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

    public func run() async throws {
        let feed = plan.configuration.feed
        guard let simulator else {
            let engine = try Engine(plan: plan, logger: logger)
            await engineBox.set(engine)
            try await engine.run()
            return
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await simulator.run() }
            let port = try await simulator.waitUntilListening()
            logger.info("built-in simulator on ws://127.0.0.1:\(port) (\(feed.simulator.rate) events/s)")
            let engine = try Engine(plan: plan, simulatorPort: port, logger: logger)
            await engineBox.set(engine)
            try await engine.run()
            group.cancelAll()
        }
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
