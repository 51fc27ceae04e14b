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

    /// End of each symbol's current window (0 = no window).
    private var windowEnd: [Int64] = []
    /// Index into `slots` of each symbol's held event, or -1.
    private var heldSlot: [Int32] = []
    private var slots: [HeldEvent] = []
    private var freeSlots: [Int32] = []
    /// Symbols with a held event, in the order they were first held.
    private var pending: [SymbolID] = []
    private var isPriority: [Bool] = []
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
            isPriority[Int(symbol)] = true
        }
    }

    /// A throttle that is never consulted (an unshaped channel's slot).
    public static let off = SymbolThrottle(interval: 0, mode: .conflate)

    /// Number of held events.
    public var heldCount: Int { pending.count }

    /// The earliest time a held event is due, or nil when nothing is held.
    public var nextDue: Int64? {
        pending.lazy.map { windowEnd[Int($0)] }.min()
    }

    /// Decides the fate of one event of `symbol` arriving at `now`.
    ///
    /// `superseded` is set when a held event of the symbol is discarded because this newer one passes.
    public mutating func offer(symbol: SymbolID, now: Int64, superseded: inout Bool) -> Decision {
        let index = Int(symbol)
        grow(to: symbol)
        if isPriority[index] { return .pass }
        if let maxRate {
            if now >= rateWindowEnd {
                rateWindowEnd = now + 1_000_000_000
                rateCount = 0
            }
            if rateCount >= maxRate {
                // Over the channel's budget: conflate until the second ends.
                windowEnd[index] = max(windowEnd[index], rateWindowEnd)
                return .hold
            }
        }
        if now >= windowEnd[index] {
            if heldSlot[index] >= 0 {
                release(symbol)
                superseded = true
            }
            windowEnd[index] = interval > 0 ? now + interval : 0
            rateCount += 1
            return .pass
        }
        return mode == .conflate ? .hold : .drop
    }

    /// Keeps `bytes` as the symbol's held event. Returns true when it replaced an older held one.
    @discardableResult
    public mutating func hold(_ record: EventRecord, symbol: SymbolID, bytes: UnsafeRawBufferPointer) -> Bool {
        let index = Int(symbol)
        let slot = heldSlot[index]
        if slot >= 0 {
            slots[Int(slot)].record = record
            slots[Int(slot)].bytes.removeAll(keepingCapacity: true)
            slots[Int(slot)].bytes.append(contentsOf: bytes)
            return true
        }
        let new: Int32
        if let free = freeSlots.popLast() {
            new = free
            slots[Int(new)].record = record
            slots[Int(new)].bytes.removeAll(keepingCapacity: true)
            slots[Int(new)].bytes.append(contentsOf: bytes)
        } else {
            new = Int32(slots.count)
            slots.append(HeldEvent(record: record, bytes: Array(bytes)))
        }
        heldSlot[index] = new
        pending.append(symbol)
        return false
    }

    /// Delivers every held event whose window has ended by `now`, oldest-held first, and opens a
    /// new window for each (so a symbol still passes at most one event per interval).
    public mutating func flushDue(now: Int64, _ deliver: (HeldEvent) -> Void) {
        guard !pending.isEmpty else { return }
        if maxRate != nil, now >= rateWindowEnd {
            rateWindowEnd = now + 1_000_000_000
            rateCount = 0
        }
        var write = 0
        for read in pending.indices {
            let symbol = pending[read]
            let index = Int(symbol)
            let overBudget = maxRate.map { rateCount >= $0 } ?? false
            if windowEnd[index] <= now, !overBudget {
                let slot = Int(heldSlot[index])
                deliver(slots[slot])
                heldSlot[index] = -1
                freeSlots.append(Int32(slot))
                windowEnd[index] = interval > 0 ? now + interval : 0
                rateCount += 1
            } else {
                pending[write] = symbol
                write += 1
            }
        }
        pending.removeSubrange(write...)
    }

    /// Delivers every held event now, whatever its window (shutdown, reload).
    public mutating func flushAll(_ deliver: (HeldEvent) -> Void) {
        for symbol in pending {
            let slot = Int(heldSlot[Int(symbol)])
            deliver(slots[slot])
            heldSlot[Int(symbol)] = -1
            freeSlots.append(Int32(slot))
        }
        pending.removeAll(keepingCapacity: true)
    }

    private mutating func release(_ symbol: SymbolID) {
        let index = Int(symbol)
        freeSlots.append(heldSlot[index])
        heldSlot[index] = -1
        if let position = pending.firstIndex(of: symbol) { pending.remove(at: position) }
    }

    @inline(__always)
    private mutating func grow(to symbol: SymbolID) {
        let index = Int(symbol)
        guard index >= windowEnd.count else { return }
        let extra = index - windowEnd.count + 1024
        windowEnd.append(contentsOf: repeatElement(0, count: extra))
        heldSlot.append(contentsOf: repeatElement(-1, count: extra))
        isPriority.append(contentsOf: repeatElement(false, count: extra))
    }
}
