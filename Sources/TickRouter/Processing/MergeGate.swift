import Synchronization

/// Drops the second copy of an event while a symbol is carried by two connections at once —
/// the overlap while it moves between connections (subscribed on the new one before the old one
/// lets go) — keeping the first copy of each (channel, symbol, sequence).
///
/// A connection that joins a symbol another live connection still delivers is a *joiner*: its
/// first copies can arrive ahead of the established stream (its socket has no backlog yet), and
/// passing them would make the established copies in between look old and drop them — a gap that
/// lost nothing. So a joiner's copies of a (channel, symbol) wait until it is in step (its next
/// sequence is the one the merged stream needs) and only then pass; until the overlap ends, when
/// a joiner is on its own.
///
/// Symbols outside an overlap cost one atomic load per batch. During an overlap, one lock per
/// batch covers the batch's overlapping events and, when it kept any, the batch's hand-off to the
/// sinks, so the merged stream reaches them in the order it passed the gate.
public final class MergeGate: Sendable {
    private struct State {
        /// Symbols carried twice on purpose (redundancy), merged for as long as the routing says so.
        var persistent: Set<SymbolID> = []
        /// Symbols in a temporary overlap (a move in progress), counted: overlapping moves of one
        /// symbol end separately.
        var moving: [SymbolID: Int] = [:]
        /// `persistent` ∪ `moving`'s keys, kept up to date (the filter reads it per batch).
        var merged: Set<SymbolID> = []
        var lastSequence: [UInt64: Int64] = [:]
        /// Joiners (`connection << 32 | symbol`) → bit set of the channel codes they are in step on.
        var joiners: [UInt64: UInt64] = [:]

        /// Recomputes `merged`, forgets the sequences of symbols no longer merged; returns whether any remain.
        mutating func settle() -> Bool {
            merged = persistent.union(moving.keys)
            lastSequence = lastSequence.filter { merged.contains(SymbolID(truncatingIfNeeded: $0.key)) }
            return !merged.isEmpty
        }
    }

    private let active = Atomic<Bool>(false)
    private let state = Mutex(State())

    public init() {}

    static func joinerKey(_ symbol: SymbolID, _ connection: ConnectionIndex) -> UInt64 {
        UInt64(connection) << 32 | UInt64(symbol)
    }

    /// Starts merging the given symbols, in addition to any overlap in progress. `joiners` are the
    /// (symbol, connection) pairs that join a symbol a live connection still delivers.
    public func begin(_ symbols: Set<SymbolID>, joiners: [(SymbolID, ConnectionIndex)] = []) {
        guard !symbols.isEmpty else { return }
        state.withLock { state in
            for symbol in symbols { state.moving[symbol, default: 0] += 1 }
            for (symbol, connection) in joiners { state.joiners[Self.joinerKey(symbol, connection)] = 0 }
            _ = state.settle()
        }
        active.store(true, ordering: .releasing)
    }

    /// Ends the overlap that `begin(symbols, joiners:)` started; redundant symbols and other overlaps stay merged.
    public func end(_ symbols: Set<SymbolID>, joiners: [(SymbolID, ConnectionIndex)] = []) {
        guard !symbols.isEmpty else { return }
        let stillActive = state.withLock { state in
            for (symbol, connection) in joiners { state.joiners[Self.joinerKey(symbol, connection)] = nil }
            for symbol in symbols {
                guard let count = state.moving[symbol] else { continue }
                state.moving[symbol] = count > 1 ? count - 1 : nil
            }
            return state.settle()
        }
        active.store(stillActive, ordering: .releasing)
    }

    /// Sets the symbols carried by more than one connection of the same group (redundancy).
    public func setRedundant(_ symbols: Set<SymbolID>) {
        let stillActive = state.withLock { state in
            state.persistent = symbols
            return state.settle()
        }
        active.store(stillActive, ordering: .releasing)
    }

    /// Removes duplicates of overlapping symbols from the batch, then hands it to `deliver`.
    ///
    /// Two connections' copies pass the gate in sequence order, and must reach the sinks in that
    /// order too: a batch that kept a merged event is delivered before the gate's lock is let go,
    /// so the other connection's next copies cannot overtake it between the gate and the sinks.
    /// Batches without merged events are delivered outside the lock.
    @inline(__always)
    func pass(_ batch: inout EventBatch, to deliver: (inout EventBatch) -> Void) {
        guard active.load(ordering: .acquiring) else { return deliver(&batch) }
        let connection = batch.connection
        let deliveredUnderLock = state.withLock { state in
            guard Self.filter(&batch, connection: connection, state: &state) else { return false }
            deliver(&batch)
            return true
        }
        if !deliveredUnderLock { deliver(&batch) }
    }

    /// Removes duplicates of overlapping symbols from the batch (without delivering it).
    func filter(_ batch: inout EventBatch) {
        pass(&batch) { _ in }
    }

    /// The merge itself; returns whether the batch kept an event of a merged symbol.
    private static func filter(_ batch: inout EventBatch, connection: ConnectionIndex, state: inout State) -> Bool {
        let merged = state.merged
        guard !merged.isEmpty else { return false }
        var keptMerged = false
        batch.records.removeAll { record in
            guard record.flags & EventRecord.Flags.hasSequence != 0, merged.contains(record.symbol) else { return false }
            let key = UInt64(record.channelCode) << 32 | UInt64(record.symbol)
            let last = state.lastSequence[key]
            if let last, record.sequence <= last { return true }
            if !state.joiners.isEmpty, let inStep = state.joiners[joinerKey(record.symbol, connection)] {
                let channelBit: UInt64 = 1 << (UInt64(record.channelCode) & 63)
                if inStep & channelBit == 0 {
                    // Ahead of (or before) the established stream: that stream delivers this one.
                    guard let last, record.sequence == last + 1 else { return true }
                    state.joiners[joinerKey(record.symbol, connection)] = inStep | channelBit
                }
            }
            state.lastSequence[key] = record.sequence
            keptMerged = true
            return false
        }
        batch.recomputeChannelMask()
        return keptMerged
    }
}
