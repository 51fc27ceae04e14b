import DequeModule
import NIOCore
public import TickRouterConfig
import Synchronization

/// The bounded queue between the feed and one sink. Connections push batches; the sink drains
/// everything queued in one call.
///
/// The bound is the sink's byte budget (frame bytes held). When a push would exceed it, whole
/// oldest batches are dropped and counted (`sink_bytes_full`). A push never waits: backpressure
/// never reaches the provider's socket, and a sink that stalls loses only its own events.
public final class SinkInlet: Sendable {
    /// Which channels this sink takes (``EventBatch/channelMask`` bits).
    public let channelMask: UInt32
    /// Symbols this sink takes; nil for all.
    private let symbolFilter: Set<SymbolID>?
    private let byteLimit: Int
    private let stats: SinkStats

    private struct State: ~Copyable {
        var queue = Deque<EventBatch>()
        var pendingEvents = 0
        var pendingBytes = 0
        var waiter: CheckedContinuation<Void, Never>? = nil
        var closed = false
    }

    private let state: Mutex<State>

    /// - Parameters:
    ///   - channelMask: channels accepted (bit per `FeedChannel.rawValue`, bit 31 for unknown `ev`).
    ///   - symbolFilter: symbols accepted, or nil for every symbol.
    ///   - byteLimit: most frame bytes held at once.
    public init(channelMask: UInt32, symbolFilter: Set<SymbolID>? = nil, byteLimit: Int, stats: SinkStats) {
        self.channelMask = channelMask
        self.symbolFilter = symbolFilter
        self.byteLimit = byteLimit
        self.stats = stats
        self.state = Mutex(State())
    }

    /// Queues a batch. Never blocks; drops the oldest batches when over the byte budget.
    public func push(_ batch: EventBatch) {
        guard batch.channelMask & channelMask != 0 else { return }
        var batch = batch
        if batch.channelMask & ~channelMask != 0 || symbolFilter != nil {
            let mask = channelMask
            let symbols = symbolFilter
            batch.records.removeAll { record in
                EventBatch.maskBit(record.channelCode) & mask == 0
                    || (record.channelCode != EventRecord.statusChannel && symbols.map { !$0.contains(record.symbol) } ?? false)
            }
            guard !batch.records.isEmpty else { return }
            batch.recomputeChannelMask()
        }
        let count = batch.records.count
        let (waiter, dropped): (CheckedContinuation<Void, Never>?, Int) = state.withLock { state in
            guard !state.closed else { return (nil, -1) }
            state.pendingEvents += count
            state.pendingBytes += batch.frame.readableBytes
            state.queue.append(batch)
            var dropped = 0
            while state.pendingBytes > byteLimit, state.queue.count > 1 {
                let oldest = state.queue.removeFirst()
                state.pendingBytes -= oldest.frame.readableBytes
                state.pendingEvents -= oldest.records.count
                dropped += oldest.records.count
            }
            let waiter = state.waiter
            state.waiter = nil
            return (waiter, dropped)
        }
        if dropped < 0 {
            stats.drop(.shutdown, count)
            return
        }
        stats.accepted.add(count)
        if dropped > 0 { stats.drop(.sinkBytesFull, dropped) }
        waiter?.resume()
    }

    /// Waits for batches and returns all queued ones, oldest first; nil once closed and empty or cancelled.
    public func drain() async -> [EventBatch]? {
        while true {
            let taken: [EventBatch]? = state.withLock { state in
                if !state.queue.isEmpty {
                    let batches = Array(state.queue)
                    state.queue.removeAll(keepingCapacity: true)
                    state.pendingEvents = 0
                    state.pendingBytes = 0
                    return batches
                }
                return state.closed ? [] : nil
            }
            if let taken { return taken.isEmpty ? nil : taken }
            if Task.isCancelled { return nil }
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                    let resumeNow = state.withLock { state in
                        if !state.queue.isEmpty || state.closed || Task.isCancelled { return true }
                        state.waiter = continuation
                        return false
                    }
                    if resumeNow { continuation.resume() }
                }
            } onCancel: {
                let waiter = state.withLock { state in
                    let waiter = state.waiter
                    state.waiter = nil
                    return waiter
                }
                waiter?.resume()
            }
        }
    }

    /// Events currently queued.
    public var queuedEvents: Int { state.withLock { $0.pendingEvents } }

    /// Stops accepting batches; ``drain()`` returns what is left, then nil.
    public func close() {
        let waiter = state.withLock { state in
            state.closed = true
            let waiter = state.waiter
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }
}
