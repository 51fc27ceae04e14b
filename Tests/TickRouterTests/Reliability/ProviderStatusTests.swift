import Foundation
import InMemoryLogging
import Logging
import NIOCore
import TickRouter
import TickRouterAdmin
import TickRouterCLI
import TickRouterConfig
import TickRouterPlugins
import TickRouterSimulator
import Testing

extension Reliability {
    /// Fault matrix: the provider's own refusals — `auth_failed`, `max_connections`, `slow_consumer` —
    /// judged by what the provider saw (upgrades, auths), the router's state and logs, and sequence
    /// numbers at the consumer.
    @Suite("Fault matrix: provider statuses", .serialized)
    struct ProviderStatusTests {
        @Test func authFailedExitsTheProcessWithCode2AfterOneAuthAndOneClearError() async throws {
            guard let executable = ShutdownTests.executable() else { return }
            let secret = "refused-key-51d0e2"
            let provider = try await StandaloneProvider.start(SimulatorConfiguration(port: 0, symbolCount: 20, rate: 2000, apiKeys: ["the-right-key"]))
            defer { provider.stop() }
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tr-auth-\(UUID().uuidString.prefix(8))").path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let configPath = directory + "/c.yaml"
            try RouterUnderTest.config(url: "ws://127.0.0.1:\(provider.port)", keyVariable: "MASSIVE_API_KEY", socket: directory + "/s.sock")
                .write(toFile: configPath, atomically: true, encoding: .utf8)

            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["run", "--config", configPath, "--log-level", "trace"]
            process.environment = ProcessInfo.processInfo.environment.merging(["MASSIVE_API_KEY": secret]) { $1 }
            let output = Collected()
            let pipe = Pipe()
            process.standardError = pipe
            process.standardOutput = pipe
            pipe.fileHandleForReading.readabilityHandler = { output.append($0.availableData) }
            try process.run()
            defer { if process.isRunning { process.terminate() } }
            try await waitUntil("the process exits", limit: .seconds(60)) { !process.isRunning }
            try await Task.sleep(for: .milliseconds(200))  // the last bytes of the pipe
            pipe.fileHandleForReading.readabilityHandler = nil
            let text = output.text
            let errorLines = text.split(separator: "\n").filter { $0.contains(" error ") && $0.contains("authentication failed") }
            print("auth_failed: exit \(process.terminationStatus), \(provider.auths.count) auth(s); error lines: \(errorLines)")
            #expect(process.terminationStatus == 2, "documented exit code for a refused key")
            #expect(provider.auths.count == 1, "exactly one auth: no retry storm")
            #expect(provider.simulator.connectionsAccepted == 1)
            #expect(errorLines.count == 1, "one clear error-level line: \(errorLines)")
            #expect(text.contains("tickrouter: connection c1: authentication failed"), "and the reason as the last word on stderr")
            #expect(!text.contains(secret), "the key is not in the output at trace level")
        }

        /// Two routers on one key against a provider that allows one connection per key.
        func twoRouters(policy: ConnectionLimitPolicy) async throws -> (provider: StandaloneProvider, first: RouterUnderTest, second: RouterUnderTest) {
            let provider = try await StandaloneProvider.start(SimulatorConfiguration(
                port: 0, symbolCount: 20, rate: 2000, apiKeys: ["shared-key"], maxConnectionsPerKey: 1, connectionLimitPolicy: policy
            ))
            let environment = ["SHARED_KEY": "shared-key"]
            let yaml = { socket in RouterUnderTest.config(url: "ws://127.0.0.1:\(provider.port)", keyVariable: "SHARED_KEY", socket: socket) }
            let first = try await RouterUnderTest.start(environment: environment, yaml: yaml)
            try await waitUntil("the first router streams") { first.engine.stats.connections[0].state == .streaming }
            let second = try await RouterUnderTest.start(environment: environment, yaml: yaml)
            return (provider, first, second)
        }

        /// Waits until one router cools down, then watches the provider for `window`: nobody may come
        /// back during the cooldown (5 min by default), so the upgrades stay at two.
        func expectNoEvictionLoop(
            _ provider: StandaloneProvider, loser: RouterUnderTest, winner: RouterUnderTest, window: Duration
        ) async throws {
            try await waitUntil("the loser cools down") { loser.engine.stats.connections[0].state == .coolingDown }
            try await waitUntil("the winner streams") { winner.engine.stats.connections[0].state == .streaming }
            let upgradesAtCooldown = provider.simulator.connectionsAccepted
            try await Task.sleep(for: window)
            print("max_connections: upgrades \(upgradesAtCooldown) → \(provider.simulator.connectionsAccepted) over \(window); auths \(provider.auths.count)")
            #expect(upgradesAtCooldown == 2)
            #expect(provider.simulator.connectionsAccepted == 2, "no eviction loop: nobody reconnected during the cooldown")
            #expect(provider.auths.count == 2)
            #expect(loser.engine.stats.connections[0].state == .coolingDown)
            #expect(winner.engine.stats.connections[0].state == .streaming)
            let loud = loser.logs.entries.filter { $0.level == .error && "\($0.message)".contains("max_connections") }
            #expect(loud.count == 1, "one loud log line naming max_connections")
            #expect(winner.logs.entries.allSatisfy { !"\($0.message)".contains("max_connections") })
        }

