import DequeModule
import NIOCore
public import TickRouterConfig
import Synchronization

/// The bounded queue between the feed and one sink. Connections push batches; the sink drains
/// everything queued in one call.
///
/// The bound is the sink's byte budget (bytes of the events queued). When a push exceeds it, load
/// is shed by class: the events of the least important channel still queued go first, oldest
/// batches first (`backpressure.class_order`: a halt or a trade outlives a quote), counted as
/// `sink_bytes_full`. A push never waits: backpressure never reaches the provider's socket, and a
/// sink that stalls loses only its own events.
public final class SinkInlet: Sendable {
    /// Which channels this sink takes (``EventBatch/channelMask`` bits).
    public let channelMask: UInt32
    /// Symbols this sink takes; nil for all.
    private let symbolFilter: Set<SymbolID>?
    private let byteLimit: Int
    private let stats: SinkStats
    /// Channel slots (``FeedChannel`` raw values, ``FeedChannel/count`` for unknown `ev`) from the
    /// first to shed to the last. Router status lines are never shed.
    private let shedOrder: [Int]

    private struct State: ~Copyable {
        var queue = Deque<EventBatch>()
        var pendingEvents = 0
        var pendingBytes = 0
        /// Queued events per channel slot, so shedding skips channels that have none.
        var perChannel = [Int](repeating: 0, count: FeedChannel.count + 1)
        var waiter: CheckedContinuation<Void, Never>? = nil
        var closed = false
    }

    private let state: Mutex<State>

    /// - Parameters:
    ///   - channelMask: channels accepted (bit per `FeedChannel.rawValue`, bit 31 for unknown `ev`).
    ///   - symbolFilter: symbols accepted, or nil for every symbol.
    ///   - byteLimit: most event bytes held at once.
    ///   - shedOrder: channel codes from the first to shed to the last (default: `backpressure`'s default).
    public init(
        channelMask: UInt32, symbolFilter: Set<SymbolID>? = nil, byteLimit: Int, stats: SinkStats,
        shedOrder: [UInt8] = BackpressureConfiguration().shedOrder
    ) {
        self.channelMask = channelMask
        self.symbolFilter = symbolFilter
        self.byteLimit = byteLimit
        self.stats = stats
        self.shedOrder = [FeedChannel.count] + shedOrder.map(Int.init)
        self.state = Mutex(State())
    }

    /// The slot of a record's channel in per-channel counts; nil for router status lines.
    @inline(__always)
    private static func slot(_ code: UInt8) -> Int? {
        switch code {
        case EventRecord.statusChannel: nil
        case EventRecord.unknownChannel: FeedChannel.count
        default: Int(code)
        }
    }

    /// Queues a batch. Never blocks; sheds the least important events when over the byte budget.
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
        var bytes = 0
        for record in batch.records { bytes += Int(record.length) }
        let (waiter, dropped): (CheckedContinuation<Void, Never>?, Int) = state.withLock { state in
            guard !state.closed else { return (nil, -1) }
            state.pendingEvents += count
            state.pendingBytes += bytes
            for record in batch.records {
                if let slot = Self.slot(record.channelCode) { state.perChannel[slot] += 1 }
            }
            state.queue.append(batch)
            let dropped = state.pendingBytes > byteLimit ? shed(&state) : 0
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

    /// Removes events, least important channel first and oldest batch first, until the queue is
    /// within its byte budget (or only router status lines are left). Returns how many went.
    private func shed(_ state: inout State) -> Int {
        var dropped = 0
        for slot in shedOrder where state.perChannel[slot] > 0 {
            let bit: UInt32 = slot == FeedChannel.count ? EventBatch.maskBit(EventRecord.unknownChannel) : EventBatch.maskBit(UInt8(slot))
            var index = state.queue.startIndex
            while index < state.queue.endIndex, state.pendingBytes > byteLimit {
                guard state.queue[index].channelMask & bit != 0 else {
                    index += 1
                    continue
                }
                var removedBytes = 0
                var removed = 0
                state.queue[index].records.removeAll { record in
                    guard Self.slot(record.channelCode) == slot else { return false }
                    removedBytes += Int(record.length)
                    removed += 1
                    return true
                }
                state.queue[index].recomputeChannelMask()
                state.pendingBytes -= removedBytes
                state.pendingEvents -= removed
                state.perChannel[slot] -= removed
                dropped += removed
                if state.queue[index].records.isEmpty {
                    state.queue.remove(at: index)
                } else {
                    index += 1
                }
            }
            if state.pendingBytes <= byteLimit { break }
        }
        return dropped
    }

    /// Waits for batches and returns all queued ones, oldest first; nil once closed and empty or cancelled.
    ///
    /// Runs on the caller's executor (`nonisolated(nonsending)`): a sink whose drain loop is
    /// isolated to an event loop is woken on that loop, with no hop through the global pool.
    nonisolated(nonsending) public func drain() async -> [EventBatch]? {
        while true {
            let taken: [EventBatch]? = state.withLock { state in
                if !state.queue.isEmpty {
                    let batches = Array(state.queue)
                    state.queue.removeAll(keepingCapacity: true)
                    state.pendingEvents = 0
                    state.pendingBytes = 0
                    for slot in state.perChannel.indices { state.perChannel[slot] = 0 }
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
