public import NIOCore
public import TickRouterConfig

/// Per-symbol throttling of one channel: a pure state machine driven by the caller's clock.
///
/// Each symbol passes at most one event per `interval`. The first event of a quiet symbol passes at
/// once and opens a window; later events inside the window are either held (`conflate`: only
/// the newest is kept and it is delivered when the window ends, so the last value is never lost) or
/// dropped (`sample`). Priority symbols bypass the throttle.
///
/// A channel rate cap (`max_rate`) reuses the same machinery: once the channel has passed
/// `maxRate` events in the current second, non-priority events are conflated until that second
/// ends, whatever their own window says.
///
/// State is kept in a column indexed by ``SymbolID`` (no hashing), one cache line per symbol with
/// its held event in it. Times are monotonic nanoseconds.
public struct SymbolThrottle: Sendable {
    /// What the caller does with one event.
    public enum Decision: Equatable, Sendable {
        /// Deliver it now.
        case pass
        /// Keep it (call ``hold(_:symbol:bytes:)``); it supersedes any held event of its symbol.
        case hold
        /// Drop it (sampled out).
        case drop
    }

    public let interval: Int64
    public let mode: ThrottleMode
    public let maxRate: Int?
    /// Symbols that bypass the throttle and the rate cap.
    public let priority: Set<SymbolID>

    /// What the throttle knows of one symbol, its held event included: 64 bytes on a 64-byte
    /// boundary, so an event's decision and its hold touch one cache line.
    struct SymbolState {
        /// The held event's record (meaningful while `heldFrame >= 0`).
        var held = EventRecord(channelCode: 0, symbol: 0, start: 0, length: 0)
        /// End of the symbol's current window (0 = no window).
        var windowEnd: Int64 = 0
        /// Pool index of the frame the held event points into, or -1 when nothing is held.
        var heldFrame: Int32 = -1
        /// The next symbol filed in the same due-time bucket.
        var next: Int32 = -1
        /// Whether the symbol is filed in a due-time bucket.
        var filed = false
        var isPriority = false
        private var padding: (UInt16, UInt32, UInt32) = (0, 0, 0)
    }

    /// Per-symbol state in plain memory: holding or superseding an event is a few stores into the
    /// symbol's line, with no reference counting and no uniqueness check.
    private let states = PlainColumn<SymbolState>(capacity: 1024, alignment: 64)
    /// The frames held events point into, shared rather than copied (see ``pin(_:)``).
    private var frames = FramePool()
    /// Symbols with a held event filed by when it is due, in buckets of `wheelWidth` nanoseconds
    /// on a ring of linked lists (the links are in ``SymbolState``): a scan visits only the
    /// buckets whose time has come, and filing a symbol is two stores.
    private var wheelHeads: [Int32]
    private let wheelWidth: Int64
    /// Bucket number (time / width) of the oldest bucket not yet scanned.
    private var wheelCursor: Int64 = 0
    /// Number of held events.
    public private(set) var heldCount = 0
    /// Reused by ``flushDue(now:_:)``: the symbols of the buckets it scans, and the due events.
    private let entryScratch = PlainColumn<SymbolID>()
    private let dueScratch = PlainColumn<(record: EventRecord, frame: Int32)>()
    /// The channel-rate second: its end and the events passed in it.
    private var rateWindowEnd: Int64 = 0
    private var rateCount = 0

    /// - Parameters:
    ///   - interval: the per-symbol window in nanoseconds; 0 throttles nothing but the rate cap.
    ///   - maxRate: events per second the channel passes before conflating non-priority symbols.
    ///   - priority: symbols that bypass both.
    public init(interval: Int64, mode: ThrottleMode, maxRate: Int? = nil, priority: [SymbolID] = []) {
        self.interval = interval
        self.mode = mode
        self.maxRate = maxRate
        self.priority = Set(priority)
        // Buckets of an eighth of the window; a rate cap defers up to a second. (An unshaped
        // channel's throttle holds nothing: one bucket.)
        let width = max(interval / 8, 1_000_000)
        let reach = maxRate == nil ? interval : max(interval, 1_000_000_000)
        self.wheelWidth = width
        self.wheelHeads = Array(repeating: -1, count: reach > 0 ? Int(reach / width) + 2 : 1)
        assert(MemoryLayout<SymbolState>.stride == 64, "a symbol's state is one cache line")
        for symbol in priority {
            grow(to: symbol)
            states.base[Int(symbol)].isPriority = true
        }
    }

