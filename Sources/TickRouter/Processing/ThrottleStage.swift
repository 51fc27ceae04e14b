public import NIOCore
public import TickRouterConfig
import Synchronization

/// Per-symbol throttling and channel rate caps, shared by every connection, after the merge.
///
/// One ``SymbolThrottle`` per shaped channel. Connections call ``process(_:now:)`` once per
/// batch; the engine's ticker calls ``flushDue(now:)`` so a held value is delivered when its
/// window ends even if no further frame arrives. Both publish to the fan-out under the stage's
/// lock, so a symbol's held event can never overtake, or be overtaken by, a newer one.
///
/// When no channel is shaped the stage is inactive and a batch costs one atomic load.
public final class ThrottleStage: Sendable {
    private struct State {
        /// One per channel; only the channels in `mask` are shaped. (Not optional: mutating an
        /// array element in place must not copy the throttle's per-symbol arrays.)
        var throttles: [SymbolThrottle] = Array(repeating: .off, count: FeedChannel.count)
        var mask: UInt32 = 0
        /// When a batch next looks for held events that are due (at most once per tick; the
        /// ticker covers quiet periods).
        var nextScan: Int64 = 0
        /// Reused between flushes.
        var scratch: [SymbolThrottle.HeldEvent] = []
    }

    private let state = Mutex(State())
    private let active = Atomic<Bool>(false)
    /// How often the ticker should flush, in nanoseconds (a tenth of the shortest window).
    private let tickNanos = Atomic<Int64>(10_000_000)
    private let fanout: Fanout
    private let stats: EngineStats
    private let symbols: SymbolTable

    public init(policies: [FeedChannel: ChannelPolicy], symbols: SymbolTable, fanout: Fanout, stats: EngineStats) {
        self.fanout = fanout
        self.stats = stats
        self.symbols = symbols
        configure(policies)
    }

    /// Whether any channel is shaped.
    @inline(__always) public var isActive: Bool { active.load(ordering: .acquiring) }

    /// The ticker's period.
    public var tick: Duration { .nanoseconds(tickNanos.load(ordering: .relaxed)) }

    /// Applies new policies (start, reload). Held events of channels whose settings changed are
    /// delivered first, so a reload loses no value.
    public func configure(_ policies: [FeedChannel: ChannelPolicy]) {
        var shortest = Int64.max
        let flushed: EventBatch? = state.withLock { state in
            var held: [SymbolThrottle.HeldEvent] = []
            var mask: UInt32 = 0
            for channel in FeedChannel.allCases {
                let slot = Int(channel.rawValue)
                let policy = policies[channel]
                let wanted = policy.flatMap { $0.isShaped ? $0 : nil }
                let interval = wanted?.throttle.map { Self.nanoseconds($0.perSymbol) } ?? 0
                let mode = wanted?.throttle?.mode ?? .conflate
                let existing = state.throttles[slot]
                if state.mask & EventBatch.maskBit(channel.rawValue) != 0, let wanted, existing.interval == interval, existing.mode == mode,
                    existing.maxRate == wanted.maxRate, existing.priority == Set(wanted.priority.map(symbols.intern))
                {
                    mask |= EventBatch.maskBit(channel.rawValue)
                } else {
                    state.throttles[slot].flushAll { held.append($0) }
                    state.throttles[slot] = wanted.map {
                        SymbolThrottle(interval: interval, mode: mode, maxRate: $0.maxRate, priority: $0.priority.map(symbols.intern))
                    } ?? .off
                    if wanted != nil { mask |= EventBatch.maskBit(channel.rawValue) }
                }
                if wanted != nil {
                    shortest = min(shortest, interval > 0 ? interval : 1_000_000_000)
                }
            }
            state.mask = mask
            return Self.batch(of: held)
        }
        if let flushed { fanout.publish(flushed) }
        if shortest != Int64.max { tickNanos.store(min(50_000_000, max(1_000_000, shortest / 10)), ordering: .relaxed) }
        active.store(shortest != Int64.max, ordering: .releasing)
    }

