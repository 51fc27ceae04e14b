import Foundation
import Logging
import Synchronization
import TickRouter

/// Turns the NATS client's connection events into counters (``SinkLinkStats``, drops by reason)
/// and log lines. Called from libnats' callback threads; all state is atomic or behind a mutex.
///
/// On reconnect it logs what the outage cost: events held in the reconnect buffer and sent, and
/// events lost because that buffer was full.
final class NATSLinkMonitor: Sendable {
    let link: SinkLinkStats
    let stats: SinkStats
    let logger: Logger

    private struct Outage {
        var since: ContinuousClock.Instant?
        var bufferedAtStart = 0
        var lostAtStart = 0
        var lastErrorLog: ContinuousClock.Instant?
        var suppressedErrors = 0
        var closed = false
        var closing = false
    }

    private let outage = Mutex(Outage())
    /// Set by the connect callbacks, read by the publisher before each drained set.
    let connectedEvents = Atomic<Int>(0)

    init(stats: SinkStats, logger: Logger) {
        self.stats = stats
        self.link = stats.link
        self.logger = logger
    }

    private var lost: Int {
        stats.dropped.snapshot.first { $0.reason == DropReason.reconnectBufferFull.description }?.count ?? 0
    }

    func connected(url: String, reconnect: Bool) {
        link.connected.set(1)
        connectedEvents.add(1, ordering: .releasing)
        let (since, buffered, lostBefore) = outage.withLock { state in
            defer { state.since = nil }
            return (state.since, state.bufferedAtStart, state.lostAtStart)
        }
        guard reconnect else {
            logger.info("nats: connected to \(url)")
            return
        }
        link.reconnects.add(1)
        let seconds = since.map { ContinuousClock.now - $0 }.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 } ?? 0
        let sent = link.bufferedWhileDisconnected.load - buffered
        let lostNow = lost - lostBefore
        logger.notice(
            "nats: reconnected to \(url) after \(String(format: "%.1f", seconds)) s; \(sent) events were held in the reconnect buffer and sent, \(lostNow) lost (reconnect buffer full)",
            metadata: ["nats.buffered": "\(sent)", "nats.lost": "\(lostNow)"]
        )
    }

    func disconnected() {
        link.connected.set(0)
        link.disconnects.add(1)
        let buffered = link.bufferedWhileDisconnected.load
        let lostNow = lost
        let closed = outage.withLock { state in
            if state.closing { return true }
            if state.since == nil {
                state.since = .now
                state.bufferedAtStart = buffered
                state.lostAtStart = lostNow
            }
            return state.closed
        }
        if !closed { logger.warning("nats: disconnected; reconnecting, events go to the reconnect buffer until it is full") }
    }

    /// The sink is shutting down: the disconnect that follows is expected, not an outage.
    func closing() {
        outage.withLock { $0.closing = true }
    }

    func closed() {
        link.connected.set(0)
        outage.withLock { $0.closed = true }
        logger.info("nats: connection closed")
    }

    /// An asynchronous error (server `-ERR`, slow consumer, ...). Logged at most once per 5 s.
    func asyncError(slowConsumer: Bool, detail: String) {
        link.asyncErrors.add(1)
        if slowConsumer { link.slowConsumers.add(1) }
        let now = ContinuousClock.now
        let suppressed: Int? = outage.withLock { state in
            if let last = state.lastErrorLog, now - last < .seconds(5) {
                state.suppressedErrors += 1
                return nil
            }
            state.lastErrorLog = now
            defer { state.suppressedErrors = 0 }
            return state.suppressedErrors
        }
        guard let suppressed else { return }
        let line = "nats: asynchronous error: \(detail)" + (slowConsumer ? " (slow consumer)" : "")
            + (suppressed > 0 ? " (\(suppressed) more since the last report)" : "")
        logger.error("\(line)")
    }
}
