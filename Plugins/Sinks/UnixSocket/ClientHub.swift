import NIOCore
import Synchronization
import TickRouter
import TickRouterConfig

/// The connected clients of one Unix-socket sink, and the per-drain encoding shared between them.
final class ClientHub: Sendable {
    let spec: UnixSocketSink.Spec
    let runtime: SinkRuntime
    private let clients = Mutex<[ObjectIdentifier: SocketClient.Handle]>([:])

    init(spec: UnixSocketSink.Spec, runtime: SinkRuntime) {
        self.spec = spec
        self.runtime = runtime
    }

    /// Registers a client; false when the sink is at `max_clients`.
    func register(_ handle: SocketClient.Handle) -> Bool {
        let accepted = clients.withLock { clients in
            guard clients.count < spec.maxClients else { return false }
            clients[ObjectIdentifier(handle)] = handle
            return true
        }
        if accepted { runtime.stats.clients.add(1) }
        return accepted
    }

    func unregister(_ handle: SocketClient.Handle) {
        let removed = clients.withLock { $0.removeValue(forKey: ObjectIdentifier(handle)) != nil }
        if removed { runtime.stats.clients.add(-1) }
    }

    /// Encodes the batches once per distinct subscription and queues the bytes on each client.
    func dispatch(_ batches: [EventBatch]) {
        let handles = clients.withLock { Array($0.values) }
        guard !handles.isEmpty else { return }
        var mask: UInt32 = 0
        var bytes = 0
        for batch in batches {
            mask |= batch.channelMask
            bytes += batch.frame.readableBytes
        }
        var encoded: [ClientSubscription: EncodedLines] = [:]
        func deliver(to handle: SocketClient.Handle) {
            let subscription = handle.subscription
            guard subscription.mayMatch(channelMask: mask) else { return }
            if handle.wantsBatches.load(ordering: .relaxed) {
                // A lagging client (conflate/demote) keeps the latest events itself.
                handle.enqueue(batches)
                return
            }
            let chunk: EncodedLines
            if let cached = encoded[subscription] {
                chunk = cached
            } else {
                chunk = Self.encode(batches, for: subscription, capacity: bytes + batches.count * 64)
                encoded[subscription] = chunk
            }
            if chunk.events > 0 { handle.enqueue(chunk) }
        }
        // Clients that keep up first; those that have stopped reading (they copy what they keep,
        // see `SocketClient.enqueue`) after them, so the copying never delays the others' writes.
        var stopped: [SocketClient.Handle] = []
        for handle in handles {
            if handle.keepsCopies.load(ordering: .relaxed) {
                stopped.append(handle)
            } else {
                deliver(to: handle)
            }
        }
        for handle in stopped { deliver(to: handle) }
    }

    /// One line per matching event, the provider's bytes unchanged.
    static func encode(_ batches: [EventBatch], for subscription: ClientSubscription, capacity: Int) -> EncodedLines {
        var out = ByteBufferAllocator().buffer(capacity: capacity)
        var count = 0
        var marks: [EncodedLines.ReadMark] = []
        marks.reserveCapacity(batches.count)
        for batch in batches where subscription.mayMatch(channelMask: batch.channelMask) {
            // Each event's bytes and a newline, copied straight into room reserved for the whole
            // batch (no per-event capacity check, no captured `var` checked for exclusive access).
            var room = batch.records.count
            for record in batch.records { room += Int(record.length) }
            out.reserveCapacity(minimumWritableBytes: room)
            let (written, lines) = out.withUnsafeMutableWritableBytes { target in
                batch.frame.withUnsafeReadableBytes { frame in
                    var written = 0
                    var lines = 0
                    for record in batch.records where subscription.matches(record) {
                        let length = Int(record.length)
                        target.baseAddress!.advanced(by: written).copyMemory(from: frame.baseAddress!.advanced(by: Int(record.start)), byteCount: length)
                        target[written + length] = UInt8(ascii: "\n")
                        written += length + 1
                        lines += 1
                    }
                    return (written, lines)
                }
            }
            out.moveWriterIndex(forwardBy: written)
            count += lines
            if lines > 0, batch.receivedAt != 0 { marks.append(.init(receivedAt: batch.receivedAt, events: lines)) }
        }
        return EncodedLines(buffer: out, events: count, marks: marks)
    }

    /// Writes every client what it was queued, then closes it (graceful shutdown); returns when
    /// all are closed. Bounded by the engine's shutdown deadline, which cancels the wait and
    /// closes the clients still behind (their queued events count as `disconnected`).
    func closeAll() async {
        let handles = clients.withLock { Array($0.values) }
        await withDiscardingTaskGroup { group in
            for handle in handles { group.addTask { await handle.finish() } }
        }
    }
}

/// One drain's lines for one subscription, encoded once and shared by every client that has it.
struct EncodedLines: Sendable {
    /// When the frame of some of the lines was read, and how many lines it gave.
    struct ReadMark: Sendable {
        var receivedAt: UInt64
        var events: Int
    }

    var buffer: ByteBuffer
    var events: Int
    /// One per batch, for the write-latency figures.
    var marks: [ReadMark] = []

    /// The same lines in a buffer of their own.
    func copy(allocator: ByteBufferAllocator) -> EncodedLines {
        var own = allocator.buffer(capacity: buffer.readableBytes)
        own.writeImmutableBuffer(buffer)
        return EncodedLines(buffer: own, events: events, marks: marks)
    }
}