    /// A throttle that is never consulted (an unshaped channel's slot). A new one each time: a
    /// throttle's state lives in memory its copies share.
    public static var off: SymbolThrottle { SymbolThrottle(interval: 0, mode: .conflate) }

    /// What ``admit(_:channelCode:now:frame:)`` did with a batch's events.
    public struct Admitted: Sendable {
        /// Events held or dropped: their records now carry ``EventRecord/removedChannel``.
        public var removed = 0
        /// Held events that superseded an older held one, and passing events that discarded one.
        public var conflated = 0
        /// Events dropped by `mode: sample`.
        public var sampled = 0
        /// Events of the channel left in the batch (passed).
        public var passed = 0
    }

    /// Decides the fate of one event of `symbol` arriving at `now`.
    ///
    /// `superseded` is set when a held event of the symbol is discarded because this newer one passes.
    public mutating func offer(symbol: SymbolID, now: Int64, superseded: inout Bool) -> Decision {
        grow(to: symbol)
        return decide(&states.base[Int(symbol)], symbol: symbol, now: now, superseded: &superseded)
    }

    /// Offers every event of `channelCode` in `records` (one batch, arrived in `frame`, at `now`):
    /// those that pass are left alone; those held or dropped get ``EventRecord/removedChannel`` as
    /// their channel, for the caller to compact away. Held events share `frame` (see ``HeldEvent``).
    ///
    /// An event costs a few loads and stores in its symbol's line of state, no uniqueness check or
    /// reference count.
    public mutating func admit(
        _ records: UnsafeMutableBufferPointer<EventRecord>, channelCode: UInt8, now: Int64, frame: ByteBuffer
    ) -> Admitted {
        let pinned = pin(frame)
        var admitted = Admitted()
        // Counted in locals (registers), written back once.
        var removed = 0, conflated = 0, sampled = 0, visited = 0
        var states = self.states.base, known = self.states.count
        for index in records.indices {
            // Other channels' events are skipped on their channel byte alone.
            guard records[index].channelCode == channelCode else { continue }
            let symbol = Int(records[index].symbol)
            if symbol >= known {
                // A symbol new to this throttle: room for it (the state may move).
                grow(to: records[index].symbol)
                states = self.states.base
                known = self.states.count
            }
            visited &+= 1
            var superseded = false
            switch decide(&states[symbol], symbol: records[index].symbol, now: now, superseded: &superseded) {
            case .pass:
                if superseded { conflated &+= 1 }
                continue
            case .drop:
                sampled &+= 1
            case .hold:
                let replaced: Bool
                if let pinned {
                    replaced = keep(records[index], frame: pinned, state: &states[symbol], now: now)
                } else {
                    replaced = keepCopy(records[index], of: frame, state: &states[symbol], now: now)
                }
                if replaced { conflated &+= 1 }
            }
            records[index].channelCode = EventRecord.removedChannel
            removed &+= 1
        }
        admitted.passed = visited - removed
        admitted.removed = removed
        admitted.conflated = conflated
        admitted.sampled = sampled
        if let pinned { unpin(pinned) }
        return admitted
    }

    @inline(__always)
    private mutating func decide(_ state: inout SymbolState, symbol: SymbolID, now: Int64, superseded: inout Bool) -> Decision {
        if state.isPriority { return .pass }
        if let maxRate {
            if now >= rateWindowEnd {
                rateWindowEnd = now + 1_000_000_000
                rateCount = 0
            }
            if rateCount >= maxRate {
                // Over the channel's budget: conflate until the second ends.
                state.windowEnd = max(state.windowEnd, rateWindowEnd)
                return .hold
            }
        }
        if now >= state.windowEnd {
            if state.heldFrame >= 0 {
                frames.release(state.heldFrame)
                state.heldFrame = -1
                heldCount -= 1
                superseded = true
            }
            state.windowEnd = interval > 0 ? now + interval : 0
            rateCount += 1
            return .pass
        }
        return mode == .conflate ? .hold : .drop
    }

    /// Registers the frame of the batch being offered, before its events are held with
    /// ``hold(_:symbol:frame:)`` or ``admit(_:channelCode:now:frame:)``; the caller unpins it once the batch
    /// is done. A frame larger than ``HeldEvent/sharedFrameLimit`` is not pinned (nil): hold its
    /// events with ``hold(_:symbol:in:)``, which copies their bytes.
    private mutating func pin(_ frame: ByteBuffer) -> Int32? {
        frame.readableBytes <= HeldEvent.sharedFrameLimit ? frames.add(frame) : nil
    }

