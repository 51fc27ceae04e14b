public import NIOCore
public import TickRouterConfig
import Synchronization

/// The time-based policies, shared by every connection and applied after the merge: per-symbol
/// throttles and channel rate caps (``SymbolThrottle``), then emission buffers for channels with
/// `emit_every` (``EmissionBuffer``, with the channel's overflow policy).
///
/// Connections call ``process(_:now:)`` once per batch; the engine's ticker calls
/// ``flushDue(now:)`` so a held value or a buffer is delivered on time even if no further frame
/// arrives. Both publish to the fan-out under the stage's lock, so a symbol's held event can never
/// overtake, or be overtaken by, a newer one.
///
/// When no channel is shaped the stage is inactive and a batch costs one atomic load.
public final class ShapingStage: Sendable {
    private struct State {
        /// One per channel; only channels in `throttleMask` are consulted. (Not optional: mutating
        /// an array element in place must not copy its per-symbol arrays.)
        var throttles: [SymbolThrottle] = Array(repeating: .off, count: FeedChannel.count)
        var throttleMask: UInt32 = 0
        /// One per channel; only channels in `bufferMask` are consulted.
        var buffers: [EmissionBuffer] = Array(repeating: .off, count: FeedChannel.count)
        var bufferMask: UInt32 = 0
        /// When a batch next looks for due events (at most once per tick; the ticker covers quiet periods).
        var nextScan: Int64 = 0
        /// Reused between flushes.
        var scratch: [HeldEvent] = []
        /// The sinks as the stage last saw them: what it publishes under its lock goes through it.
        var sinks = Fanout.Snapshot()
        /// Shaping counts by channel slot and ``ShapingReason`` not yet added to the engine's
        /// stats: added once per scan for due events (at most a tick late) rather than per batch,
        /// as each add is a few atomic operations.
        var uncounted = [Int](repeating: 0, count: FeedChannel.count * ShapingReason.allCases.count)
        /// The channel slots with counts in `uncounted`, a bit each.
        var uncountedSlots: UInt32 = 0

        mutating func count(_ reason: ShapingReason, _ amount: Int, slot: Int) {
            uncounted[slot * ShapingReason.allCases.count + reason.rawValue] += amount
            uncountedSlots |= 1 << UInt32(slot)
        }

        /// Adds the counts kept since the last call to the engine's stats.
        mutating func addUncounted(to stats: EngineStats) {
            let reasons = ShapingReason.allCases.count
            while uncountedSlots != 0 {
                let slot = uncountedSlots.trailingZeroBitCount
                uncountedSlots &= uncountedSlots &- 1
                let shaped = stats.channels[slot].shaped
                for reason in 0..<reasons where uncounted[slot * reasons + reason] > 0 {
                    shaped.add(reason, uncounted[slot * reasons + reason])
                    uncounted[slot * reasons + reason] = 0
                }
            }
        }
    }

    private let state = Mutex(State())
    private let active = Atomic<Bool>(false)
    /// How often the ticker should flush, in nanoseconds (a tenth of the shortest interval).
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

