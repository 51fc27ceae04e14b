import Foundation
import Testing
import TickRouterSimulator

@Suite("Fault injection", .serialized)
struct FaultTests {
    @Test func dropConnectionsCutsSubscribedClients() async throws {
        try await withSimulator { simulator, port in
            let log = try await converse(port: port) { c in
                try await c.authenticate()
                try await c.send("subscribe", "T.*")
                #expect(await c.log.wait { $0.objects.contains { $0["ev"] as? String == "T" } })
                simulator.faults.dropConnections(path: "/business/stocks")
                try await Task.sleep(for: .milliseconds(200))
                #expect(!c.log.isClosed)
                simulator.faults.dropConnections()
                #expect(await c.log.wait(timeout: .seconds(30)) { $0.isClosed })
            }
            #expect(log.isClosed)
            #expect(!log.objects.contains { $0["status"] as? String == "slow_consumer" })
        }
    }

    @Test func statusThenClose() async throws {
        try await withSimulator { simulator, port in
            let log = try await converse(port: port) { c in
                try await c.authenticate()
                simulator.faults.sendStatus("max_connections", message: "Maximum number of websocket connections exceeded.", thenClose: true)
                #expect(await c.log.wait(timeout: .seconds(30)) { $0.isClosed })
            }
            #expect(log.statuses.last == "max_connections: Maximum number of websocket connections exceeded.")
        }
    }

    @Test func rejectNextAuthOnlyOnce() async throws {
        try await withSimulator { simulator, port in
            simulator.faults.rejectNextAuth()
            let first = try await converse(port: port) { c in
                try await c.send("auth", "any")
                _ = await c.log.wait { $0.isClosed }
            }
            #expect(first.statuses.last == "auth_failed: authentication failed")
            let second = try await converse(port: port) { c in try await c.authenticate() }
            #expect(second.statuses.contains("auth_success: authenticated"))
        }
    }

    @Test func malformedAndOversizedFrames() async throws {
        try await withSimulator { simulator, port in
            let log = try await converse(port: port) { c in
                try await c.authenticate()
                simulator.faults.sendMalformedFrame()
                simulator.faults.sendOversizedFrame(bytes: 2_000_000)
                #expect(await c.log.wait { $0.frames.count >= 4 })
            }
            let frames = log.frames
            #expect(frames.contains { $0.hasPrefix("[{") && parseFrame($0).isEmpty })
            let big = try #require(frames.first { $0.utf8.count >= 2_000_000 })
            #expect(parseFrame(big).first?["status"] as? String == "padding")
        }
    }

    @Test func stallPausesEvents() async throws {
        try await withSimulator { simulator, port in
            let log = try await converse(port: port) { c in
                try await c.authenticate()
                try await c.send("subscribe", "Q.*")
                #expect(await c.log.wait { $0.objects.contains { $0["ev"] as? String == "Q" } })
                let stalledAt = Int(Date().timeIntervalSince1970 * 1000)
                simulator.faults.stall(for: .milliseconds(800))
                // Read until an event generated after the stall arrives; the timeout only guards against a hang.
                #expect(await c.log.wait(timeout: .seconds(30)) { log in
                    log.objects.contains { ($0["t"] as? Int ?? 0) > stalledAt + 1_000 }
                })
            }
            // The stall shows in the generated event times, whatever the delivery timing was:
            // somewhere two consecutive quotes are at least 700 ms apart.
            let times = log.objects.filter { $0["ev"] as? String == "Q" }.compactMap { $0["t"] as? Int }
            let largestStep = zip(times, times.dropFirst()).map { $1 - $0 }.max() ?? 0
            #expect(largestStep >= 700, "largest step between quote times: \(largestStep) ms")
            _ = log
        }
    }
}
