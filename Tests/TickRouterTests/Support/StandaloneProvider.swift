import Foundation
import TickRouterCLI
import TickRouterConfig
import InMemoryLogging
import Logging
import TickRouter
import TickRouterPlugins
import TickRouterSimulator

/// A simulator running on its own (the provider), for tests that need to see what the provider
/// saw — upgrades, auths, subscriptions — from one or several routers pointed at it by `feed.url`.
struct StandaloneProvider {
    let simulator: Simulator
    let port: Int
    let task: Task<Void, any Error>

    static func start(_ configuration: SimulatorConfiguration) async throws -> StandaloneProvider {
        let simulator = Simulator(configuration: configuration, logger: Logger(label: "sim"))
        let task = Task { try await simulator.run() }
        let port = try await simulator.waitUntilListening()
        return StandaloneProvider(simulator: simulator, port: port, task: task)
    }

    func stop() {
        task.cancel()
    }

    /// The `auth` actions it received.
    var auths: [RecordedAction] { simulator.recordedActions.filter { $0.action == "auth" } }
}

/// A router (engine only, no simulator of its own) against a ``StandaloneProvider``, with its
/// Unix socket in a fresh directory and every log line kept (trace level).
struct RouterUnderTest {
    let engine: Engine
    let task: Task<Void, any Error>
    let socket: String
    let logs: InMemoryLogHandler
    let configPath: String

    /// A one-connection (T, Q on AAPL, MSFT unless `universe` says otherwise) config for `feed.url`,
    /// the key read from `keyVariable`; `feedExtra` lines are added to the `feed` section.
    static func config(url: String, keyVariable: String, socket: String, connections: Int = 1, universe: String = "[AAPL, MSFT]", feedExtra: String = "") -> String {
        """
        feed:
          provider: massive
          market: stocks
          url: \(url)
          api_key: ${\(keyVariable)}
          max_connections: \(connections)
        \(feedExtra)
        connections:
        \((1...connections).map { "  - { name: c\($0), feed: realtime, channels: [T, Q] }" }.joined(separator: "\n"))
        universe: { symbols: \(universe) }
        sinks: [ { type: unix-socket, path: \(socket) } ]
        """
    }

    /// Writes a config built by `yaml(socketPath)`, plans it with `environment` and starts the engine.
    static func start(environment: [String: String], yaml: (String) -> String) async throws -> RouterUnderTest {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tr-router-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let socket = directory.appendingPathComponent("s.sock").path
        let path = directory.appendingPathComponent("c.yaml").path
        try yaml(socket).write(toFile: path, atomically: true, encoding: .utf8)
        let plan = try EnginePlanner(registry: .builtin).plan(file: path, environment: environment)
        let logs = InMemoryLogHandler()
        var logger = Logger(label: "test") { _ in logs }
        logger.logLevel = .trace
        let engine = try Engine(plan: plan, logger: logger)
        let task = Task { try await engine.run() }
        return RouterUnderTest(engine: engine, task: task, socket: socket, logs: logs, configPath: path)
    }

    func stop() async {
        task.cancel()
        _ = try? await task.value
    }

    /// Every log line with its metadata, one per line.
    var logText: String { logs.entries.map { "\($0.level) \($0.message) \($0.metadata)" }.joined(separator: "\n") }
}