    /// Applies new policies (start, reload). Held and buffered events of channels whose settings
    /// changed are delivered first, so a reload loses nothing.
    public func configure(_ policies: [FeedChannel: ChannelPolicy]) {
        var shortest = Int64.max
        let flushed: EventBatch? = state.withLock { state in
            var held: [HeldEvent] = []
            var throttleMask: UInt32 = 0
            var bufferMask: UInt32 = 0
            for channel in FeedChannel.allCases {
                let slot = Int(channel.rawValue)
                let bit = EventBatch.maskBit(channel.rawValue)
                let policy = policies[channel]

                let throttled = policy.flatMap { $0.throttle != nil || $0.maxRate != nil ? $0 : nil }
                let interval = throttled?.throttle.map { Self.nanoseconds($0.perSymbol) } ?? 0
                let mode = throttled?.throttle?.mode ?? .conflate
                let existing = state.throttles[slot]
                if state.throttleMask & bit != 0, let throttled, existing.interval == interval, existing.mode == mode,
                    existing.maxRate == throttled.maxRate, existing.priority == Set(throttled.priority.map(symbols.intern))
                {
                    throttleMask |= bit
                } else {
                    state.throttles[slot].flushAll { held.append($0) }
                    state.throttles[slot] = throttled.map {
                        SymbolThrottle(interval: interval, mode: mode, maxRate: $0.maxRate, priority: $0.priority.map(symbols.intern))
                    } ?? .off
                    if throttled != nil { throttleMask |= bit }
                }
                if throttled != nil { shortest = min(shortest, interval > 0 ? interval : 1_000_000_000) }

                let every = policy?.emitEvery.map(Self.nanoseconds)
                let buffer = state.buffers[slot]
                if state.bufferMask & bit != 0, let every, let policy, buffer.interval == every, buffer.capacity == policy.buffer,
                    buffer.overflow == policy.overflow
                {
                    bufferMask |= bit
                } else {
                    state.buffers[slot].emit { held.append($0) }
                    state.buffers[slot] = every.map { EmissionBuffer(capacity: policy?.buffer ?? 1000, overflow: policy?.overflow ?? .dropOldest, interval: $0) } ?? .off
                    if every != nil { bufferMask |= bit }
                }
                if let every { shortest = min(shortest, max(every, 1_000_000)) }
            }
            state.throttleMask = throttleMask
            state.bufferMask = bufferMask
            return Self.batch(of: held)
        }
        if let flushed { fanout.publish(flushed) }
        if shortest != Int64.max { tickNanos.store(min(50_000_000, max(1_000_000, shortest / 10)), ordering: .relaxed) }
        active.store(shortest != Int64.max, ordering: .releasing)
    }

    /// Shapes the batch and publishes what is ready: held events now due first, then buffers whose
    /// interval ended, then what passes of the batch. `now` is monotonic nanoseconds.
    public func process(_ batch: inout EventBatch, now: Int64) {
        let tick = tickNanos.load(ordering: .relaxed)
        state.withLock { state in
            if batch.channelMask & state.throttleMask != 0 { throttle(&batch, state: &state, now: now) }
            var due: EventBatch?
            if now >= state.nextScan {
                state.nextScan = now + tick
                due = Self.dueHeld(&state, now: now, stats: stats)
                state.addUncounted(to: stats)
            }
            if state.bufferMask != 0 {
                if var held = due, held.channelMask & state.bufferMask != 0 {
                    buffer(&held, state: &state, now: now)
                    due = held.records.isEmpty ? nil : held
                }
                if batch.channelMask & state.bufferMask != 0 { buffer(&batch, state: &state, now: now) }
            }
            if let due { fanout.publish(due, through: &state.sinks) }
            if state.bufferMask != 0, let emitted = Self.dueBuffers(&state, now: now) { fanout.publish(emitted, through: &state.sinks) }
            if !batch.records.isEmpty { Self.publish(&batch, to: fanout, through: &state.sinks) }
        }
    }

    /// Publishes a batch the caller still owns. (Read from a closure's capture, `batch` would be
    /// copied for the call: a reference count each way on its frame and records.)
    @inline(__always)
    private static func publish(_ batch: inout EventBatch, to fanout: Fanout, through sinks: inout Fanout.Snapshot) {
        fanout.publish(batch, through: &sinks)
    }

    /// Publishes every held event whose window has ended and every buffer whose interval ended.
    /// Called by the engine's ticker.
    public func flushDue(now: Int64) {
        guard isActive else { return }
        state.withLock { state in
            if var due = Self.dueHeld(&state, now: now, stats: stats) {
                if due.channelMask & state.bufferMask != 0 { buffer(&due, state: &state, now: now) }
                if !due.records.isEmpty { fanout.publish(due, through: &state.sinks) }
            }
            if state.bufferMask != 0, let emitted = Self.dueBuffers(&state, now: now) { fanout.publish(emitted, through: &state.sinks) }
            state.addUncounted(to: stats)
        }
    }