    /// Ends a batch's pin: the frame goes once no held event points into it.
    private mutating func unpin(_ frame: Int32) { frames.release(frame) }

    /// Keeps `record`, an event of the pinned `frame`, as the symbol's held event. Returns true
    /// when it replaced an older held one.
    @discardableResult
    private mutating func hold(_ record: EventRecord, symbol: SymbolID, frame: Int32) -> Bool {
        grow(to: symbol)
        return keep(record, frame: frame, state: &states.base[Int(symbol)], now: 0)
    }

    /// ``keep(_:frame:state:now:)`` for an event of a frame too large to share: its bytes are copied.
    /// Out of line: rare, and the admit loop's code stays small.
    @inline(never)
    private mutating func keepCopy(_ record: EventRecord, of frame: ByteBuffer, state: inout SymbolState, now: Int64) -> Bool {
        let copy = HeldEvent(record: record, in: frame)
        let id = frames.add(copy.storage)
        defer { frames.release(id) }
        return keep(copy.record, frame: id, state: &state, now: now)
    }

    @inline(__always)
    private mutating func keep(_ record: EventRecord, frame: Int32, state: inout SymbolState, now: Int64) -> Bool {
        frames.retain(frame)
        let previous = state.heldFrame
        state.held = record
        state.heldFrame = frame
        if previous >= 0 {
            frames.release(previous)
            return true
        }
        if heldCount == 0 { wheelCursor = max(wheelCursor, now / wheelWidth) }
        heldCount += 1
        file(record.symbol, &state)
        return false
    }

    /// Files a symbol under the bucket of its window's end (clamped to the ring). A symbol still
    /// filed stays where it is: its window only ever moves later, so it is visited early and
    /// filed again then.
    @inline(__always)
    private mutating func file(_ symbol: SymbolID, _ state: inout SymbolState) {
        guard !state.filed else { return }
        let count = Int64(wheelHeads.count)
        let bucket = min(max(state.windowEnd / wheelWidth, wheelCursor), wheelCursor + count - 1)
        let ring = Int(bucket % count)
        state.filed = true
        state.next = wheelHeads[ring]
        wheelHeads[ring] = Int32(bitPattern: symbol)
    }

    /// Keeps `record`, an event of `frame`, as the symbol's held event (shared when the frame is
    /// small enough, copied otherwise). Returns true when it replaced an older held one.
    @discardableResult
    public mutating func hold(_ record: EventRecord, symbol: SymbolID, in frame: ByteBuffer) -> Bool {
        let event = HeldEvent(record: record, in: frame)
        let id = frames.add(event.storage)
        defer { frames.release(id) }
        return hold(event.record, symbol: symbol, frame: id)
    }

    /// Keeps a copy of `bytes` as the symbol's held event. Returns true when it replaced an older held one.
    @discardableResult
    public mutating func hold(_ record: EventRecord, symbol: SymbolID, bytes: UnsafeRawBufferPointer) -> Bool {
        let event = HeldEvent(record: record, copying: bytes)
        return hold(event.record, symbol: symbol, in: event.storage)
    }

    /// Delivers every held event whose window has ended by `now`, earliest due first, and opens a
    /// new window for each (so a symbol still passes at most one event per interval). `deliver`
    /// gets the event's record and bytes, valid for the call.
    public mutating func flushDue(now: Int64, _ deliver: (EventRecord, UnsafeRawBufferPointer) -> Void) {
        takeDue(now: now)
        for (record, frame) in dueScratch.elements {
            deliver(record, frames.bytes(of: record, in: frame))
            frames.release(frame)
        }
        dueScratch.removeAll()
    }

    /// ``flushDue(now:_:)`` into the shaping stage's frame builder, copying all due events' bytes
    /// in one pass.
    mutating func flushDue(now: Int64, into builder: inout HeldFrameBuilder) {
        takeDue(now: now)
        guard !dueScratch.isEmpty else { return }
        builder.append(dueScratch.elements, from: frames)
        for (_, frame) in dueScratch.elements { frames.release(frame) }
        dueScratch.removeAll()
    }

