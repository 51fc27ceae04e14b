public import NIOCore
public import TickRouterConfig

/// One channel's bounded buffer for the pull model (`emit_every`): events are kept here and
/// emitted together once per interval, as one batch. A pure state machine driven by the caller's
/// clock (monotonic nanoseconds).
///
/// The buffer is a ring of `capacity` slots; a buffered event shares the frame it came in
/// (``HeldEvent``), so buffering copies nothing. What happens when it is full is the channel's `overflow` policy:
/// - `drop-oldest`: the oldest buffered event goes;
/// - `drop-newest`: the incoming event goes;
/// - `conflate`: an event replaces the buffered one of its symbol (keeping that one's place); an
///   event of a symbol not yet buffered drops the oldest;
/// - `block`: nothing is dropped — the buffer is emitted early instead. (The wait falls on the
///   sinks' own queues, never on the provider's socket.)
public struct EmissionBuffer: Sendable {
    /// What ``append(_:in:now:)`` did.
    public enum Outcome: Equatable, Sendable {
        case buffered
        /// The event replaced the buffered event of its symbol.
        case conflated
        /// An event was dropped to make room (the oldest, or the incoming one for `drop-newest`).
        case dropped
        /// The buffer is full under `block`: emit it, then append again.
        case mustEmit
    }

    public let capacity: Int
    public let overflow: OverflowPolicy
    public let interval: Int64

    private var slots: [HeldEvent] = []
    /// Ring positions: `head` is the oldest buffered event, `count` events follow it.
    private var head = 0
    private(set) public var count = 0
    /// Ring index + 1 of each symbol's buffered event (conflate only; 0 = none).
    private var slotOfSymbol: [Int32] = []
    private var nextEmit: Int64 = 0

    /// A buffer that is never consulted (an unbuffered channel's slot).
    public static let off = EmissionBuffer(capacity: 1, overflow: .dropOldest, interval: 0)

    public init(capacity: Int, overflow: OverflowPolicy, interval: Int64) {
        self.capacity = max(1, capacity)
        self.overflow = overflow
        self.interval = interval
    }

    /// Buffers one event arriving at `now`.
    public mutating func append(_ record: EventRecord, in frame: ByteBuffer, now: Int64) -> Outcome {
        append(HeldEvent(record: record, in: frame), now: now)
    }

    /// Buffers a copy of one event's bytes arriving at `now`.
    public mutating func append(_ record: EventRecord, bytes: UnsafeRawBufferPointer, now: Int64) -> Outcome {
        append(HeldEvent(record: record, copying: bytes), now: now)
    }

    private mutating func append(_ event: HeldEvent, now: Int64) -> Outcome {
        let record = event.record
        if count == 0, nextEmit == 0 { nextEmit = now + interval }
        if overflow == .conflate, let index = bufferedIndex(of: record.symbol) {
            slots[index] = event
            return .conflated
        }
        var outcome = Outcome.buffered
        if count == capacity {
            switch overflow {
            case .dropNewest: return .dropped
            case .block: return .mustEmit
            case .dropOldest, .conflate:
                forget(slots[head].record.symbol, at: head)
                slots[head].storage = HeldEvent.noStorage
                head = (head + 1) % capacity
                count -= 1
                outcome = .dropped
            }
        }
        let index = (head + count) % capacity
        if index == slots.count {
            slots.append(event)
        } else {
            slots[index] = event
        }
        count += 1
        if overflow == .conflate { remember(record.symbol, at: index) }
        return outcome
    }

    /// Whether the buffer holds events whose interval has ended.
    public func isDue(now: Int64) -> Bool { count > 0 && now >= nextEmit }

    /// Hands every buffered event to `deliver`, oldest first, and empties the buffer.
    public mutating func emit(_ deliver: (HeldEvent) -> Void) {
        for offset in 0..<count {
            let index = (head + offset) % capacity
            deliver(slots[index])
            if overflow == .conflate { forget(slots[index].record.symbol, at: index) }
            slots[index].storage = HeldEvent.noStorage
        }
        head = 0
        count = 0
        nextEmit = 0
    }

    private func bufferedIndex(of symbol: SymbolID) -> Int? {
        let index = Int(symbol)
        guard index < slotOfSymbol.count, slotOfSymbol[index] > 0 else { return nil }
        return Int(slotOfSymbol[index]) - 1
    }

    private mutating func remember(_ symbol: SymbolID, at index: Int) {
        let position = Int(symbol)
        if position >= slotOfSymbol.count {
            slotOfSymbol.append(contentsOf: repeatElement(0, count: position - slotOfSymbol.count + 1024))
        }
        slotOfSymbol[position] = Int32(index + 1)
    }

    private mutating func forget(_ symbol: SymbolID, at index: Int) {
        let position = Int(symbol)
        if position < slotOfSymbol.count, slotOfSymbol[position] == Int32(index + 1) { slotOfSymbol[position] = 0 }
    }
}
