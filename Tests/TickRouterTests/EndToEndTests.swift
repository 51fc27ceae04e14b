import Foundation
import TickRouter
import TickRouterCLI
import TickRouterConfig
import TickRouterSimulator
import Testing

/// The vertical slice, whole: the default config on the built-in simulator, real WebSocket
/// connections, real Unix-socket readers, checked by sequence numbers.
@Suite("End to end", .serialized)
struct EndToEndTests {
    @Test func aReaderGetsEveryAAPLTradeWhileAnotherReaderStalls() async throws {
        let host = try await TestHost.start()
        defer { Task { await host.stop() } }
        let stats = host.engine.stats
        let sink = try #require(stats.sink(named: "unix-socket"))

        // A reader that subscribes to everything and then never reads, until it has overflowed its
        // queue: from then on it is losing its own events for as long as it stays stalled.
        let stalled = try RawSocketClient(path: host.socketPath)
        stalled.send(#"{"action":"subscribe","params":"T.*,Q.*,A.*,AM.*,LULD.*,NOI.*,FMV.*"}"#)
        func slowDrops() -> Int { sink.dropped.snapshot.first { $0.reason == "slow_client" }?.count ?? 0 }
        try await waitUntil("the stalled reader overflows its queue", limit: .seconds(180)) { slowDrops() > 0 }

        let startEvents = stats.totalEvents
        let dropsBefore = slowDrops()
        let started = ContinuousClock.now
        let summary = try await TapClient(socketPath: host.socketPath, subscribe: "T.AAPL").run(for: .seconds(5))
        let elapsed = ContinuousClock.now - started
        let received = stats.totalEvents - startEvents
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("end-to-end: \(received) events in \(seconds) s = \(Int(Double(received) / seconds)) events/s; AAPL trades \(summary.events)")

        #expect(summary.statuses.prefix(2) == ["connected", "success"])
        #expect(summary.events > 0, "AAPL trades arrived")
        #expect(summary.perChannel.keys.sorted() == ["T"])
        #expect(summary.gaps == 0, "no sequence gap for the reader that keeps up")
        #expect(summary.malformed == 0)
        #expect(slowDrops() > dropsBefore, "the stalled reader kept losing its own events meanwhile")
        #expect(stats.connections.allSatisfy { $0.state == .streaming && $0.malformedFrames.load == 0 })
        withExtendedLifetime(stalled) {}
    }

    @Test func socketProtocolAcksLikeTheProviderAndIsPrivate() async throws {
        let host = try await TestHost.start()
        defer { Task { await host.stop() } }
        var info = stat()
        #expect(stat(host.socketPath, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600, "socket file is private by default")

        let client = try RawSocketClient(path: host.socketPath)
        #expect(client.readLines(1).first == #"{"ev":"status","status":"connected","message":"Connected Successfully"}"#)
        client.send(#"{"action":"subscribe","params":"T.BRK.B, Q.MSFT,ZZ.AAPL"}"#)
        let acks = client.readLines(3)
        #expect(acks.contains(#"{"ev":"status","status":"success","message":"subscribed to: T.BRK.B"}"#))
        #expect(acks.contains(#"{"ev":"status","status":"success","message":"subscribed to: Q.MSFT"}"#))
        #expect(acks.contains(#"{"ev":"status","status":"error","message":"unknown channel: ZZ.AAPL"}"#))
        client.send("this is not json")
        // Until the error and a few events arrived; the limit only guards against a hang.
        var seenEvents = 0
        var seenError = false
        let lines = client.readLines(limit: .seconds(120)) { line in
            if line.hasPrefix(#"{"ev":"T""#) || line.hasPrefix(#"{"ev":"Q""#) { seenEvents += 1 }
            if line.contains("malformed action") { seenError = true }
            return seenError && seenEvents >= 5
        }
        #expect(lines.contains { $0.contains(#""status":"error""#) && $0.contains("malformed action") })
        let events = lines.filter { $0.hasPrefix(#"{"ev":"T""#) || $0.hasPrefix(#"{"ev":"Q""#) }
        #expect(!events.isEmpty)
        #expect(events.allSatisfy { $0.contains(#""sym":"BRK.B""#) || $0.contains(#""sym":"MSFT""#) })
        client.send(#"{"action":"unsubscribe","params":"T.BRK.B,Q.MSFT"}"#)
        let tail = client.readLines(400, limit: .seconds(2))
        #expect(tail.contains(#"{"ev":"status","status":"success","message":"unsubscribed to: Q.MSFT"}"#))
        let afterAck = tail.drop { !$0.contains("unsubscribed to: Q.MSFT") }.dropFirst()
        #expect(afterAck.count < 50, "events stop shortly after the unsubscribe ack")
    }

    @Test func aMalformedFrameIsQuarantinedAndTheStreamGoesOn() async throws {
        let host = try await TestHost.start()
        defer { Task { await host.stop() } }
        let stats = host.engine.stats
        let faults = try #require(host.host.simulator?.faults)
        let reader = try RawSocketClient(path: host.socketPath)
        reader.send(#"{"action":"subscribe","params":"T.*"}"#)
        _ = reader.readLines(50)
        faults.sendMalformedFrame()
        try await waitUntil("the malformed frame is counted") { stats.connections.contains { $0.malformedFrames.load > 0 } }
        let entry = try #require(stats.quarantine.recent.first)
        #expect(entry.reason.hasPrefix("malformed frame: "))
        // The connection stayed up and events keep flowing afterwards.
        let before = stats.totalEvents
        #expect(reader.readLines(200).count >= 200)
        try await waitUntil("events after the bad frame") { stats.totalEvents > before + 1000 }
        #expect(stats.connections.allSatisfy { $0.state == .streaming && $0.reconnects.load == 0 })
    }
}
