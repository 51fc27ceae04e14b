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
/// State is kept in arrays indexed by ``SymbolID`` (no hashing). Times are monotonic nanoseconds.
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

    /// What the throttle knows of one symbol (one array, so an event costs one lookup).
    private struct SymbolState {
        /// End of the symbol's current window (0 = no window).
        var windowEnd: Int64 = 0
        /// Index into `held` of the symbol's held event, or -1.
        var heldSlot: Int32 = -1
        var isPriority = false
    }

    private var states: [SymbolState] = []
    /// Held events: plain values (a record and the pool index of its frame), so holding one
    /// costs no reference counting.
    private var held: [(record: EventRecord, frame: Int32)] = []
    private var freeSlots: [Int32] = []
    /// The frames held events point into, shared rather than copied (see ``pin(_:)``).
    private var frames = FramePool()
    /// Symbols with a held event, in the order they were first held.
    private var pending: [SymbolID] = []
    /// No held event is due before this (a lower bound), so most scans end at once.
    private var earliestDue: Int64 = .max
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
        for symbol in priority {
            grow(to: symbol)
            states[Int(symbol)].isPriority = true
        }
    }

    /// A throttle that is never consulted (an unshaped channel's slot).
    public static let off = SymbolThrottle(interval: 0, mode: .conflate)

    /// Number of held events.
    public var heldCount: Int { pending.count }

    /// The earliest time a held event is due, or nil when nothing is held.
    public var nextDue: Int64? {
        pending.lazy.map { states[Int($0)].windowEnd }.min()
    }

    /// What ``admit(_:now:frame:)`` did with one event.
    public enum Admission: Equatable, Sendable {
        /// Deliver it now; `superseded` when a held event of its symbol was discarded for it.
        case pass(superseded: Bool)
        /// Held; `replaced` when it superseded an older held event of its symbol.
        case held(replaced: Bool)
        /// Dropped (sampled out).
        case dropped
    }

    /// Decides the fate of one event of `symbol` arriving at `now`.
    ///
    /// `superseded` is set when a held event of the symbol is discarded because this newer one passes.
    public mutating func offer(symbol: SymbolID, now: Int64, superseded: inout Bool) -> Decision {
        grow(to: symbol)
        var state = states[Int(symbol)]
        let decision = decide(&state, symbol: symbol, now: now, superseded: &superseded)
        states[Int(symbol)] = state
        return decision
    }

    /// Offers one event of the batch whose frame is pinned as `frame` and holds it when the
    /// throttle says so: ``offer(symbol:now:superseded:)`` and ``hold(_:symbol:frame:)`` in one step.
    @inline(__always)
    public mutating func admit(_ record: EventRecord, now: Int64, frame: Int32) -> Admission {
        let symbol = record.symbol
        grow(to: symbol)
        var superseded = false
        var state = states[Int(symbol)]
        let decision = decide(&state, symbol: symbol, now: now, superseded: &superseded)
        states[Int(symbol)] = state
        switch decision {
        case .pass: return .pass(superseded: superseded)
        case .drop: return .dropped
        case .hold: return .held(replaced: hold(record, symbol: symbol, frame: frame))
        }
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
            if state.heldSlot >= 0 {
                let slot = Int(state.heldSlot)
                state.heldSlot = -1
                releaseSlot(slot)
                if let position = pending.firstIndex(of: symbol) { pending.remove(at: position) }
                superseded = true
            }
            state.windowEnd = interval > 0 ? now + interval : 0
            rateCount += 1
            return .pass
        }
        return mode == .conflate ? .hold : .drop
    }

    /// Registers the frame of the batch being offered, before its events are held with
    /// ``hold(_:symbol:frame:)`` or ``admit(_:now:frame:)``; the caller unpins it once the batch
    /// is done. A frame larger than ``HeldEvent/sharedFrameLimit`` is not pinned (nil): hold its
    /// events with ``hold(_:symbol:in:)``, which copies their bytes.
    public mutating func pin(_ frame: ByteBuffer) -> Int32? {
        frame.readableBytes <= HeldEvent.sharedFrameLimit ? frames.add(frame) : nil
    }

    /// Ends a batch's pin: the frame goes once no held event points into it.
    public mutating func unpin(_ frame: Int32) { frames.release(frame) }

    /// Keeps `record`, an event of the pinned `frame`, as the symbol's held event. Returns true
    /// when it replaced an older held one.
    @discardableResult
    public mutating func hold(_ record: EventRecord, symbol: SymbolID, frame: Int32) -> Bool {
        grow(to: symbol)
        frames.retain(frame)
        let index = Int(symbol)
        let slot = states[index].heldSlot
        if slot >= 0 {
            let previous = held[Int(slot)].frame
            held[Int(slot)] = (record, frame)
            frames.release(previous)
            return true
        }
        let new: Int32
        if let free = freeSlots.popLast() {
            new = free
            held[Int(new)] = (record, frame)
        } else {
            new = Int32(held.count)
            held.append((record, frame))
        }
        states[index].heldSlot = new
        pending.append(symbol)
        earliestDue = min(earliestDue, states[index].windowEnd)
        return false
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

    /// Delivers every held event whose window has ended by `now`, oldest-held first, and opens a
    /// new window for each (so a symbol still passes at most one event per interval). `deliver`
    /// gets the event's record and bytes, valid for the call.
    public mutating func flushDue(now: Int64, _ deliver: (EventRecord, UnsafeRawBufferPointer) -> Void) {
        guard !pending.isEmpty else { return }
        if maxRate != nil, now >= rateWindowEnd {
            rateWindowEnd = now + 1_000_000_000
            rateCount = 0
        }
        // A rate cap can hold events whatever their window: then every scan looks.
        guard now >= earliestDue || maxRate != nil else { return }
        var earliest = Int64.max
        var write = 0
        for read in pending.indices {
            let symbol = pending[read]
            let index = Int(symbol)
            let overBudget = maxRate.map { rateCount >= $0 } ?? false
            let windowEnd = states[index].windowEnd
            if windowEnd <= now, !overBudget {
                let slot = Int(states[index].heldSlot)
                let event = held[slot]
                frames.withBytes(of: event.record, in: event.frame) { deliver(event.record, $0) }
                states[index].heldSlot = -1
                releaseSlot(slot)
                states[index].windowEnd = interval > 0 ? now + interval : 0
                rateCount += 1
            } else {
                earliest = min(earliest, windowEnd)
                pending[write] = symbol
                write += 1
            }
        }
        pending.removeSubrange(write...)
        earliestDue = earliest
    }

    /// Delivers every held event now, whatever its window (shutdown, reload), as copies.
    public mutating func flushAll(_ deliver: (HeldEvent) -> Void) {
        for symbol in pending {
            let slot = Int(states[Int(symbol)].heldSlot)
            let event = held[slot]
            frames.withBytes(of: event.record, in: event.frame) { deliver(HeldEvent(record: event.record, copying: $0)) }
            states[Int(symbol)].heldSlot = -1
            releaseSlot(slot)
        }
        pending.removeAll(keepingCapacity: true)
        earliestDue = .max
    }

    /// Returns a slot to the free list and lets go of its frame.
    private mutating func releaseSlot(_ slot: Int) {
        frames.release(held[slot].frame)
        freeSlots.append(Int32(slot))
    }

    @inline(__always)
    private mutating func grow(to symbol: SymbolID) {
        let index = Int(symbol)
        guard index >= states.count else { return }
        states.append(contentsOf: repeatElement(SymbolState(), count: index - states.count + 1024))
    }
}

/// Frames shared by held events, counted by plain integers: a frame is let go when the last held
/// event pointing into it is delivered or superseded and its batch has unpinned it.
struct FramePool: Sendable {
    private var frames: [ByteBuffer] = []
    private var uses: [Int32] = []
    private var free: [Int32] = []

    /// Adds `frame` with one use (the caller's pin).
    mutating func add(_ frame: ByteBuffer) -> Int32 {
        if let id = free.popLast() {
            frames[Int(id)] = frame
            uses[Int(id)] = 1
            return id
        }
        frames.append(frame)
        uses.append(1)
        return Int32(frames.count - 1)
    }

    @inline(__always) mutating func retain(_ id: Int32) { uses[Int(id)] &+= 1 }

    @inline(__always) mutating func release(_ id: Int32) {
        uses[Int(id)] &-= 1
        if uses[Int(id)] == 0 {
            frames[Int(id)] = HeldEvent.noStorage
            free.append(id)
        }
    }

    func withBytes<R>(of record: EventRecord, in id: Int32, _ body: (UnsafeRawBufferPointer) -> R) -> R {
        frames[Int(id)].withUnsafeReadableBytes { body(UnsafeRawBufferPointer(rebasing: $0[record.byteRange])) }
    }
}
