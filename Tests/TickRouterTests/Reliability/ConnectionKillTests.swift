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
    /// Fault matrix: the provider cuts every connection at a fixed interval. Judged by the sequence
    /// numbers one consumer of every event saw: what was lost is exactly what the router announced
    /// with a `gap` status line, nothing arrives twice, and every reconnect authenticates once and
    /// streams again.
    @Suite("Fault matrix: connection killed repeatedly", .serialized)
    struct ConnectionKillTests {
        /// Kills every connection `duration / interval` times, `interval` after each recovery, then
        /// checks the consumer's ledger. Each kill waits until every connection streams again and the
        /// consumer has had events since, so a slow machine stretches the run instead of failing it.
        func killRepeatedly(every interval: Duration, for duration: Duration) async throws {
            let host = try await TestHost.start(config: try writeTemporaryConfig(twoConnectionConfig()))
            defer { Task { await host.stop() } }
            let simulator = try #require(host.host.simulator)
            let stats = host.engine.stats
            let acceptedBefore = simulator.connectionsAccepted
            let (ledger, reader) = SequenceLedger.tap(socket: host.socketPath, subscribe: "T.*,Q.*", for: duration * 10 + .seconds(300))
            try await waitUntil("the consumer gets events") { ledger.events > 100 }

            let kills = Int(duration / interval)
            var eventsBetweenKills: [Int] = []
            for _ in 0..<kills {
                try await Task.sleep(for: interval)
                let sessions = stats.connections.map { $0.sessions.load }
                eventsBetweenKills.append(ledger.events)
                simulator.faults.dropConnections()
                // Back: every connection has started a new session and streams, and events flow again.
                try await waitUntil("every connection back after the kill") {
                    zip(stats.connections, sessions).allSatisfy { $0.sessions.load > $1 && $0.state == .streaming }
                }
                let resumed = ledger.events
                try await waitUntil("events after the reconnect") { ledger.events > resumed + 50 }
            }
            // After the last kill: everything streams again and a clean stretch follows.
            try await waitUntil("streaming after the last kill") { stats.connections.allSatisfy { $0.state == .streaming } }
            let settled = ledger.events
            try await waitUntil("events after the last kill") { ledger.events > settled + 500 }
            let gapsAtRest = ledger.figures.gaps.count
            let atRest = ledger.events
            try await waitUntil("a clean stretch") { ledger.events > atRest + 1000 }
            reader.cancel()
            _ = try? await reader.value

            let figures = ledger.figures
            let reconnects = stats.connections.map { $0.reconnects.load }.reduce(0, +)
            let accepted = simulator.connectionsAccepted - acceptedBefore
            let auths = simulator.recordedActions.filter { $0.action == "auth" }
            let authsPerConnection = Dictionary(grouping: auths, by: \.connectionID).mapValues(\.count)
            print(
                "kill every \(interval) for \(duration): \(kills) kills, \(reconnects) reconnects, \(accepted) upgrades, events \(figures.events), "
                    + "gaps \(figures.gaps.count) (\(figures.missing) q missing), gap lines \(figures.gapAnnouncements), repeats \(figures.repeats)"
            )
            #expect(figures.unannounced.isEmpty, "every gap was announced before it: \(figures.unannounced.prefix(5))")
            #expect(figures.repeats == 0, "nothing arrives twice or out of order")
            #expect(!figures.gaps.isEmpty, "the kills cost events (events are generated while disconnected), so gaps must show")
            #expect(figures.gapAnnouncements > 0)
            #expect(reconnects == kills * stats.connections.count, "every kill cut every live session, each reconnected once")
            #expect(accepted == reconnects, "one upgrade per reconnect, no storm")
            #expect(authsPerConnection.values.allSatisfy { $0 == 1 }, "one auth per session")
            #expect(ledger.figures.gaps.count == gapsAtRest, "no gap once the kills stopped")
            // Every interval between kills delivered events: each reconnect subscribed again.
            #expect(zip(eventsBetweenKills, eventsBetweenKills.dropFirst()).allSatisfy { $0 < $1 }, "events between every pair of kills")
            #expect(eventsBetweenKills.count == kills)
        }

        @Test func killedEveryTwoSecondsForTwelveSeconds() async throws {
            try await killRepeatedly(every: .seconds(2), for: .seconds(12))
        }

        @Test(.enabled(if: LongReliabilityTests.enabled, LongReliabilityTests.reason))
        func killedEveryFiveSecondsForTwoMinutes() async throws {
            try await killRepeatedly(every: .seconds(5), for: .seconds(120))
        }
    }
}