    /// Publishes every held and buffered event (shutdown).
    public func flushAll() {
        state.withLock { state in
            var held: [HeldEvent] = []
            for slot in state.throttles.indices { state.throttles[slot].flushAll { held.append($0) } }
            for slot in state.buffers.indices { state.buffers[slot].emit { held.append($0) } }
            if let batch = Self.batch(of: held) { fanout.publish(batch, through: &state.sinks) }
            state.addUncounted(to: stats)
        }
    }

    /// Number of events held or buffered, across channels.
    public var heldCount: Int {
        state.withLock { state in
            state.throttles.reduce(0) { $0 + $1.heldCount } + state.buffers.reduce(0) { $0 + $1.count }
        }
    }

    // MARK: - Steps

    /// Removes from the batch what the throttles hold or drop: each throttled channel of the
    /// batch goes through its throttle in one call, which also compacts the batch.
    private func throttle(_ batch: inout EventBatch, state: inout State, now: Int64) {
        let throttled = batch.channelMask & state.throttleMask
        // The records are moved out while the throttles compact them, so the frame is read in
        // place rather than copied (a reference count each way).
        var records = batch.records
        batch.records = []
        var count = records.count
        var mask = batch.channelMask
        records.withUnsafeMutableBufferPointer { records in
            // The batch's throttled channels, bit by bit (channel codes are their bit numbers).
            var pending = throttled
            while pending != 0 {
                let slot = pending.trailingZeroBitCount
                pending &= pending &- 1
                let admitted = state.throttles[slot].admit(
                    UnsafeMutableBufferPointer(rebasing: records[..<count]), channelCode: UInt8(slot), now: now, frame: batch.frame)
                count = admitted.kept
                if admitted.passed == 0 { mask &= ~EventBatch.maskBit(UInt8(slot)) }
                if admitted.conflated > 0 { state.count(.conflated, admitted.conflated, slot: slot) }
                if admitted.sampled > 0 { state.count(.sampled, admitted.sampled, slot: slot) }
            }
        }
        if count < records.count {
            records.removeSubrange(count...)
            batch.channelMask = mask
        }
        batch.records = records
    }

    /// Moves the batch's events of buffered channels into their buffers.
    private func buffer(_ batch: inout EventBatch, state: inout State, now: Int64) {
        var write = 0
        for read in batch.records.indices {
            let record = batch.records[read]
            let slot = Int(record.channelCode)
            guard slot < FeedChannel.count, state.bufferMask & EventBatch.maskBit(record.channelCode) != 0 else {
                batch.records[write] = record
                write += 1
                continue
            }
            var outcome = state.buffers[slot].append(record, in: batch.frame, now: now)
            if outcome == .mustEmit {
                // `block`: a full buffer goes out now instead of losing anything.
                var full: [HeldEvent] = []
                state.buffers[slot].emit { full.append($0) }
                if let early = Self.batch(of: full) { fanout.publish(early, through: &state.sinks) }
                outcome = state.buffers[slot].append(record, in: batch.frame, now: now)
            }
            switch outcome {
            case .conflated: state.count(.conflated, 1, slot: slot)
            case .dropped: state.count(.overflow, 1, slot: slot)
            case .buffered, .mustEmit: break
            }
        }
        if write < batch.records.count {
            batch.records.removeSubrange(write...)
            batch.recomputeChannelMask()
        }
    }

    private static func dueHeld(_ state: inout State, now: Int64, stats: EngineStats) -> EventBatch? {
        guard state.throttleMask != 0 else { return nil }
        // Each due event's bytes are copied into the outgoing frame as it is delivered.
        var frame = HeldFrameBuilder()
        for slot in state.throttles.indices where state.throttles[slot].heldCount > 0 {
            let before = frame.count
            state.throttles[slot].flushDue(now: now, into: &frame)
            if frame.count > before { stats.channels[slot].shaped.add(ShapingReason.deferred.rawValue, frame.count - before) }
        }
        return frame.finish()
    }

