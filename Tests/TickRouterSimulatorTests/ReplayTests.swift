import Foundation
import Testing
import TickRouterSimulator

@Suite("Replay")
struct ReplayTests {
    @Test func replaysRecordedFramesFilteredAndPaced() async throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("replay-\(UUID().uuidString).ndjson")
        let base = 1_700_000_000_000
        var lines: [String] = []
        for n in 0..<8 {
            let t = base + 1_000 + n * 150
            lines.append(#"[{"ev":"T","sym":"AAPL","i":"\#(n)","x":4,"p":190.5,"s":100,"t":\#(t),"q":\#(n + 1),"z":3},{"ev":"Q","sym":"AAPL","bx":1,"bp":190.4,"bs":1,"ax":2,"ap":190.6,"as":1,"t":\#(t),"q":\#(n + 1),"z":3}]"#)
        }
        lines.append(#"{"ev":"T","sym":"MSFT","i":"x","x":4,"p":400.25,"s":10,"t":\#(base + 2_300),"q":1,"z":3}"#)
        lines.append("garbage line")
        try lines.joined(separator: "\n").write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }

        var configuration = SimulatorConfiguration(symbolCount: 0)
        configuration.replay = url.path
        configuration.speed = 1
        try await withSimulator(configuration) { _, port in
            let log = try await converse(port: port) { c in
                try await c.authenticate()
                try await c.send("subscribe", "T.AAPL,T.MSFT")
                #expect(await c.log.wait(timeout: .seconds(30)) { $0.objects.contains { $0["sym"] as? String == "MSFT" } })
            }
            let events = log.objects.filter { $0["ev"] as? String != "status" }
            #expect(events.allSatisfy { $0["ev"] as? String == "T" })
            #expect(events.filter { $0["sym"] as? String == "AAPL" }.compactMap(\.sequence) == Array(1...8))
            #expect(events.last?["p"] as? Double == 400.25)
        }
    }
}
