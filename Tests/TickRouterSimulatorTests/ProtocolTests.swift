import Foundation
import Testing
import TickRouterSimulator
import WSClient

@Suite("Provider protocol: handshake, auth, subscribe", .serialized)
struct ProtocolTests {
    @Test func handshakeOrderAndMessages() async throws {
        try await withSimulator { _, port in
            let log = try await converse(port: port) { c in
                _ = await c.log.wait { $0.frames.count >= 1 }
                try await c.authenticate()
            }
            let frames = log.frames
            #expect(frames.first == #"[{"ev":"status","status":"connected","message":"Connected Successfully"}]"#)
            #expect(frames.dropFirst().first == #"[{"ev":"status","status":"auth_success","message":"authenticated"}]"#)
        }
    }

    @Test func authFailedWithConfiguredKeysClosesConnection() async throws {
        var configuration = SimulatorConfiguration(symbolCount: 10, rate: 1_000)
        configuration.apiKeys = ["good-key"]
        try await withSimulator(configuration) { simulator, port in
            let log = try await converse(port: port) { c in
                try await c.send("auth", "bad-key")
                _ = await c.log.wait { $0.isClosed }
            }
            #expect(log.frames.last == #"[{"ev":"status","status":"auth_failed","message":"authentication failed"}]"#)
            #expect(log.isClosed)
            #expect(simulator.recordedActions.map(\.params) == ["bad-key"])

            let accepted = try await converse(port: port) { c in try await c.authenticate("good-key") }
            #expect(accepted.objects.contains { $0["status"] as? String == "auth_success" })
        }
    }

    @Test func subscribeBeforeAuthIsRejected() async throws {
        try await withSimulator { _, port in
            try await converse(port: port) { c in
                try await c.send("subscribe", "T.*")
                #expect(await c.log.waitForStatus("auth_required") != nil)
                try await Task.sleep(for: .milliseconds(200))
                #expect(!c.log.objects.contains { $0["ev"] as? String == "T" })
            }
        }
    }

    @Test func subscribeAcksPerItemSplitOnFirstDot() async throws {
        try await withSimulator { simulator, port in
            let log = try await converse(port: port) { c in
                try await c.authenticate()
                try await c.send("subscribe", "T.AAPL, Q.*,T.BRK.A,ZZ.X")
                _ = await c.log.waitForStatus("error")
                try await c.send("unsubscribe", "T.AAPL")
                _ = await c.log.waitForStatus("success", message: "unsubscribed to: T.AAPL")
            }
            let statuses = log.objects.filter { $0["ev"] as? String == "status" }.compactMap { object -> String? in
                guard let status = object["status"] as? String, let message = object["message"] as? String else { return nil }
                return "\(status): \(message)"
            }
            #expect(
                statuses == [
                    "connected: Connected Successfully", "auth_success: authenticated",
                    "success: subscribed to: T.AAPL", "success: subscribed to: Q.*",
                    "success: subscribed to: T.BRK.A", "error: unknown channel: ZZ",
                    "success: unsubscribed to: T.AAPL",
                ]
            )
            let actions = simulator.recordedActions
            #expect(actions.map(\.action) == ["auth", "subscribe", "unsubscribe"])
            #expect(actions.dropFirst().first?.params == "T.AAPL, Q.*,T.BRK.A,ZZ.X")
            #expect(actions.allSatisfy { $0.path == "/stocks" && $0.connectionID == actions[0].connectionID })
        }
    }

    @Test func subscribedUnknownSymbolJoinsTheUniverse() async throws {
        try await withSimulator(SimulatorConfiguration(symbolCount: 3, rate: 20_000)) { _, port in
            let log = try await converse(port: port) { c in
                try await c.authenticate()
                try await c.send("subscribe", "T.BRK.A")
                _ = await c.log.wait { $0.objects.contains { $0["ev"] as? String == "T" } }
            }
            let trades = log.objects.filter { $0["ev"] as? String == "T" }
            #expect(!trades.isEmpty)
            #expect(trades.allSatisfy { $0["sym"] as? String == "BRK.A" })
        }
    }

    @Test func malformedActionKeepsConnection() async throws {
        try await withSimulator { simulator, port in
            try await converse(port: port) { c in
                try await c.sendRaw("{not json")
                #expect(await c.log.waitForStatus("error", message: "invalid json") != nil)
                try await c.sendRaw(#"{"action":"dance","params":"x"}"#)
                #expect(await c.log.waitForStatus("error", message: "unknown action: dance") != nil)
                try await c.sendRaw(#"{"action":"subscribe","params":42}"#)
                try await c.authenticate()
                #expect(!c.log.isClosed)
            }
            #expect(simulator.recordedActions.first?.action == "invalid")
        }
    }

    @Test(arguments: ["/bonds", "/business/indices", "/launchpad/futures", "/realtime/stocks", "/futures/lse", "/stocks/extra"])
    func unknownPathIsRefused(path: String) async throws {
        try await withSimulator { _, port in
            await #expect(throws: (any Error).self) {
                try await converse(port: port, path: path) { _ in }
            }
        }
    }
}
