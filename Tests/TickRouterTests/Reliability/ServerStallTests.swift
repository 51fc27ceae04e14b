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
    /// Fault matrix: the provider stops sending frames (the socket stays open). The router must see it
    /// (health turns `read_lag`), must not reconnect (a quiet feed is not a broken one: no reconnect
    /// storm), and must lose nothing: the simulator produces no backlog, so `q` goes on without a gap.
    @Suite("Fault matrix: server stall", .serialized)
    struct ServerStallTests {
        func stall(for length: Duration, health: (TestHost) async throws -> HealthReport) async throws {
            // TestHost binds the admin plane to a free port whatever the config says.
            let config = twoConnectionConfig() + "\nadmin: { listen: 127.0.0.1:9464 }\n"
            let host = try await TestHost.start(config: try writeTemporaryConfig(config))
            defer { Task { await host.stop() } }
            let simulator = try #require(host.host.simulator)
            let stats = host.engine.stats
            let (ledger, reader) = SequenceLedger.tap(socket: host.socketPath, subscribe: "T.*,Q.*", for: length + .seconds(120))
            try await waitUntil("the consumer gets events") { ledger.events > 100 }
            try await waitUntilAsync("healthy before the stall", limit: .seconds(180)) { try await health(host).healthy }
            let accepted = simulator.connectionsAccepted

            simulator.faults.stall(for: length)
            var during: HealthReport?
            try await waitUntilAsync("health reports the stall", limit: length + .seconds(60)) {
                let report = try await health(host)
                if !report.healthy { during = report }
                return !report.healthy
            }
            let eventsInStall = ledger.events
            try await waitUntilAsync("events again after the stall", limit: length + .seconds(60)) { ledger.events > eventsInStall + 500 }
            try await waitUntilAsync("healthy after the stall", limit: .seconds(180)) { try await health(host).healthy }
            reader.cancel()
            _ = try? await reader.value

            let figures = ledger.figures
            let reasons = during?.reasons ?? []
            print("stall \(length): health during \(reasons.map { "\($0.code)/\($0.subject ?? "-")" }), events \(figures.events), gaps \(figures.gaps.count), reconnects \(stats.connections.map { $0.reconnects.load })")
            #expect(!reasons.isEmpty && reasons.allSatisfy { $0.code == "read_lag" }, "the stall shows as read lag: \(reasons)")
            #expect(stats.connections.allSatisfy { $0.reconnects.load == 0 }, "a quiet feed is not reconnected")
            #expect(simulator.connectionsAccepted == accepted, "no new upgrade during or after the stall")
            #expect(figures.gaps.isEmpty && figures.repeats == 0, "nothing lost or repeated: \(figures.gaps.prefix(5))")
        }

        @Test func anEightSecondStallShowsAsReadLagAndLosesNothing() async throws {
            // In process, with a 3 s read-lag limit, so a short stall is enough (and a loaded
            // machine's ordinary lag, up to a second or two, is not mistaken for it).
            let check = HealthCheck(policy: HealthPolicy(maxReadLag: .seconds(3)))
            try await stall(for: .seconds(8)) { host in check.evaluate(AdminSnapshot(engine: host.engine)) }
        }

        @Test(.enabled(if: LongReliabilityTests.enabled, LongReliabilityTests.reason))
        func aThirtySecondStallTurnsHealth503AndLosesNothing() async throws {
            try await stall(for: .seconds(30)) { host in
                // Over real HTTP, with the default policy (10 s read-lag limit).
                let port = try await #require(host.host.admin).waitUntilListening()
                let answer = try await AdminClient(host: "127.0.0.1", port: port).request("GET", "/health")
                #expect(answer.status == (answer.text.contains(#""status":"ok""#) ? 200 : 503))
                return try JSONDecoder().decode(HealthReport.self, from: Data(answer.body))
            }
        }
    }
}