    /// Takes every due held event out of its symbol's state into `dueScratch` (its frame stays
    /// counted until the caller releases it) and opens its symbol's next window.
    private mutating func takeDue(now: Int64) {
        guard heldCount > 0 else { return }
        if maxRate != nil, now >= rateWindowEnd {
            rateWindowEnd = now + 1_000_000_000
            rateCount = 0
        }
        // The columns as locals: no retain and release of them per event.
        let entries = entryScratch, due = dueScratch, states = self.states.base
        let target = now / wheelWidth
        if target >= wheelCursor {
            let count = Int64(wheelHeads.count)
            for bucket in max(wheelCursor, target - count + 1)...target {
                let ring = Int(bucket % count)
                var symbol = wheelHeads[ring]
                wheelHeads[ring] = -1
                while symbol >= 0 {
                    let index = Int(symbol)
                    entries.append(SymbolID(bitPattern: symbol))
                    symbol = states[index].next
                    states[index].next = -1
                    states[index].filed = false
                }
            }
            // The current bucket is only partly past: what in it is not yet due is filed again.
            wheelCursor = target
        }
        for symbol in entries.elements {
            let index = Int(symbol)
            // A symbol whose held event was superseded since it was filed.
            guard states[index].heldFrame >= 0 else { continue }
            let overBudget = maxRate.map { rateCount >= $0 } ?? false
            guard states[index].windowEnd <= now, !overBudget else {
                // Not due yet (its bucket is only partly past, or the rate cap extended its window).
                file(symbol, &states[index])
                continue
            }
            due.append((states[index].held, states[index].heldFrame))
            states[index].heldFrame = -1
            states[index].windowEnd = interval > 0 ? now + interval : 0
            heldCount -= 1
            rateCount += 1
        }
        entries.removeAll()
    }

    /// Delivers every held event now, whatever its window (shutdown, reload), as copies.
    public mutating func flushAll(_ deliver: (HeldEvent) -> Void) {
        guard heldCount > 0 else { return }
        let states = self.states.base
        for ring in wheelHeads.indices {
            var symbol = wheelHeads[ring]
            wheelHeads[ring] = -1
            while symbol >= 0 {
                let index = Int(symbol)
                let next = states[index].next
                states[index].next = -1
                states[index].filed = false
                let frame = states[index].heldFrame
                if frame >= 0 {
                    let record = states[index].held
                    deliver(HeldEvent(record: record, copying: frames.bytes(of: record, in: frame)))
                    states[index].heldFrame = -1
                    frames.release(frame)
                }
                symbol = next
            }
        }
        heldCount = 0
    }

    @inline(never)
    private mutating func grow(to symbol: SymbolID) {
        let index = Int(symbol)
        guard index >= states.count else { return }
        states.append(repeating: SymbolState(), count: index - states.count + 1024)
    }
}

/// Frames shared by held events, counted by plain integers: a frame is let go when the last held
/// event pointing into it is delivered or superseded and its batch has unpinned it.
struct FramePool: Sendable {
    private var frames: [ByteBuffer] = []
    /// Address of each frame's readable bytes (as an integer, to stay `Sendable`): the pool
    /// keeps the frame alive and nothing writes to it, so the address holds until it is let go,
    /// and copying an event out costs no call into the buffer.
    private let bases = PlainColumn<Int>()
    /// Per frame, the held events pointing into it plus its batch's pin (plain memory: counted
    /// per held event).
    private let uses = PlainColumn<Int32>()
    private var free: [Int32] = []

    /// Adds `frame` with one use (the caller's pin).
    mutating func add(_ frame: ByteBuffer) -> Int32 {
        let base = frame.withUnsafeReadableBytes { Int(bitPattern: $0.baseAddress) }
        if let id = free.popLast() {
            frames[Int(id)] = frame
            bases[Int(id)] = base
            uses[Int(id)] = 1
            return id
        }
        frames.append(frame)
        bases.append(base)
        uses.append(1)
        return Int32(frames.count - 1)
    }

    @inline(__always) mutating func retain(_ id: Int32) { uses[Int(id)] &+= 1 }

    @inline(__always) mutating func release(_ id: Int32) {
        uses[Int(id)] &-= 1
        if uses[Int(id)] == 0 {
            frames[Int(id)] = HeldEvent.noStorage
            bases[Int(id)] = 0
            free.append(id)
        }
    }

    /// The bytes of `record`, an event of frame `id` (valid while the frame is held).
    @inline(__always) func bytes(of record: EventRecord, in id: Int32) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: bases[Int(id)])! + Int(record.start), count: Int(record.length))
    }

    /// Copies the bytes of `record`, an event of frame `id`, to `target`.
    @inline(__always) func copy(_ record: EventRecord, in id: Int32, to target: UnsafeMutableRawPointer) {
        target.copyMemory(from: UnsafeRawPointer(bitPattern: bases[Int(id)])! + Int(record.start), byteCount: Int(record.length))
    }
}
