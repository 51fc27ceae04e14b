import Foundation
import Synchronization
import TickRouter
import TickRouterCLI
import TickRouterConfig
import Testing

/// Per-client isolation on the Unix socket: a client that stops reading for 30 s costs three
/// full-rate readers nothing. Latencies are printed for the run with and without the stalled
/// client (never asserted: debug builds on shared cores).
@Suite("Isolation", .serialized, .enabled(if: LoadTests.enabled, LoadTests.reason))
struct IsolationTests {
    /// Trade latencies (receipt wall clock − the event's `t`, ms) seen by one reader.
    final class Latencies: Sendable {
        let samples = Mutex<[Int64]>([])

        func add(_ record: EventRecord?) {
            guard let record, record.channelCode == FeedChannel.T.rawValue, record.flags & EventRecord.Flags.hasTimestamp != 0 else { return }
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            samples.withLock { $0.append(now - record.timestamp) }
        }

        func percentiles() -> String {
            let sorted = samples.withLock { $0.sorted() }
            guard !sorted.isEmpty else { return "no samples" }
            func at(_ p: Double) -> Int64 { sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
            return "p50 \(at(0.5)) ms, p90 \(at(0.9)) ms, p99 \(at(0.99)) ms, max \(sorted.last ?? 0) ms (\(sorted.count) trades)"
        }
    }

    /// Three readers of every trade, side by side, for `seconds`.
    static func threeReaders(_ host: TestHost, seconds: Int) async throws -> [(TapClient.Summary, Latencies)] {
        try await withThrowingTaskGroup(of: (TapClient.Summary, Latencies).self) { group in
            for _ in 0..<3 {
                group.addTask {
                    let latencies = Latencies()
                    let summary = try await TapClient(socketPath: host.socketPath, subscribe: "T.*").run(for: .seconds(seconds)) { _, record, _ in
                        latencies.add(record)
                    }
                    return (summary, latencies)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    @Test func aClientStalledFor30SecondsCostsThreeFullRateReadersNothing() async throws {
        let host = try await TestHost.start()
        defer { Task { await host.stop() } }
        let sink = try #require(host.engine.stats.sink(named: "unix-socket"))
        func slowDrops() -> Int { sink.dropped.snapshot.first { $0.reason == "slow_client" }?.count ?? 0 }

        let baseline = try await Self.threeReaders(host, seconds: 10)
        for (index, (summary, latencies)) in baseline.enumerated() {
            print("isolation baseline reader \(index): \(summary.events) trades, \(summary.gaps) gaps; \(latencies.percentiles())")
        }

        let stalled = try RawSocketClient(path: host.socketPath)
        stalled.send(#"{"action":"subscribe","params":"T.*,Q.*,A.*,AM.*,LULD.*,NOI.*,FMV.*"}"#)
        let dropsBefore = slowDrops()
        let during = try await Self.threeReaders(host, seconds: 30)
        for (index, (summary, latencies)) in during.enumerated() {
            print("isolation with a stalled client, reader \(index): \(summary.events) trades, \(summary.gaps) gaps; \(latencies.percentiles())")
        }
        print("isolation: the stalled client lost \(slowDrops() - dropsBefore) events (its own)")

        for (summary, _) in baseline + during {
            #expect(summary.events > 0)
            #expect(summary.gaps == 0, "a reader that keeps up sees no gap")
            #expect(summary.malformed == 0)
        }
        #expect(slowDrops() > dropsBefore, "the stalled client really fell behind and paid for it alone")
        #expect(host.engine.stats.connections.allSatisfy { $0.state == .streaming })
        withExtendedLifetime(stalled) {}
    }
}
