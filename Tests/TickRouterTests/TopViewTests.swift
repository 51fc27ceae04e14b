import Foundation
import TickRouterAdmin
import Testing

/// `tickrouter top`'s screen from two snapshots: rates, lag and drops by reason.
@Suite struct TopViewTests {
    static func snapshot(at millis: Int, events: Int, delivered: Int, dropped: [String: Int]) -> AdminSnapshot {
        AdminSnapshot(
            takenAtMillis: millis, uptimeSeconds: 12,
            connections: [
                .init(name: "primary", feed: "realtime", channels: ["T", "Q"], endpoint: "simulator (in-process)/stocks", state: "streaming",
                      symbols: 50, frames: events / 50, events: events, bytes: events * 100, malformedFrames: 0, reconnects: 1, readLagMillis: 42)
            ],
            channels: [.init(channel: "T", received: events, forwarded: events - 10, quarantined: ["bad_price": 10])],
            sinks: [.init(name: "unix-socket", type: "unix-socket", accepted: events, delivered: delivered, dropped: dropped, clients: 2, queuedEvents: 7)]
        )
    }

    @Test func showsRatesFromTwoSnapshotsAndDropsByReason() {
        let before = Self.snapshot(at: 1_000, events: 10_000, delivered: 9_000, dropped: [:])
        let after = Self.snapshot(at: 3_000, events: 30_000, delivered: 19_000, dropped: ["slow_client": 5, "sink_bytes_full": 3])
        let screen = TopView.render(after, previous: before, health: HealthReport(status: "ok", reasons: []), source: "http://x:1")
        let lines = screen.split(separator: "\n").map(String.init)
        let connection = lines.first { $0.hasPrefix("primary") } ?? ""
        #expect(connection.contains("streaming"))
        #expect(connection.contains("10.0k"), "20000 events over 2 s: \(connection)")
        #expect(connection.contains(" 42 "), "read lag in ms: \(connection)")
        let sink = lines.first { $0.hasPrefix("unix-socket") } ?? ""
        #expect(sink.contains("5000"), "10000 delivered over 2 s: \(sink)")
        #expect(sink.contains("sink_bytes_full 3, slow_client 5"))
        #expect(lines.contains { $0.hasPrefix("T ") && $0.contains("bad_price 10") })
    }

    @Test func theFirstScreenHasNoRatesAndShowsHealthReasons() {
        let now = Self.snapshot(at: 1_000, events: 10, delivered: 10, dropped: [:])
        let health = HealthReport(status: "unhealthy", reasons: [.init(code: "connection_down", subject: "primary", message: "connection primary is backing-off")])
        let screen = TopView.render(now, previous: nil, health: health, source: "http://x:1")
        #expect(screen.contains("health: unhealthy"))
        #expect(screen.contains("! connection_down: connection primary is backing-off"))
        #expect(screen.split(separator: "\n").first { $0.hasPrefix("primary") }?.contains(" - ") == true)
    }
}
