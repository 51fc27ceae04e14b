import DequeModule
import HummingbirdWebSocket
import NIOCore
import NIOWebSocket
import Synchronization
import TickRouter

/// One client of the WebSocket sink: its auth state, subscription and bounded queue of frames.
///
/// The sink's task appends encoded frames under the session's lock (once per drain, never per
/// event) and never waits on the socket; the connection's own sender task writes them. A client
/// whose queue passes its event or byte limit loses its oldest frames (announced with a `gap`
/// status object at the front of the next frame) or is disconnected, per `slow_client`.
final class WebSocketClientSession: Sendable {
    enum Outgoing: Sendable {
        case data(ByteBuffer, events: Int)
        case control(ByteBuffer)
        case close(WebSocketErrorCode)
    }

    struct State {
        var subscription = ClientSubscription()
        var authenticated = false
        var closing = false
        var outbox = Deque<Outgoing>()
        var queuedEvents = 0
        var queuedBytes = 0
        /// Events dropped since the last `gap` status object.
        var droppedSinceAnnounce = 0
    }

    let channel: any Channel
    let limits: WebSocketSink.ClientLimits
    let stats: SinkStats
    private let state = Mutex(State())
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    init(channel: any Channel, limits: WebSocketSink.ClientLimits, stats: SinkStats) {
        self.channel = channel
        self.limits = limits
        self.stats = stats
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// The subscription, or nil until the client has authenticated.
    var activeSubscription: ClientSubscription? {
        state.withLock { $0.authenticated && !$0.closing && !$0.subscription.isEmpty ? $0.subscription : nil }
    }

    var isAuthenticated: Bool { state.withLock { $0.authenticated } }

    func authenticate() { state.withLock { $0.authenticated = true } }

    func update(_ change: (inout ClientSubscription) -> Void) {
        state.withLock { change(&$0.subscription) }
    }

    /// Queues a status array; it is never dropped and not counted against the queue limits.
    func send(_ frame: ByteBuffer) {
        let queued = state.withLock { state -> Bool in
            guard !state.closing else { return false }
            state.outbox.append(.control(frame))
            return true
        }
        if queued { wake.yield() }
    }

    /// Queues an optional last status frame and a close; anything queued before still goes out first.
    func close(after frame: ByteBuffer?, code: WebSocketErrorCode = .normalClosure, discardQueued: Bool = false) {
        let dropped = state.withLock { state -> Int in
            guard !state.closing else { return 0 }
            state.closing = true
            var dropped = 0
            if discardQueued {
                dropped = state.queuedEvents
                state.outbox.removeAll()
                state.queuedEvents = 0
                state.queuedBytes = 0
            }
            if let frame { state.outbox.append(.control(frame)) }
            state.outbox.append(.close(code))
            return dropped
        }
        if dropped > 0 { stats.drop(.slowClient, dropped) }
        wake.yield()
        // A client that does not read never receives the close frame: cut the TCP connection.
        let channel = self.channel
        channel.eventLoop.scheduleTask(in: .seconds(5)) { channel.close(promise: nil) }
    }

    /// Appends one drain's frames for this client and applies the slow-client policy.
    func enqueue(_ encoded: EncodedFrames) {
        var disconnect = false
        let dropped = state.withLock { state -> Int in
            guard !state.closing else { return 0 }
            for frame in encoded.frames {
                state.outbox.append(.data(frame.buffer, events: frame.events))
                state.queuedEvents += frame.events
                state.queuedBytes += frame.buffer.readableBytes
            }
            guard state.queuedEvents > limits.events || state.queuedBytes > limits.bytes else { return 0 }
            if limits.disconnectSlowClients {
                disconnect = true
                return 0
            }
            // Drop the oldest data frames (control frames stay, in order) until within the limits.
            var dropped = 0
            var kept = Deque<Outgoing>()
            kept.reserveCapacity(state.outbox.count)
            let lastIndex = state.outbox.count - 1
            for (index, item) in state.outbox.enumerated() {
                // The newest frame always stays: a client is only ever behind by older events.
                if index < lastIndex, case .data(let buffer, let events) = item,
                    state.queuedEvents > limits.events || state.queuedBytes > limits.bytes
                {
                    state.queuedEvents -= events
                    state.queuedBytes -= buffer.readableBytes
                    dropped += events
                } else {
                    kept.append(item)
                }
            }
            state.outbox = kept
            state.droppedSinceAnnounce += dropped
            return dropped
        }
        if disconnect {
            close(
                after: EncodedFrames.status("slow_consumer", "client fell behind by more than its queue; disconnecting"),
                discardQueued: true
            )
            return
        }
        if dropped > 0 { stats.drop(.slowClient, dropped) }
        wake.yield()
    }

    /// Events still queued (dropped as `disconnected` when the connection ends).
    func discardQueued() -> Int {
        state.withLock { state in
            let events = state.queuedEvents
            state.outbox.removeAll()
            state.queuedEvents = 0
            state.queuedBytes = 0
            state.closing = true
            return events
        }
    }

    /// Writes queued frames until a close is written, the client goes away or the task is cancelled.
    func runSender(_ outbound: WebSocketOutboundWriter) async throws {
        for await _ in wakeups {
            while let (item, gap) = nextItem() {
                switch item {
                case .control(let buffer):
                    try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: buffer)))
                case .data(let buffer, let events):
                    var frame = buffer
                    if gap > 0 {
                        let status = StatusLine.json(
                            status: "gap", message: "slow client: \(gap) events dropped", extra: [("dropped", gap)]
                        )
                        frame = EncodedFrames.prepending(status, to: buffer)
                    }
                    try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: frame)))
                    stats.delivered.add(events)
                case .close(let code):
                    try await outbound.close(code, reason: nil)
                    return
                }
            }
            if Task.isCancelled { return }
        }
    }

    /// Takes the next item off the queue, with the number of dropped events to announce before a data frame.
    private func nextItem() -> (Outgoing, Int)? {
        state.withLock { state in
            guard let item = state.outbox.popFirst() else { return nil }
            var gap = 0
            if case .data(let buffer, let events) = item {
                state.queuedEvents -= events
                state.queuedBytes -= buffer.readableBytes
                gap = state.droppedSinceAnnounce
                state.droppedSinceAnnounce = 0
            }
            return (item, gap)
        }
    }

    /// Stops the sender loop (connection over).
    func finish() { wake.finish() }
}
