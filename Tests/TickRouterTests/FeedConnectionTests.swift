import Foundation
import InMemoryLogging
import Logging
import TickRouter
import TickRouterConfig
import TickRouterPlugins
import TickRouterSimulator
import Testing

/// The feed client against the real simulator over a real WebSocket, with `feed.url`.
@Suite("Feed connection", .serialized)
struct FeedConnectionTests {
    /// Starts a simulator that accepts only `key`, plans a one-connection config pointing at it.
    func withSimulator(acceptingKey key: String, body: (Int) async throws -> Void) async throws {
        let simulator = Simulator(
            configuration: SimulatorConfiguration(port: 0, symbolCount: 20, rate: 2000, apiKeys: [key]), logger: Logger(label: "sim")
        )
        let task = Task { try await simulator.run() }
        defer { task.cancel() }
        let port = try await simulator.waitUntilListening()
        try await body(port)
    }

    func plan(port: Int, keyVariable: String, environment: [String: String]) throws -> EnginePlan {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tr-feed-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("c.yaml").path
        let yaml = """
            feed:
              provider: massive
              market: stocks
              url: ws://127.0.0.1:\(port)
              api_key: ${\(keyVariable)}
              max_connections: 1
            connections: [ { name: primary, feed: realtime, channels: [T, Q] } ]
            universe: { symbols: [AAPL, MSFT] }
            sinks: [ { type: unix-socket, path: \(directory.path)/s.sock } ]
            """
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return try EnginePlanner(registry: .builtin).plan(file: path, environment: environment)
    }

    @Test func authFailedStopsAtOnceWithOneClearErrorAndNeverLogsTheKey() async throws {
        let secret = "wrong-key-7f3a9c"
        try await withSimulator(acceptingKey: "the-right-key") { port in
            let plan = try plan(port: port, keyVariable: "TEST_MASSIVE_API_KEY", environment: ["TEST_MASSIVE_API_KEY": secret])
            let logs = InMemoryLogHandler()
            var logger = Logger(label: "test") { _ in logs }
            logger.logLevel = .trace
            let engine = try Engine(plan: plan, logger: logger)
            await #expect(throws: FeedConnection.FatalError.self) { try await engine.run() }
            #expect(engine.stats.connections[0].reconnects.load == 0, "no retry after auth_failed")
            #expect(engine.stats.connections[0].state == .stopped || engine.stats.connections[0].state == .failed)
            let errors = logs.entries.filter { $0.level == .error }
            #expect(errors.count == 1)
            #expect(errors.first?.message.description.contains("authentication failed") == true)
            let everything = logs.entries.map { "\($0.message) \($0.metadata)" }.joined(separator: "\n")
            #expect(!everything.contains(secret), "the API key appears in a log line")
        }
    }

    @Test func theRightKeyStreamsTheSubscribedSymbolsOnly() async throws {
        try await withSimulator(acceptingKey: "the-right-key") { port in
            let plan = try plan(port: port, keyVariable: "TEST_MASSIVE_API_KEY", environment: ["TEST_MASSIVE_API_KEY": "the-right-key"])
            let engine = try Engine(plan: plan, logger: Logger(label: "test"))
            let task = Task { try await engine.run() }
            defer { task.cancel() }
            try await waitUntil("events arrive") { engine.stats.totalEvents > 200 }
            #expect(engine.stats.connections[0].state == .streaming)
            #expect(engine.symbols.lookup("AAPL") != nil && engine.symbols.lookup("MSFT") != nil)
            // Only the two subscribed symbols were ever interned from the feed.
            #expect(engine.symbols.count == 2)
            let received = engine.stats.channels.filter { $0.received.load > 0 }.compactMap(\.channel)
            #expect(Set(received) == [.T, .Q])
        }
    }
}
