#if NATS
import Foundation
import TickRouter
import TickRouterCLI
import TickRouterConfig
import TickRouterPlugins
import Synchronization
import Testing

/// The `nats` sink against a real nats-server on loopback: simulator → router → nats-server → a C
/// subscriber that checks sequence numbers. Compiled only with `--traits NATS`; skipped (with the
/// reason printed) where no nats-server binary is installed.
@Suite(
    "NATS sink", .serialized,
    .enabled(if: NATSServerProcess.binary != nil, "nats-server is not installed (apt-get install -y nats-server)")
)
struct NATSSinkTests {
    static let routerConfig = "Tests/TickRouterTests/Fixtures/nats/router.yaml"
    static let jetstreamConfig = "Tests/TickRouterTests/Fixtures/nats/jetstream.yaml"

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    @Test(arguments: ["event", "batch"])
    func aSubscriberGetsEveryTradeWithoutAGap(payload: String) async throws {
        let server = try NATSServerProcess()
        try await server.start()
        defer { server.stop() }
        // batch mode sends arrays; this subscriber decodes single events, so it checks event mode's
        // bytes and batch mode's counts (arrays are checked in the next test).
        let subscriber = try NATSTestSubscriber(url: server.url, subject: "md.stocks.T.>")
        defer { subscriber.close() }
        let host = try await TestHost.start(
            config: Self.routerConfig, environment: ["NATS_URL": server.url, "NATS_PAYLOAD": payload], waitForSocket: false
        )
        let stats = host.engine.stats
        let sink = try #require(stats.sink(named: "nats"))
        try await waitUntil("the sink connected") { sink.link.connected.load == 1 }

        let startEvents = stats.totalEvents
        let startMessages = sink.link.messagesPublished.load
        let startDelivered = sink.delivered.load
        let started = ContinuousClock.now
        if payload == "event" {
            try await waitUntil("100,000 trades at the subscriber", limit: .seconds(120)) { subscriber.events >= 100_000 }
        } else {
            try await waitUntil("500,000 events published", limit: .seconds(120)) { sink.delivered.load - startDelivered >= 500_000 }
        }
        let elapsed = seconds(ContinuousClock.now - started)
        let events = stats.totalEvents - startEvents
        let published = sink.delivered.load - startDelivered
        let messages = sink.link.messagesPublished.load - startMessages
        print(
            "nats (\(payload)): router received \(Int(Double(events) / elapsed)) events/s; published \(Int(Double(published) / elapsed)) events/s "
                + "in \(Int(Double(messages) / elapsed)) messages/s over \(String(format: "%.1f", elapsed)) s"
        )
        // While streaming nothing is dropped. (Stopping below is a hard cancel: what is in flight then
        // is counted as `shutdown`, which is not this test's subject.)
        let droppedWhileStreaming = sink.dropped.snapshot.filter { $0.count > 0 }
        await host.stop()
        subscriber.flush()

        let seen = subscriber.withState { $0 }
        print("nats (\(payload)): subscriber md.stocks.T.> got \(seen.events) events, \(seen.gaps) gaps, \(seen.malformed) undecodable")
        #expect(droppedWhileStreaming.isEmpty, "nothing dropped while streaming: \(droppedWhileStreaming)")
        #expect(sink.link.asyncErrors.load == 0)
        if payload == "event" {
            #expect(seen.events >= 100_000)
            #expect(seen.gaps == 0, "no sequence gap for a subscriber that keeps up")
            #expect(seen.malformed == 0)
            #expect(seen.subjectMismatches == 0, "the subject's symbol token unescapes to the event's symbol")
            let brk = seen.lastSubject.values.filter { $0.hasPrefix("md.stocks.T.BRK") }
            #expect(brk.allSatisfy { $0 == "md.stocks.T.BRK%2EB" }, "BRK.B stays one token: \(brk)")
            #expect(!brk.isEmpty)
        } else {
            #expect(messages < published, "batch mode packs several events per message")
        }
    }

    @Test func batchPayloadIsAJSONArrayOfTheProviderEventsOfOneSubject() async throws {
        let server = try NATSServerProcess()
        try await server.start()
        defer { server.stop() }
        let arrays = ArrayCollector()
        let subscriber = try NATSTestSubscriber(url: server.url, subject: "md.stocks.T.AAPL", raw: arrays)
        defer { subscriber.close() }
        let host = try await TestHost.start(
            config: Self.routerConfig, environment: ["NATS_URL": server.url, "NATS_PAYLOAD": "batch"], waitForSocket: false
        )
        try await waitUntil("AAPL trade arrays") { arrays.count >= 20 }
        await host.stop()
        subscriber.flush()
        var lastSequence: Int?
        var gaps = 0
        for payload in arrays.payloads {
            let decoded = try JSONSerialization.jsonObject(with: Data(payload)) as? [[String: Any]]
            let events = try #require(decoded, "each message is a JSON array of objects")
            #expect(!events.isEmpty)
            for event in events {
                #expect(event["ev"] as? String == "T")
                #expect(event["sym"] as? String == "AAPL")
                let sequence = try #require(event["q"] as? Int)
                if let lastSequence, sequence != lastSequence + 1 { gaps += 1 }
                lastSequence = sequence
            }
        }
        #expect(gaps == 0, "arrays keep the per-symbol order and lose nothing")
    }

