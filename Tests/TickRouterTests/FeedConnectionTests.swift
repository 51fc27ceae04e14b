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
    @Test func authFailedStopsAtOnceWithOneClearErrorAndNeverLogsTheKey() async throws {
        let secret = "wrong-key-7f3a9c"
        let provider = try await StandaloneProvider.start(SimulatorConfiguration(port: 0, symbolCount: 20, rate: 2000, apiKeys: ["the-right-key"]))
        defer { provider.stop() }
        let router = try await RouterUnderTest.start(environment: ["TEST_MASSIVE_API_KEY": secret]) { socket in
            RouterUnderTest.config(url: "ws://127.0.0.1:\(provider.port)", keyVariable: "TEST_MASSIVE_API_KEY", socket: socket)
        }
        await #expect(throws: FeedConnection.FatalError.self) { try await router.task.value }
        let stats = router.engine.stats.connections[0]
        #expect(stats.reconnects.load == 0, "no retry after auth_failed")
        #expect(stats.state == .stopped || stats.state == .failed)
        #expect(provider.auths.count == 1, "the provider saw exactly one auth: \(provider.auths)")
        #expect(provider.simulator.connectionsAccepted == 1, "and one connection")
        let errors = router.logs.entries.filter { $0.level == .error }
        #expect(errors.count == 1)
        #expect(errors.first?.message.description.contains("authentication failed") == true)
        #expect(!router.logText.contains(secret), "the API key appears in a log line (trace level)")
    }

    @Test func theRightKeyStreamsTheSubscribedSymbolsOnly() async throws {
        let provider = try await StandaloneProvider.start(SimulatorConfiguration(port: 0, symbolCount: 20, rate: 2000, apiKeys: ["the-right-key"]))
        defer { provider.stop() }
        let router = try await RouterUnderTest.start(environment: ["TEST_MASSIVE_API_KEY": "the-right-key"]) { socket in
            RouterUnderTest.config(url: "ws://127.0.0.1:\(provider.port)", keyVariable: "TEST_MASSIVE_API_KEY", socket: socket)
        }
        defer { router.task.cancel() }
        let engine = router.engine
        try await waitUntil("events arrive") { engine.stats.totalEvents > 200 }
        #expect(engine.stats.connections[0].state == .streaming)
        #expect(engine.symbols.lookup("AAPL") != nil && engine.symbols.lookup("MSFT") != nil)
        // Only the two subscribed symbols were ever interned from the feed.
        #expect(engine.symbols.count == 2)
        let received = engine.stats.channels.filter { $0.received.load > 0 }.compactMap(\.channel)
        #expect(Set(received) == [.T, .Q])
        #expect(!router.logText.contains("the-right-key"), "the API key appears in a log line (trace level)")
    }
}
