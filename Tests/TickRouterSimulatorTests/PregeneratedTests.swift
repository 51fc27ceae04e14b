import Foundation
import Testing
import TickRouterSimulator

@Suite("Pre-generated pool", .serialized)
struct PregeneratedTests {
    /// Round after round of the same pool, every (channel, symbol) still counts up by one, every
    /// event is valid JSON with a fresh time, and only trades and quotes come.
    @Test func thePoolRepeatsWithConsecutiveSequencesAndFreshTimes() async throws {
        let configuration = SimulatorConfiguration(symbolCount: 20, rate: 50_000, pregenerated: 500)
        let startedMillis = Int(Date().timeIntervalSince1970 * 1000)
        try await withSimulator(configuration) { _, port in
            let log = try await converse(port: port) { c in
                try await c.authenticate()
                try await c.send("subscribe", "T.*,Q.*")
                // Many times the pool's 500 events; the timeout only guards against a hang.
                #expect(await c.log.wait(timeout: .seconds(60)) { $0.objects.count > 6_000 })
            }
            let events = log.objects.filter { $0["ev"] as? String != "status" }
            #expect(events.count > 5_000)
            #expect(Set(events.compactMap { $0["ev"] as? String }) == ["T", "Q"])
            var last: [String: Int] = [:]
            var jumps = 0
            for event in events {
                let key = "\(event["ev"] ?? "").\(event["sym"] ?? "")"
                let q = event["q"] as? Int ?? -1
                if let previous = last[key], q != previous + 1 { jumps += 1 }
                last[key] = q
                #expect((event["t"] as? Int ?? 0) >= startedMillis - 1000, "a fresh time, not the pool's")
            }
            #expect(jumps == 0, "sequences stay consecutive across rounds of the pool")
            #expect(last.values.contains { $0 > 100 }, "the busiest symbols went round many times")
        }
    }
}
