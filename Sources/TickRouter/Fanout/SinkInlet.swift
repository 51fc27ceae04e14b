import DequeModule
import NIOCore
public import TickRouterConfig
import Synchronization

/// The bounded queue between the feed and one sink. Connections push batches; the sink drains
/// everything queued in one call.
///
/// Bounds are per channel in events (the processor's `buffer`, so a burst of quotes cannot evict
/// trades) and per sink in bytes. Overflow drops the oldest queued events of the offending channel,
/// counted by reason. A push never waits: backpressure never reaches the provider's socket.
public final class SinkInlet: Sendable {
    /// Which channels this sink takes (``EventBatch/channelMask`` bits).
    public let channelMask: UInt32
    private let channelLimits: [Int]
    private let byteLimit: Int
    private let stats: SinkStats

    private struct State: ~Copyable {
        var queue = Deque<EventBatch>()
        var pendingPerChannel: [Int]
        var pendingBytes = 0
        var waiter: CheckedContinuation<Void, Never>? = nil
        var closed = false
    }

    private let state: Mutex<State>

    /// - Parameters:
    ///   - channelMask: channels accepted (bit per `FeedChannel.rawValue`, bit 31 for unknown `ev`).
    ///   - channelLimits: most events of each channel (indexed by raw value, unknown last) held at once.
    ///   - byteLimit: most frame bytes held at once.
    public init(channelMask: UInt32, channelLimits: [Int], byteLimit: Int, stats: SinkStats) {
        precondition(channelLimits.count == FeedChannel.count + 1)
        self.channelMask = channelMask
        self.channelLimits = channelLimits
        self.byteLimit = byteLimit
        self.stats = stats
        self.state = Mutex(State(pendingPerChannel: [Int](repeating: 0, count: FeedChannel.count + 1)))
    }

    @inline(__always) static func slot(_ code: UInt8) -> Int { code == EventRecord.unknownChannel ? FeedChannel.count : Int(code) }

    /// Queues a batch. Never blocks; drops the oldest events of a channel over its limit.
    public func push(_ batch: EventBatch) {
        guard batch.channelMask & channelMask != 0 else { return }
        var batch = batch
        if batch.channelMask & ~channelMask != 0 {
            let mask = channelMask
            batch.records.removeAll { EventBatch.maskBit($0.channelCode) & mask == 0 }
            batch.recomputeChannelMask()
        }
        let count = batch.records.count
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            guard !state.closed else {
                stats.drop(.shutdown, count)
                return nil
            }
            var overLimit = false
            for record in batch.records {
                let slot = Self.slot(record.channelCode)
                state.pendingPerChannel[slot] += 1
                if state.pendingPerChannel[slot] > channelLimits[slot] { overLimit = true }
            }
            state.pendingBytes += batch.frame.readableBytes
            state.queue.append(batch)
            if overLimit { trimChannels(&state) }
            if state.pendingBytes > byteLimit { trimBytes(&state) }
            let waiter = state.waiter
            state.waiter = nil
            return waiter
        }
        stats.accepted.add(count)
        waiter?.resume()
    }

    /// Drops the oldest events of every channel over its limit.
    private func trimChannels(_ state: inout State) {
        var excess = [Int](repeating: 0, count: FeedChannel.count + 1)
        var any = false
        for slot in excess.indices where state.pendingPerChannel[slot] > channelLimits[slot] {
            excess[slot] = state.pendingPerChannel[slot] - channelLimits[slot]
            any = true
        }
        guard any else { return }
        var dropped = 0
        var index = state.queue.startIndex
        while index < state.queue.endIndex, excess.contains(where: { $0 > 0 }) {
            var batch = state.queue[index]
            let before = batch.records.count
            batch.records.removeAll { record in
                let slot = Self.slot(record.channelCode)
                guard excess[slot] > 0 else { return false }
                excess[slot] -= 1
                state.pendingPerChannel[slot] -= 1
                return true
            }
            dropped += before - batch.records.count
            if batch.records.isEmpty {
                state.pendingBytes -= batch.frame.readableBytes
                state.queue.remove(at: index)
            } else {
                batch.recomputeChannelMask()
                state.queue[index] = batch
                index += 1
            }
        }
        stats.drop(.channelBufferFull, dropped)
    }

    /// Drops whole oldest batches until the byte budget holds (keeping at least the newest).
    private func trimBytes(_ state: inout State) {
        var dropped = 0
        while state.pendingBytes > byteLimit, state.queue.count > 1 {
            let batch = state.queue.removeFirst()
            state.pendingBytes -= batch.frame.readableBytes
            for record in batch.records { state.pendingPerChannel[Self.slot(record.channelCode)] -= 1 }
            dropped += batch.records.count
        }
        stats.drop(.sinkBytesFull, dropped)
    }

    /// Waits for batches and returns all queued ones, oldest first; nil once closed and empty or cancelled.
    public func drain() async -> [EventBatch]? {
        while true {
            let taken: [EventBatch]? = state.withLock { state in
                if !state.queue.isEmpty {
                    let batches = Array(state.queue)
                    state.queue.removeAll(keepingCapacity: true)
                    for slot in state.pendingPerChannel.indices { state.pendingPerChannel[slot] = 0 }
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
    public var queuedEvents: Int { state.withLock { $0.pendingPerChannel.reduce(0, +) } }

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
