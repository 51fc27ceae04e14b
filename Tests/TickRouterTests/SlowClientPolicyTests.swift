import Foundation
import Synchronization
import TickRouter
import TickRouterCLI
@testable import TickRouterPlugins
import Testing

/// `slow_client: drop-oldest | conflate | demote | disconnect` end to end: a real Unix-socket reader
/// stalls, then reads at full speed; what it receives at each announced level is checked line by
/// line. (`drop-oldest`, the default, is also covered by `EndToEndTests` and `IsolationTests`.)
@Suite("Slow-client policies", .serialized, .enabled(if: LoadTests.enabled, LoadTests.reason))
struct SlowClientPolicyTests {
    struct Status {
        var index: Int
        var status: String
        var level: Int?
        var dropped: Int?
    }

    static func statuses(_ lines: [String]) -> [Status] {
        lines.enumerated().compactMap { index, line in
            guard line.hasPrefix(#"{"ev":"status""#),
                let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                let status = object["status"] as? String
            else { return nil }
            return Status(index: index, status: status, level: object["level"] as? Int, dropped: object["dropped"] as? Int)
        }
    }

    static func channel(_ line: String) -> String? {
        guard line.hasPrefix(#"{"ev":""#), !line.hasPrefix(#"{"ev":"status""#) else { return nil }
        let rest = line.dropFirst(7)
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    /// Stalls a reader subscribed to everything until the policy acts, then reads until it is back at ticks.
    static func stallThenCatchUp(policy: String, stall: Duration) async throws -> (lines: [String], transitions: Int) {
        let host = try await TestHost.start(config: "Tests/TickRouterTests/Fixtures/configs/unix-slow-client.yaml", environment: ["TR_SLOW_CLIENT": policy])
        defer { Task { await host.stop() } }
        let sink = try #require(host.engine.stats.sink(named: "unix-socket"))
        let client = try RawSocketClient(path: host.socketPath)
        client.send(#"{"action":"subscribe","params":"T.*,Q.*,AM.*,LULD.*,NOI.*"}"#)
        try await waitUntil("the client to be demoted", limit: .seconds(60)) { sink.clientTransitions.load >= 1 }
        try await Task.sleep(for: stall)
        let lines = await onOwnThread {
            client.readLines(limit: .seconds(120)) { line in
                line.hasPrefix(#"{"ev":"status","status":"promoted""#) && line.contains(#""level":0"#)
            }
        }
        // After promotion back to ticks, trades flow again.
        let after = await onOwnThread { client.readLines(limit: .seconds(30)) { $0.hasPrefix(#"{"ev":"T""#) } }
        return (lines + after, sink.clientTransitions.load)
    }

    @Test func conflateKeepsTheLatestQuotesAndBarsDropsTradesWithAGapAndComesBack() async throws {
        let (lines, transitions) = try await Self.stallThenCatchUp(policy: "conflate", stall: .seconds(2))
        let statuses = Self.statuses(lines)
        let levels = statuses.filter { $0.status == "demoted" || $0.status == "promoted" }
        print("conflate: \(lines.count) lines read, transitions \(levels.map { "\($0.status)→\($0.level ?? -1)" }), counted \(transitions)")
        let demoted = try #require(levels.first { $0.status == "demoted" })
        let promoted = try #require(levels.last { $0.status == "promoted" && $0.level == 0 }, "the client came back to ticks")
        #expect(demoted.level == 1)
        #expect(levels.allSatisfy { ($0.level ?? -1) <= 1 }, "conflate never goes below conflated quotes")
        #expect(transitions >= 2)
        let window = lines[demoted.index..<promoted.index]
        let channels = Set(window.compactMap(Self.channel))
        #expect(!channels.contains("T") && !channels.contains("LULD") && !channels.contains("NOI"), "trades are never conflated: \(channels)")
        #expect(channels.contains("Q"), "the latest quotes arrive while conflated")
        #expect(statuses.contains { $0.status == "gap" && ($0.dropped ?? 0) > 0 && $0.index > demoted.index }, "dropped trades are announced")
        #expect(lines[promoted.index...].contains { Self.channel($0) == "T" }, "trades again after promotion")
    }

    @Test func demoteStepsDownToBarsAndBackUpAnnouncingEveryStep() async throws {
        let (lines, transitions) = try await Self.stallThenCatchUp(policy: "demote", stall: .seconds(4))
        let statuses = Self.statuses(lines)
        let levels = statuses.filter { $0.status == "demoted" || $0.status == "promoted" }
        print("demote: \(lines.count) lines read, transitions \(levels.map { "\($0.status)→\($0.level ?? -1)" }), counted \(transitions)")
        let barsOnly = try #require(levels.first { $0.status == "demoted" && $0.level == 2 }, "stepped down to bars only")
        let backToConflated = try #require(levels.first { $0.status == "promoted" && $0.level == 1 && $0.index > barsOnly.index })
        let backToTicks = try #require(levels.last { $0.status == "promoted" && $0.level == 0 })
        #expect(backToConflated.index < backToTicks.index)
        #expect(levels.first?.level == 1, "the first step is to conflated quotes")
        // Each step is one level at a time.
        var level = 0
        for step in levels {
            #expect(abs((step.level ?? 0) - level) == 1, "\(step.status) to \(step.level ?? -1) from \(level)")
            level = step.level ?? level
        }
        #expect(transitions >= levels.count)
        let barsWindow = lines[barsOnly.index..<backToConflated.index]
        let barChannels = Set(barsWindow.compactMap(Self.channel))
        #expect(barChannels.isSubset(of: ["AM", "A"]), "bars only: \(barChannels)")
        #expect(lines[backToTicks.index...].contains { Self.channel($0) == "T" }, "trades again at ticks")
    }

    /// Per (ev, sym): whether every `q` follows the one before, between the announced gaps.
    static func breaksBetweenGaps(_ lines: [String]) -> (events: Int, gaps: Int, breaks: Int, unreadable: Int) {
        var last: [String: Int] = [:]
        var events = 0, gaps = 0, breaks = 0, unreadable = 0
        for line in lines {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let ev = object["ev"] as? String else {
                unreadable += 1
                continue
            }
            if ev == "status" {
                if object["status"] as? String == "gap" {
                    gaps += 1
                    last.removeAll()  // what follows an announced gap starts afresh
                }
                continue
            }
            guard let symbol = (object["sym"] ?? object["T"]) as? String, let q = (ev == "NOI" ? object["i"] : object["q"]) as? Int else { continue }
            events += 1
            if let previous = last[ev + "." + symbol], q != previous + 1 { breaks += 1 }
            last[ev + "." + symbol] = q
        }
        return (events, gaps, breaks, unreadable)
    }

    @Test func dropOldestAClientThatStopsReadingKeepsItsOwnCopyAndResumesWithTheNewestEventsIntact() async throws {
        let host = try await TestHost.start(config: "Tests/TickRouterTests/Fixtures/configs/unix-slow-client.yaml", environment: ["TR_SLOW_CLIENT": "drop-oldest"])
        defer { Task { await host.stop() } }
        let sink = try #require(host.engine.stats.sink(named: "unix-socket"))
        func slowDrops() -> Int { sink.dropped.snapshot.first { $0.reason == "slow_client" }?.count ?? 0 }
        let copiedBefore = SocketClient.copiedDrains.load(ordering: .relaxed)
        let client = try RawSocketClient(path: host.socketPath)
        client.send(#"{"action":"subscribe","params":"T.*,Q.*"}"#)
        try await waitUntil("the client falls behind", limit: .seconds(60)) { slowDrops() > 0 }
        try await Task.sleep(for: .seconds(1))
        let copied = SocketClient.copiedDrains.load(ordering: .relaxed) - copiedBefore
        // Reads again: what the kernel held, the copies it kept (the newest events), then the live stream.
        let lines = await onOwnThread { client.readLines(30_000, limit: .seconds(30)) }
        let (events, gaps, breaks, unreadable) = Self.breaksBetweenGaps(lines)
        print("drop-oldest: \(copied) drains kept as the client's own copy while it did not read; then \(lines.count) lines: \(events) events, \(gaps) gap lines, \(breaks) sequence breaks outside them, \(unreadable) unreadable; \(slowDrops()) counted as slow_client")
        #expect(copied > 0, "a client that stopped reading keeps copies, not the sink's shared buffers")
        #expect(gaps >= 1, "what it lost is announced")
        #expect(unreadable == 0, "every line it kept is one whole event")
        #expect(breaks == 0, "between announced gaps its events are consecutive")
        #expect(events > 10_000)
    }

    @Test func disconnectClosesAStalledClientAndCountsWhatItHeldWhileAFastOneLosesNothing() async throws {
        let host = try await TestHost.start(config: "Tests/TickRouterTests/Fixtures/configs/unix-slow-client.yaml", environment: ["TR_SLOW_CLIENT": "disconnect"])
        defer { Task { await host.stop() } }
        let sink = try #require(host.engine.stats.sink(named: "unix-socket"))
        func slowDrops() -> Int { sink.dropped.snapshot.first { $0.reason == "slow_client" }?.count ?? 0 }
        let fast = Task { try await TapClient(socketPath: host.socketPath, subscribe: "T.*").run(for: .seconds(6)) }
        try await waitUntil("the fast reader is connected") { sink.clients.load == 1 }
        let stalled = try RawSocketClient(path: host.socketPath)
        stalled.send(#"{"action":"subscribe","params":"T.*,Q.*,AM.*,LULD.*,NOI.*"}"#)
        try await waitUntil("the stalled client is cut off", limit: .seconds(60)) { slowDrops() > 0 }
        try await waitUntil("it is gone from the sink") { sink.clients.load == 1 }
        // What the kernel still held for it, then the end of the stream: the socket was closed.
        let started = ContinuousClock.now
        let lines = await onOwnThread { stalled.readLines(limit: .seconds(30)) { _ in false } }
        let closed = ContinuousClock.now - started < .seconds(30)
        let summary = try await fast.value
        let announced = lines.contains { $0.hasPrefix(#"{"ev":"status","status":"slow_consumer""#) }
        print("disconnect: stalled client read \(lines.count) lines then end of stream (\(announced ? "with the slow_consumer line" : "without the slow_consumer line, which cannot arrive while the client's socket is full")); \(slowDrops()) events counted as slow_client; fast reader \(summary.events) trades, \(summary.gaps) gaps")
        #expect(closed, "the stalled client's socket reaches end of stream")
        #expect(slowDrops() > 0, "what it held is counted")
        #expect(summary.events > 0 && summary.gaps == 0, "the fast reader loses nothing")
    }
}
