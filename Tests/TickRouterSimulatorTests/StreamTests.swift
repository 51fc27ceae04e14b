import Foundation
import Testing
import TickRouterSimulator

@Suite("Generated market data", .serialized)
struct StreamTests {
    @Test func wildcardDeliversOnlyThatChannelWithProviderFieldTypes() async throws {
        try await withSimulator { _, port in
            let log = try await converse(port: port) { c in
                try await c.authenticate()
                try await c.send("subscribe", "T.*,Q.*")
                // Read until enough events arrived; the timeout only guards against a hang.
                #expect(await c.log.wait(timeout: .seconds(30)) { $0.objects.count > 5_000 })
            }
            let events = log.objects.filter { $0["ev"] as? String != "status" }
            #expect(events.count > 4_000, "statuses: \(log.statuses)")
            #expect(Set(events.compactMap { $0["ev"] as? String }) == ["T", "Q"])
            #expect(Set(events.compactMap(\.ticker)).count > 10)
            for trade in events.filter({ $0["ev"] as? String == "T" }).prefix(500) {
                #expect(trade["i"] is String && (trade["x"] as? Int) != nil && (trade["s"] as? Int ?? 0) > 0)
                #expect((trade["p"] as? Double ?? 0) > 0 && (trade["t"] as? Int ?? 0) > 1_000_000_000_000)
                #expect([1, 2, 3].contains(trade["z"] as? Int ?? 0))
            }
            for quote in events.filter({ $0["ev"] as? String == "Q" }).prefix(500) {
                let bid = quote["bp"] as? Double ?? 0
                let ask = quote["ap"] as? Double ?? 0
                #expect(bid > 0 && bid < ask)
                #expect(quote["i"] is [Int] && (quote["bs"] as? Int) != nil && (quote["as"] as? Int) != nil)
            }
            #expect(log.frames.allSatisfy { parseFrame($0).count <= 50 && !parseFrame($0).isEmpty })
        }
    }

    @Test func unsubscribeStopsEvents() async throws {
        try await withSimulator { _, port in
            let log = try await converse(port: port) { c in
                try await c.authenticate()
                try await c.send("subscribe", "Q.SYM0001")
                #expect(await c.log.wait { $0.objects.contains { $0["ev"] as? String == "Q" } })
                try await c.send("unsubscribe", "Q.SYM0001")
                #expect(await c.log.waitForStatus("success", message: "unsubscribed to: Q.SYM0001") != nil)
                try await Task.sleep(for: .milliseconds(500))
            }
            let objects = log.objects
            let ack = try #require(objects.firstIndex { $0["message"] as? String == "unsubscribed to: Q.SYM0001" })
            #expect(objects[..<ack].contains { $0["ev"] as? String == "Q" })
            #expect(!objects[(ack + 1)...].contains { $0["ev"] as? String == "Q" })
        }
    }

    @Test func sequenceConsecutivePerChannelAndSymbol() async throws {
        try await withSimulator { _, port in
            let log = try await converse(port: port) { c in
                try await c.authenticate()
                try await c.send("subscribe", "T.*,Q.*,A.*,AM.*,LULD.*,NOI.*")
                // Enough events that every channel shows up; the timeout only guards against a hang.
                #expect(await c.log.wait(timeout: .seconds(30)) { $0.objects.count > 20_000 })
            }
            var streams: [String: [Int]] = [:]
            for event in log.objects where event["ev"] as? String != "status" {
                guard let ev = event["ev"] as? String, let ticker = event.ticker, let sequence = event.sequence else {
                    Issue.record("event without channel, ticker or sequence: \(event)")
                    continue
                }
                streams["\(ev).\(ticker)", default: []].append(sequence)
            }
            #expect(Set(streams.keys.map { String($0.prefix { $0 != "." }) }) == ["T", "Q", "A", "AM", "LULD", "NOI"])
            #expect(streams.values.reduce(0) { $0 + $1.count } > 20_000)
            for (key, sequences) in streams {
                let first = try #require(sequences.first)
                #expect(sequences == Array(first..<first + sequences.count), "gap in \(key)")
            }
        }
    }

    @Test func sequencesAreSharedByAllConnections() async throws {
        try await withSimulator { _, port in
            async let first = converse(port: port) { c in
                try await c.authenticate()
                try await c.send("subscribe", "T.SYM0001")
                // Until both have plenty of trades; the timeout only guards against a hang.
                #expect(await c.log.wait { $0.objects.filter { $0["ev"] as? String == "T" }.count > 300 })
            }
            async let second = converse(port: port) { c in
                try await c.authenticate()
                try await c.send("subscribe", "T.SYM0001")
                // Until both have plenty of trades; the timeout only guards against a hang.
                #expect(await c.log.wait { $0.objects.filter { $0["ev"] as? String == "T" }.count > 300 })
            }
            let (a, b) = try await (first, second)
            let qa = Set(a.objects.compactMap { $0["ev"] as? String == "T" ? $0.sequence : nil })
            let qb = Set(b.objects.compactMap { $0["ev"] as? String == "T" ? $0.sequence : nil })
            let common = qa.intersection(qb)
            #expect(common.count > 100)
            let prices = { (log: FrameLog) in
                Dictionary(log.objects.compactMap { e in e.sequence.map { ($0, e["p"] as? Double ?? -1) } }) { x, _ in x }
            }
            let pa = prices(a)
            let pb = prices(b)
            #expect(common.allSatisfy { pa[$0] == pb[$0] })
        }
    }

    @Test func businessPathCarriesOnlyFMV() async throws {
        try await withSimulator { _, port in
            let log = try await converse(port: port, path: "/business/stocks") { c in
                try await c.authenticate()
                try await c.send("subscribe", "T.*")
                #expect(await c.log.waitForStatus("error", message: "unknown channel: T") != nil)
                try await c.send("subscribe", "FMV.*")
                #expect(await c.log.wait { $0.objects.filter { $0["ev"] as? String == "FMV" }.count > 250 })
            }
            let events = log.objects.filter { $0["ev"] as? String != "status" }
            #expect(events.count > 200)
            #expect(events.allSatisfy { $0["ev"] as? String == "FMV" })
            #expect(events.allSatisfy { ($0["fmv"] as? Double ?? 0) > 0 && ($0["t"] as? Int ?? 0) > 1_000_000_000_000_000_000 / 1000 })
        }
    }

    @Test func realtimePathRefusesFMV() async throws {
        try await withSimulator { _, port in
            try await converse(port: port) { c in
                try await c.authenticate()
                try await c.send("subscribe", "FMV.*")
                #expect(await c.log.waitForStatus("error", message: "unknown channel: FMV") != nil)
            }
        }
    }
}