    @Test func aLateJoinerGetsTheLastValuePerSubjectFromJetStream() async throws {
        let server = try NATSServerProcess(jetstream: true)
        try await server.start()
        defer { server.stop() }
        let subscriber = try NATSTestSubscriber(url: server.url, subject: "md.stocks.T.>")
        defer { subscriber.close() }
        let host = try await TestHost.start(config: Self.jetstreamConfig, environment: ["NATS_URL": server.url], waitForSocket: false)
        try await waitUntil("the stream exists and fills") { ((try? jetStreamState(url: server.url, stream: "MD_LAST"))?.messages ?? 0) > 100 }
        try await waitUntil("20,000 trades at the live subscriber", limit: .seconds(60)) { subscriber.events >= 20_000 }
        await host.stop()
        // The router's last publishes and the subscriber's flush travel on different connections, so
        // wait until the stream stops growing before draining the subscriber.
        var lastSequence = try jetStreamState(url: server.url, stream: "MD_LAST").lastSequence
        while true {
            try await Task.sleep(for: .milliseconds(300))
            let now = try jetStreamState(url: server.url, stream: "MD_LAST").lastSequence
            if now == lastSequence { break }
            lastSequence = now
        }
        subscriber.flush()

        let state = try jetStreamState(url: server.url, stream: "MD_LAST")
        print("jetstream: stream MD_LAST holds \(state.messages) messages over \(state.subjects) subjects")
        #expect(state.messages == UInt64(state.subjects), "max_msgs_per_subject 1: one message per subject")

        // A late joiner reads the last trade of every symbol the live subscriber saw; it must be the
        // very last one published (same sequence number).
        let live = subscriber.withState { $0 }
        let decoderSymbols = SymbolTable()
        var decoder = FrameDecoder(market: .stocks, symbols: decoderSymbols)
        var checked = 0
        for (key, subject) in live.lastSubject {
            let bytes = try #require(try jetStreamLastMessage(url: server.url, stream: "MD_LAST", subject: subject), "last value of \(subject)")
            let record = try #require(try bytes.withUnsafeBytes { try decoder.decodeEvent($0).get() })
            #expect(record.sequence == live.last[key], "\(subject): stored q \(record.sequence), last published q \(live.last[key] ?? -1)")
            checked += 1
        }
        #expect(checked >= 20, "checked the last value of \(checked) subjects")
    }

    @Test func theRouterReconnectsAfterANATSRestartAndCountsWhatWasBufferedOrLost() async throws {
        let server = try NATSServerProcess()
        try await server.start()
        defer { server.stop() }
        let subscriber = try NATSTestSubscriber(url: server.url, subject: "md.stocks.T.>")
        defer { subscriber.close() }
        // A small reconnect buffer, so that an outage of a second overflows it.
        let host = try await TestHost.start(
            config: Self.routerConfig, environment: ["NATS_URL": server.url, "NATS_RECONNECT_BUFFER": "256KiB"], waitForSocket: false
        )
        let sink = try #require(host.engine.stats.sink(named: "nats"))
        try await waitUntil("trades flowing") { subscriber.events >= 10_000 }

        server.stop()
        try await waitUntil("the sink saw the disconnect") { sink.link.disconnects.load >= 1 && sink.link.connected.load == 0 }
        try await waitUntil("events held in the reconnect buffer") { sink.link.bufferedWhileDisconnected.load > 0 }
        try await waitUntil("the reconnect buffer overflowed") { Self.lost(sink) > 0 }
        let beforeRestart = subscriber.events
        try await server.start()
        try await waitUntil("the sink reconnected") { sink.link.reconnects.load >= 1 && sink.link.connected.load == 1 }
        try await waitUntil("trades flow again") { subscriber.events >= beforeRestart + 10_000 }
        let outage = subscriber.withState { ($0.gaps, $0.missing) }

        // After the disruption the stream is whole again.
        subscriber.resetSequences()
        let resumed = subscriber.events
        try await waitUntil("20,000 more trades") { subscriber.events >= resumed + 20_000 }
        let after = subscriber.withState { ($0.gaps, $0.missing) }
        let buffered = sink.link.bufferedWhileDisconnected.load
        let lost = Self.lost(sink)
        await host.stop()
        print(
            "nats restart: router buffered \(buffered) events while disconnected and lost \(lost) (reconnect_buffer_full); "
                + "the T.> subscriber saw \(outage.0) gaps (\(outage.1) trades missing) across the outage and \(after.0) after it"
        )
        #expect(sink.link.reconnects.load >= 1)
        #expect(buffered > 0)
        #expect(lost > 0)
        #expect(outage.1 > 0, "the subscriber really missed trades during the outage")
        #expect(after.0 == 0, "no gap once reconnected")
        let shutdownDrops = sink.dropped.snapshot.first { $0.reason == DropReason.shutdown.description }?.count ?? 0
        #expect(
            sink.accepted.load >= sink.delivered.load + sink.dropped.total - shutdownDrops,
            "every accepted event was delivered, dropped with a reason, or was still queued at shutdown"
        )
    }

    static func lost(_ sink: SinkStats) -> Int {
        sink.dropped.snapshot.first { $0.reason == DropReason.reconnectBufferFull.description }?.count ?? 0
    }
}
#endif