    /// Throttles the batch's shaped channels and publishes what passes (and any held events now
    /// due, before it). `now` is monotonic nanoseconds.
    public func process(_ batch: inout EventBatch, now: Int64) {
        let tick = tickNanos.load(ordering: .relaxed)
        state.withLock { state in
            if batch.channelMask & state.mask != 0 {
                let reasons = ShapingReason.allCases.count
                withUnsafeTemporaryAllocation(of: Int.self, capacity: FeedChannel.count * reasons) { counts in
                    counts.initialize(repeating: 0)
                    var write = 0
                    for read in batch.records.indices {
                        let record = batch.records[read]
                        let slot = Int(record.channelCode)
                        guard slot < FeedChannel.count, state.mask & EventBatch.maskBit(record.channelCode) != 0 else {
                            batch.records[write] = record
                            write += 1
                            continue
                        }
                        var superseded = false
                        switch state.throttles[slot].offer(symbol: record.symbol, now: now, superseded: &superseded) {
                        case .pass:
                            batch.records[write] = record
                            write += 1
                        case .hold:
                            let replaced = batch.withEventBytes(record) { state.throttles[slot].hold(record, symbol: record.symbol, bytes: $0) }
                            if replaced { counts[slot * reasons + ShapingReason.conflated.rawValue] += 1 }
                        case .drop:
                            counts[slot * reasons + ShapingReason.sampled.rawValue] += 1
                        }
                        if superseded { counts[slot * reasons + ShapingReason.conflated.rawValue] += 1 }
                    }
                    if write < batch.records.count {
                        batch.records.removeSubrange(write...)
                        batch.recomputeChannelMask()
                    }
                    for slot in 0..<FeedChannel.count where state.mask & EventBatch.maskBit(UInt8(slot)) != 0 {
                        for reason in 0..<reasons where counts[slot * reasons + reason] > 0 {
                            stats.channels[slot].shaped.add(reason, counts[slot * reasons + reason])
                        }
                    }
                }
            }
            if now >= state.nextScan {
                state.nextScan = now + tick
                if let due = Self.due(&state, now: now, stats: stats) { fanout.publish(due) }
            }
            if !batch.records.isEmpty { fanout.publish(batch) }
        }
    }

    /// Publishes every held event whose window has ended. Called by the engine's ticker.
    public func flushDue(now: Int64) {
        guard isActive else { return }
        state.withLock { state in
            if let due = Self.due(&state, now: now, stats: stats) { fanout.publish(due) }
        }
    }

    /// Publishes every held event (shutdown).
    public func flushAll() {
        state.withLock { state in
            var held: [SymbolThrottle.HeldEvent] = []
            for slot in state.throttles.indices { state.throttles[slot].flushAll { held.append($0) } }
            if let batch = Self.batch(of: held) { fanout.publish(batch) }
        }
    }

    /// Number of events held, across channels.
    public var heldCount: Int { state.withLock { $0.throttles.reduce(0) { $0 + $1.heldCount } } }

    private static func due(_ state: inout State, now: Int64, stats: EngineStats) -> EventBatch? {
        var held = state.scratch
        state.scratch = []
        held.removeAll(keepingCapacity: true)
        for slot in state.throttles.indices where state.throttles[slot].heldCount > 0 {
            let before = held.count
            state.throttles[slot].flushDue(now: now) { held.append($0) }
            if held.count > before { stats.channels[slot].shaped.add(ShapingReason.deferred.rawValue, held.count - before) }
        }
        let batch = batch(of: held)
        held.removeAll(keepingCapacity: true)  // let go of the slots' bytes, so they are reused in place
        state.scratch = held
        return batch
    }

    /// Builds one batch (a JSON array frame) from held events.
    private static func batch(of held: [SymbolThrottle.HeldEvent]) -> EventBatch? {
        guard !held.isEmpty else { return nil }
        var frame = ByteBufferAllocator().buffer(capacity: held.reduce(2) { $0 + $1.bytes.count + 1 })
        var records: [EventRecord] = []
        records.reserveCapacity(held.count)
        frame.writeInteger(UInt8(ascii: "["))
        for (index, event) in held.enumerated() {
            if index > 0 { frame.writeInteger(UInt8(ascii: ",")) }
            var record = event.record
            record.start = UInt32(frame.writerIndex)
            record.length = UInt32(event.bytes.count)
            frame.writeBytes(event.bytes)
            records.append(record)
        }
        frame.writeInteger(UInt8(ascii: "]"))
        var batch = EventBatch(frame: frame, records: records)
        batch.recomputeChannelMask()
        return batch
    }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }
}