    private static func dueBuffers(_ state: inout State, now: Int64) -> EventBatch? {
        var emitted = state.scratch
        state.scratch = []
        emitted.removeAll(keepingCapacity: true)
        for slot in state.buffers.indices where state.bufferMask & EventBatch.maskBit(UInt8(slot)) != 0 && state.buffers[slot].isDue(now: now) {
            state.buffers[slot].emit { emitted.append($0) }
        }
        let batch = batch(of: emitted)
        emitted.removeAll(keepingCapacity: true)
        state.scratch = emitted
        return batch
    }

    /// Builds one batch (a JSON array frame) from held events.
    private static func batch(of held: [HeldEvent]) -> EventBatch? { HeldFrameBuilder.batch(of: held) }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1_000_000_000 + duration.components.attoseconds / 1_000_000_000
    }
}

/// One JSON-array frame built from held events as they are delivered: each event's bytes are
/// copied once, from the frame it was held in.
struct HeldFrameBuilder {
    private var frame = HeldEvent.noStorage
    private var records: [EventRecord] = []

    var count: Int { records.count }

    mutating func append(_ event: HeldEvent) {
        let length = Int(event.record.length)
        reserve(length + 1, events: 1)
        var record = event.record
        record.start = UInt32(frame.writerIndex + 1)
        records.append(record)
        let opener = opener
        frame.withUnsafeMutableWritableBytes { target in
            target[0] = opener
            event.withBytes { bytes in
                if let base = bytes.baseAddress { (target.baseAddress! + 1).copyMemory(from: base, byteCount: length) }
            }
        }
        frame.moveWriterIndex(forwardBy: length + 1)
    }

    /// Appends held events, `held[i]` of the pool's frame `frames[i]`, copying their bytes in one pass.
    mutating func append(_ held: UnsafeBufferPointer<EventRecord>, in frames: UnsafeBufferPointer<Int32>, of pool: FramePool) {
        guard !held.isEmpty else { return }
        var total = 0
        for index in 0..<held.count {
            total &+= Int(held[index].length) &+ 1
            pool.prefetch(held[index], in: frames[index])
        }
        reserve(total, events: held.count)
        let opener = opener, first = records.count, origin = frame.writerIndex
        // The records in one copy (their starts are set below), then each event's bytes.
        records.append(contentsOf: held)
        records.withUnsafeMutableBufferPointer { added in
            frame.withUnsafeMutableWritableBytes { target in
                let base = target.baseAddress!
                var at = 0
                for index in 0..<held.count {
                    let record = held[index]
                    target[at] = at == 0 ? opener : UInt8(ascii: ",")
                    pool.copy(record, in: frames[index], to: base + at + 1)
                    added[first + index].start = UInt32(truncatingIfNeeded: origin + at + 1)
                    at &+= Int(record.length) &+ 1
                }
            }
        }
        frame.moveWriterIndex(forwardBy: total)
    }

    /// `[` before the frame's first event, `,` before the others.
    private var opener: UInt8 { frame.writerIndex == 0 ? UInt8(ascii: "[") : UInt8(ascii: ",") }

    /// Room for `bytes` more and the closing `]`: about what is delivered (a sink may queue the
    /// batch a while), at least a kilobyte so appending events one by one rarely grows it.
    private mutating func reserve(_ bytes: Int, events: Int) {
        if records.isEmpty {
            frame = ByteBufferAllocator().buffer(capacity: max(1 << 10, bytes + 1))
        } else {
            frame.reserveCapacity(minimumWritableBytes: bytes + 1)
        }
        records.reserveCapacity(records.count + events)
    }

    /// One batch of `held`, in their order, or nil when there are none.
    static func batch(of held: [HeldEvent]) -> EventBatch? {
        var frame = HeldFrameBuilder()
        for event in held { frame.append(event) }
        return frame.finish()
    }

    /// The batch, or nil when nothing was delivered.
    mutating func finish() -> EventBatch? {
        guard !records.isEmpty else { return nil }
        frame.writeInteger(UInt8(ascii: "]"))
        var batch = EventBatch(frame: frame, records: records)
        batch.recomputeChannelMask()
        return batch
    }
}
