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
/// State is kept in a column indexed by ``SymbolID`` (no hashing): 32 bytes per symbol, its window
/// and its held event together, so deciding and holding an event touch one cache line. Times are
/// monotonic nanoseconds.
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

    /// Per-symbol state in plain memory, indexed by symbol: deciding, holding or superseding an
    /// event is a few loads and stores, with no reference counting and no uniqueness check.
    private let states = PlainColumn<SymbolState>(capacity: 1024, alignment: 64)
    /// ``admit(_:channelCode:now:frame:)``'s list of the batch's events of the channel.
    private let scratch = IndexScratch()
    /// Marks, within ``admit(_:channelCode:now:frame:)``, a record taken out of its batch.
    private static let removedChannel: UInt8 = 0xFD
    /// The frames held events point into, shared rather than copied (a frame larger than
    /// ``HeldEvent/sharedFrameLimit`` is not: its held events are copies).
    private var frames = FramePool()
    /// Symbols with a held event filed by when it is due, in buckets of 2^`wheelShift`
    /// nanoseconds on a ring of linked lists (the links are in ``SymbolState``; the ring's size
    /// is a power of two): a scan visits only the buckets whose time has come, and filing a
    /// symbol is a shift, a mask and two stores.
    private let wheelHeads: PlainColumn<Int32>
    private let wheelShift: Int64
    private let wheelMask: Int64
    /// Bucket number (time / width) of the oldest bucket not yet scanned.
    private var wheelCursor: Int64 = 0
    /// Number of held events.
    public private(set) var heldCount = 0
    /// Reused by ``flushDue(now:_:)``: the symbols of the buckets it scans, and the due events.
    private let entryScratch = PlainColumn<SymbolID>()
    private let dueRecords = PlainColumn<EventRecord>()
    private let dueFrames = PlainColumn<Int32>()
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
        // Buckets of about a 64th of the window (a power of two of nanoseconds, at least
        // 2^20 ≈ 1 ms), so a scan, a tick apart, finds few symbols of its last bucket not yet due
        // (those are filed again); a rate cap defers up to a second. (An unshaped channel's
        // throttle holds nothing: one bucket.)
        let shift = Int64(63 - max(interval / 64, 1 << 20).leadingZeroBitCount)
        let reach = maxRate == nil ? interval : max(interval, 1_000_000_000)
        let buckets = reach > 0 ? Int(reach >> shift) + 2 : 1
        let ring = buckets <= 1 ? 1 : 1 << (Int.bitWidth - (buckets - 1).leadingZeroBitCount)
        self.wheelShift = shift
        self.wheelMask = Int64(ring - 1)
        self.wheelHeads = PlainColumn(capacity: ring)
        wheelHeads.append(repeating: -1, count: ring)
        assert(MemoryLayout<SymbolState>.stride == 32, "two symbols' states to a cache line")
        for symbol in priority {
            grow(to: symbol)
            states.base[Int(symbol)].windowEnd = SymbolState.priority
        }
    }

    /// A throttle that is never consulted (an unshaped channel's slot). A new one each time: a
    /// throttle's state lives in memory its copies share.
    public static var off: SymbolThrottle { SymbolThrottle(interval: 0, mode: .conflate) }

    /// What ``admit(_:channelCode:now:frame:)`` did with a batch's events.
    public struct Admitted: Sendable {
        public init() {}
        /// Events held or dropped (taken out of the batch).
        public var removed = 0
        /// Events left in the batch, its other channels' included: they are now its first `kept`
        /// records, in their order.
        public var kept = 0
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

    /// Offers every event of `channelCode` in `records` (one batch, arrived in `frame`, at `now`)
    /// and takes out those held or dropped: the others (passed, or of other channels) are moved
    /// to the front in their order, for the caller to truncate to ``Admitted/kept``. Held events
    /// share `frame` (see ``HeldEvent``). Decides as ``offer(symbol:now:superseded:)`` does, event
    /// by event.
    ///
    /// Which events are the channel's is the feed's mix, so a branch on it mispredicts for a
    /// good part of them (measured: about 3% of the pipeline's time). So: the channel's events
    /// are gathered without a branch, decided (a few loads and stores in the symbol's state; the
    /// settings, the rate cap's second and the counts are locals; a held event's use of the
    /// batch's frame is counted once per batch), and, if any was taken out, the batch is
    /// compacted without a branch (every record moved as one 32-byte copy, the write position
    /// advanced past those that stay). A fully branch-free single pass, with every effect a
    /// store to a selected target, was measured slower: it does the channel's work for every event.
    public mutating func admit(
        _ records: UnsafeMutableBufferPointer<EventRecord>, channelCode: UInt8, now: Int64, frame: ByteBuffer
    ) -> Admitted {
        guard let base = records.baseAddress, !records.isEmpty else { return Admitted() }
        guard frame.readableBytes <= HeldEvent.sharedFrameLimit else {
            return admitCopying(records, channelCode: channelCode, now: now, frame: frame)
        }
        let pinned = frames.add(frame)
        // `now` is the whole batch's: the rate cap's second is settled once.
        if maxRate != nil, now >= rateWindowEnd {
            rateWindowEnd = now + 1_000_000_000
            rateCount = 0
        }
        moveCursorIfIdle(to: now)
        let cap = maxRate ?? Int.max, rateEnd = rateWindowEnd, conflates = mode == .conflate
        let windowAfterPass = interval > 0 ? now + interval : 0
        var rateCount = self.rateCount
        var conflated = 0, sampled = 0, removed = 0, pinnedHolds: Int32 = 0
        var states = self.states.base, known = self.states.count
        let uses = frames.useCounts
        let count = records.count
        // 1. The channel's events, gathered without a branch (which events are the channel's is
        //    the feed's mix: a branch on it mispredicts for a good part of them).
        let mine = scratch.indices(count), firstHolds = scratch.symbols(count), spareUses = scratch.spareUses
        // Never reach zero within a batch.
        for index in 0..<16 { spareUses[index] = Int32.max }
        var firstCount = 0
        var visited = 0
        for index in 0..<count {
            mine[visited] = Int32(truncatingIfNeeded: index)
            visited &+= Int(unsafeBitCast(base[index].channelCode == channelCode, to: UInt8.self))
        }
        // 2. Their fates; those held or dropped are marked.
        for position in 0..<visited {
            let source = base + Int(mine[position])
            let symbol = Int(source.pointee.symbol)
            if symbol >= known {
                // A symbol new to this throttle: room for it (the columns may move).
                grow(to: source.pointee.symbol)
                states = self.states.base
                known = self.states.count
            }
            let state = states + symbol
            let windowEnd = state.pointee.windowEnd
            if windowEnd == SymbolState.priority { continue }
            if rateCount >= cap {
                // Over the channel's budget: conflated until the second ends.
                state.pointee.windowEnd = max(windowEnd, rateEnd)
            } else if now >= windowEnd {
                // Passes, and opens a window; a held event of the symbol is superseded.
                let previous = state.pointee.heldFrame
                if previous >= 0 {
                    if previous == pinned {
                        pinnedHolds &-= 1
                    } else {
                        uses[Int(previous)] &-= 1
                        if uses[Int(previous)] == 0 { frames.letGo(previous) }
                    }
                    state.pointee.heldFrame = -1
                    heldCount -= 1
                    conflated &+= 1
                }
                state.pointee.windowEnd = windowAfterPass
                rateCount &+= 1
                continue
            } else if !conflates {
                sampled &+= 1
                source.pointee.channelCode = Self.removedChannel
                removed &+= 1
                continue
            }
            // Held: the newest event of its symbol.
            removed &+= 1
            // Whether it supersedes a held event, of this batch or an older one, or is its
            // symbol's first is the feed's too: counted and released without a branch (an event
            // with nothing to release decrements a spare count), first holds filed after the loop.
            let previous = state.pointee.heldFrame
            state.pointee.keep(source.pointee)
            source.pointee.channelCode = Self.removedChannel
            state.pointee.heldFrame = pinned
            let supersedes = Int(unsafeBitCast(previous >= 0, to: UInt8.self))
            let ofThisBatch = Int(unsafeBitCast(previous == pinned, to: UInt8.self))
            let olderMask = 0 &- (supersedes & (ofThisBatch ^ 1))
            let use = UnsafeMutablePointer<Int32>(
                bitPattern: (Int(bitPattern: uses + Int(previous)) & olderMask) | (Int(bitPattern: spareUses + (position & 15)) & ~olderMask)
            ).unsafelyUnwrapped
            use.pointee &-= 1
            if use.pointee == 0 { frames.letGo(previous) }
            pinnedHolds &+= Int32(truncatingIfNeeded: ofThisBatch ^ 1)
            conflated &+= supersedes
            firstHolds[firstCount] = source.pointee.symbol
            firstCount &+= supersedes ^ 1
        }
        if firstCount > 0 {
            heldCount += firstCount
            for index in 0..<firstCount {
                let symbol = firstHolds[index]
                file(symbol, &states[Int(symbol)])
            }
        }
        // 3. What stays moves to the front: every record is moved (one 32-byte copy), the write
        //    position advances past those that stay (no branch).
        var write = count
        if removed > 0 {
            write = 0
            for read in 0..<count {
                let stays = Int(unsafeBitCast(base[read].channelCode != Self.removedChannel, to: UInt8.self))
                UnsafeMutableRawPointer(base + write).copyMemory(from: base + read, byteCount: MemoryLayout<EventRecord>.size)
                write &+= stays
            }
        }
        self.rateCount = rateCount
        if pinnedHolds > 0 { frames.retain(pinned, by: pinnedHolds) }
        frames.release(pinned)
        var admitted = Admitted()
        admitted.removed = records.count - write
        admitted.kept = write
        admitted.passed = visited - admitted.removed
        admitted.conflated = conflated
        admitted.sampled = sampled
        return admitted
    }

    @inline(__always)
    private mutating func decide(_ state: inout SymbolState, symbol: SymbolID, now: Int64, superseded: inout Bool) -> Decision {
        if state.windowEnd == SymbolState.priority { return .pass }
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

    /// ``admit(_:channelCode:now:frame:)`` for a frame larger than ``HeldEvent/sharedFrameLimit``,
    /// event by event: a held event's bytes are copied rather than its frame kept. Rare, so plain.
    @inline(never)
    private mutating func admitCopying(
        _ records: UnsafeMutableBufferPointer<EventRecord>, channelCode: UInt8, now: Int64, frame: ByteBuffer
    ) -> Admitted {
        moveCursorIfIdle(to: now)
        var admitted = Admitted()
        var write = 0
        for read in records.indices {
            let record = records[read]
            if record.channelCode == channelCode {
                var superseded = false
                switch offer(symbol: record.symbol, now: now, superseded: &superseded) {
                case .pass:
                    admitted.passed += 1
                    if superseded { admitted.conflated += 1 }
                case .hold:
                    admitted.removed += 1
                    if hold(record, symbol: record.symbol, in: frame) { admitted.conflated += 1 }
                    continue
                case .drop:
                    admitted.removed += 1
                    admitted.sampled += 1
                    continue
                }
            }
            records[write] = record
            write += 1
        }
        admitted.kept = write
        return admitted
    }

    /// Keeps `record`, an event of the pool's `frame`, as the symbol's held event. Returns true
    /// when it replaced an older held one.
    @discardableResult
    private mutating func hold(_ record: EventRecord, symbol: SymbolID, frame: Int32) -> Bool {
        grow(to: symbol)
        frames.retain(frame)
        let state = states.base + Int(symbol)
        let previous = state.pointee.heldFrame
        state.pointee.keep(record)
        state.pointee.heldFrame = frame
        if previous >= 0 {
            frames.release(previous)
            return true
        }
        heldCount += 1
        file(symbol, &state.pointee)
        return false
    }

    /// With nothing held (so nothing filed), moves the wheel's cursor to `now`: no filed symbol
    /// is passed over, and symbols held from now on are filed in their own buckets.
    @inline(__always)
    private mutating func moveCursorIfIdle(to now: Int64) {
        if heldCount == 0 { wheelCursor = max(wheelCursor, now &>> wheelShift) }
    }

    /// Files a symbol under the bucket of its window's end (clamped to the ring). A symbol still
    /// filed stays where it is: its window only ever moves later, so it is visited early and
    /// filed again then.
    @inline(__always)
    private mutating func file(_ symbol: SymbolID, _ state: inout SymbolState) {
        guard !state.filed else { return }
        let bucket = min(max(state.windowEnd &>> wheelShift, wheelCursor), wheelCursor &+ wheelMask)
        let ring = Int(bucket & wheelMask)
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
        for (record, frame) in zip(dueRecords.elements, dueFrames.elements) {
            deliver(record, frames.bytes(of: record, in: frame))
            frames.release(frame)
        }
        dueRecords.removeAll()
        dueFrames.removeAll()
    }

    /// ``flushDue(now:_:)`` into the shaping stage's frame builder, copying all due events' bytes
    /// in one pass.
    mutating func flushDue(now: Int64, into builder: inout HeldFrameBuilder) {
        takeDue(now: now)
        guard !dueRecords.isEmpty else { return }
        builder.append(dueRecords.elements, in: dueFrames.elements, of: frames)
        for frame in dueFrames.elements { frames.release(frame) }
        dueRecords.removeAll()
        dueFrames.removeAll()
    }

    /// Takes every due held event out of its symbol's state into `dueRecords` and `dueFrames` (its frame stays
    /// counted until the caller releases it) and opens its symbol's next window.
    private mutating func takeDue(now: Int64) {
        guard heldCount > 0 else { return }
        if maxRate != nil, now >= rateWindowEnd {
            rateWindowEnd = now + 1_000_000_000
            rateCount = 0
        }
        // The columns as locals: no retain and release of them per event.
        let entries = entryScratch, dueRecords = self.dueRecords, dueFrames = self.dueFrames, states = self.states.base
        let target = now &>> wheelShift
        if target >= wheelCursor {
            for bucket in max(wheelCursor, target - wheelMask)...target {
                let ring = Int(bucket & wheelMask)
                var symbol = wheelHeads[ring]
                wheelHeads[ring] = -1
                while symbol >= 0 {
                    let index = Int(symbol)
                    entries.append(SymbolID(bitPattern: symbol))
                    symbol = states[index].next
                    states[index].next = SymbolState.notFiled
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
            dueRecords.append(states[index].heldRecord(symbol: index))
            dueFrames.append(states[index].heldFrame)
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
        for ring in 0..<wheelHeads.count {
            var symbol = wheelHeads[ring]
            wheelHeads[ring] = -1
            while symbol >= 0 {
                let index = Int(symbol)
                let next = states[index].next
                states[index].next = SymbolState.notFiled
                let frame = states[index].heldFrame
                if frame >= 0 {
                    let record = states[index].heldRecord(symbol: index)
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
        let added = index - states.count + 1024
        states.append(repeating: SymbolState(), count: added)
    }
}
