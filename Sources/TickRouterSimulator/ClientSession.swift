import HummingbirdWebSocket
import NIOCore
import NIOWebSocket
import Synchronization

/// One connected client: its path, auth state, subscriptions and outbox of frames.
///
/// The generator appends frames under the session's lock and never waits on the socket; a
/// per-connection sender task drains the outbox. When more than `maxPendingFrames` data frames
/// are waiting the client is told `slow_consumer` and closed, like the provider does.
final class ClientSession: Sendable {
    /// Something queued for the socket.
    enum Outgoing: Sendable {
        case frame(ByteBuffer, isData: Bool)
        case close(WebSocketErrorCode, reason: String?)
    }

    struct State {
        var subscriptions = SubscriptionSet()
        var outbox: [Outgoing] = []
        var pendingDataFrames = 0
        var authenticated = false
        /// The key this session authenticated with (for the per-key connection budget).
        var apiKey: String?
        var closing = false
        /// Events in the last outbox item if it is a data frame the generator may still extend.
        var openFrameEvents = 0
    }

    let id: Int
    let path: FeedPath
    let channel: any Channel
    let state = Mutex(State())
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    init(id: Int, path: FeedPath, channel: any Channel) {
        self.id = id
        self.path = path
        self.channel = channel
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues a control frame (status array) unless the session is closing.
    func send(_ frame: ByteBuffer) {
        let queued = state.withLock { state -> Bool in
            guard !state.closing else { return false }
            state.outbox.append(.frame(frame, isData: false))
            return true
        }
        if queued { wake.yield() }
    }

    /// Queues an optional last frame then a close; later frames are discarded.
    func close(after frame: ByteBuffer?, code: WebSocketErrorCode) {
        state.withLock { state in
            guard !state.closing else { return }
            state.closing = true
            if let frame { state.outbox.append(.frame(frame, isData: false)) }
            state.outbox.append(.close(code, reason: nil))
        }
        wake.yield()
        // If the client does not read, the close frame never gets out: cut the TCP connection.
        let channel = self.channel
        channel.eventLoop.scheduleTask(in: .seconds(5)) { channel.close(promise: nil) }
    }

    /// Closes the TCP connection without a WebSocket close handshake.
    func drop() {
        state.withLock { $0.closing = true }
        channel.close(promise: nil)
        wake.finish()
    }

    /// Appends the batch's events matching this session's subscriptions as frames of at most
    /// `eventsPerFrame` events. Returns false if the session just overflowed.
    func deliver(
        _ batch: EventBatch, eventsPerFrame: Int, maxPendingFrames: Int, allocator: ByteBufferAllocator
    ) {
        let overflowed = state.withLock { state -> Bool in
            guard !state.closing, !state.subscriptions.isEmpty else { return false }
            var frame: ByteBuffer?
            var inFrame = 0
            var produced = 0
            // While the sender lags, keep filling the last queued data frame (the provider packs
            // more events per frame when it has a backlog).
            if state.openFrameEvents > 0, state.openFrameEvents < eventsPerFrame,
                case .frame(var last, isData: true)? = state.outbox.last
            {
                state.outbox.removeLast()
                last.moveWriterIndex(to: last.writerIndex - 1)  // reopen: drop the closing "]"
                frame = last
                inFrame = state.openFrameEvents
                produced = -1  // it was already counted
            }
            state.openFrameEvents = 0
            batch.writer.bytes.withUnsafeBytes { bytes in
                for event in batch.events
                where state.subscriptions.matches(channel: Int(event.channel), symbol: Int(event.symbol)) {
                    let start = Int(event.start)
                    let slice = UnsafeRawBufferPointer(rebasing: bytes[start..<start + Int(event.length)])
                    if inFrame == 0 {
                        var buffer = allocator.buffer(capacity: min(1 << 16, Int(event.length) * eventsPerFrame + 2))
                        buffer.writeInteger(UInt8(ascii: "["))
                        frame = buffer
                    } else {
                        frame?.writeInteger(UInt8(ascii: ","))
                    }
                    frame?.writeBytes(slice)
                    inFrame += 1
                    if inFrame >= eventsPerFrame, var full = frame {
                        full.writeInteger(UInt8(ascii: "]"))
                        state.outbox.append(.frame(full, isData: true))
                        produced += 1
                        frame = nil
                        inFrame = 0
                    }
                }
            }
            if var last = frame {
                last.writeInteger(UInt8(ascii: "]"))
                state.outbox.append(.frame(last, isData: true))
                produced += 1
                state.openFrameEvents = inFrame
            }
            state.pendingDataFrames += produced
            return produced > 0 && state.pendingDataFrames > maxPendingFrames
        }
        if overflowed {
            state.withLock { state in
                state.outbox.removeAll()
                state.pendingDataFrames = 0
            }
            close(
                after: StatusFrame.make("slow_consumer", "consumer is too slow: buffer of \(maxPendingFrames) frames exceeded"),
                code: .normalClosure
            )
        } else {
            wake.yield()
        }
    }

    /// Writes queued frames until a close is queued, the client goes away or the task is cancelled.
    func runSender(_ outbound: WebSocketOutboundWriter) async throws {
        for await _ in wakeups {
            while true {
                let items = state.withLock { state -> [Outgoing] in
                    let items = state.outbox
                    state.outbox.removeAll(keepingCapacity: true)
                    state.openFrameEvents = 0
                    return items
                }
                if items.isEmpty { break }
                var written = 0
                for item in items {
                    switch item {
                    case .frame(let buffer, let isData):
                        try await outbound.write(.custom(WebSocketFrame(fin: true, opcode: .text, data: buffer)))
                        if isData { written += 1 }
                    case .close(let code, let reason):
                        try await outbound.close(code, reason: reason)
                        return
                    }
                }
                if written > 0 {
                    state.withLock { $0.pendingDataFrames = max(0, $0.pendingDataFrames - written) }
                }
            }
            if Task.isCancelled { return }
        }
    }

    /// Wakes the sender after the outbox was changed directly under `state`.
    func wakeSender() { wake.yield() }

    /// Stops the sender loop (connection over).
    func finish() { wake.finish() }
}