        @Test func maxConnectionsWhenTheNewestWinsCoolsTheEvictedRouterDown() async throws {
            let (provider, first, second) = try await twoRouters(policy: .evictOldest)
            defer {
                provider.stop()
                first.task.cancel()
                second.task.cancel()
            }
            try await expectNoEvictionLoop(provider, loser: first, winner: second, window: .seconds(8))
        }

        @Test func maxConnectionsWhenTheNewcomerIsRefusedLeavesTheFirstRouterUntouched() async throws {
            let provider = try await StandaloneProvider.start(SimulatorConfiguration(
                port: 0, symbolCount: 20, rate: 2000, apiKeys: ["shared-key"], maxConnectionsPerKey: 1, connectionLimitPolicy: .refuseNewest
            ))
            defer { provider.stop() }
            let environment = ["SHARED_KEY": "shared-key"]
            let yaml = { socket in RouterUnderTest.config(url: "ws://127.0.0.1:\(provider.port)", keyVariable: "SHARED_KEY", socket: socket) }
            let first = try await RouterUnderTest.start(environment: environment, yaml: yaml)
            defer { first.task.cancel() }
            try await waitUntil("the first router streams") { first.engine.stats.connections[0].state == .streaming }
            try await waitUntil("the first router's socket") { FileManager.default.fileExists(atPath: first.socket) }
            let (ledger, reader) = SequenceLedger.tap(socket: first.socket, subscribe: "T.*,Q.*", for: .seconds(120))
            try await waitUntil("its consumer gets events") { ledger.events > 50 }
            let second = try await RouterUnderTest.start(environment: environment, yaml: yaml)
            defer { second.task.cancel() }
            try await expectNoEvictionLoop(provider, loser: second, winner: first, window: .seconds(8))
            reader.cancel()
            _ = try? await reader.value
            let figures = ledger.figures
            #expect(figures.events > 50 && figures.gaps.isEmpty && figures.repeats == 0, "the first router's consumer lost nothing: \(figures.gaps.prefix(3))")
            #expect(first.engine.stats.connections[0].reconnects.load == 0)
        }

        @Test func slowConsumerIsALoudAlarmAReconnectAndAnAnnouncedGap() async throws {
            let provider = try await StandaloneProvider.start(SimulatorConfiguration(port: 0, symbolCount: 20, rate: 4000))
            defer { provider.stop() }
            let router = try await RouterUnderTest.start(environment: ["K": "any"]) { socket in
                RouterUnderTest.config(
                    url: "ws://127.0.0.1:\(provider.port)", keyVariable: "K", socket: socket, universe: "[AAPL, MSFT, NVDA, TSLA]",
                    feedExtra: "  reconnect: { initial: 200ms }"
                )
            }
            defer { router.task.cancel() }
            let stats = router.engine.stats.connections[0]
            try await waitUntil("streaming") { stats.state == .streaming }
            try await waitUntil("the socket") { FileManager.default.fileExists(atPath: router.socket) }
            let (ledger, reader) = SequenceLedger.tap(socket: router.socket, subscribe: "T.*,Q.*", for: .seconds(120))
            try await waitUntil("the consumer gets events") { ledger.events > 100 }

            provider.simulator.faults.sendStatus("slow_consumer", message: "consumer is too slow", thenClose: true)
            try await waitUntil("reconnected") { stats.reconnects.load == 1 && stats.state == .streaming }
            let after = ledger.events
            try await waitUntil("events after the reconnect") { ledger.events > after + 200 }
            reader.cancel()
            _ = try? await reader.value

            let figures = ledger.figures
            let alarms = router.logs.entries.filter { $0.level == .error && "\($0.message)".contains("slow consumer") }
            print("slow_consumer: reconnects \(stats.reconnects.load), gaps \(figures.gaps.count) (\(figures.missing) missing), gap lines \(figures.gapAnnouncements)")
            #expect(alarms.count == 1, "one loud error naming the slow consumer")
            #expect(provider.simulator.connectionsAccepted == 2, "one reconnect, normal backoff, no storm")
            #expect(figures.unannounced.isEmpty, "the events missed while reconnecting were announced: \(figures.unannounced.prefix(3))")
            #expect(figures.repeats == 0)
        }
    }
}
