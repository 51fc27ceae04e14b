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
/// a joiner is on its own. Its copies that arrive ahead are kept aside, not dropped: the
/// established connection may let go before it delivers them, and then the joiner's are the only
/// ones. They pass as soon as the merged stream reaches them, or when the overlap ends.
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
        /// Copies joiners delivered ahead of the merged stream, by joiner and channel
        /// (``pendingKey(_:channel:)``), in arrival order.
        var pending: [UInt64: [HeldEvent]] = [:]
        /// Kept-aside copies of joiners whose overlap ended: delivered before the next batch.
        var orphaned: [HeldEvent] = []

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

    static let joinerMask: UInt64 = (1 << 56) - 1

    /// A joiner's key with the channel code in the top byte.
    static func pendingKey(_ joiner: UInt64, channel: UInt8) -> UInt64 { joiner | UInt64(channel) << 56 }

    /// Most copies kept aside per joiner and channel: beyond that the established stream is not
    /// catching up, and the joiner goes on alone.
    static let pendingLimit = 4096

    /// Ends the overlap that `begin(symbols, joiners:)` started; redundant symbols and other overlaps stay merged.
    public func end(_ symbols: Set<SymbolID>, joiners: [(SymbolID, ConnectionIndex)] = []) {
        guard !symbols.isEmpty else { return }
        let stillActive = state.withLock { state in
            for (symbol, connection) in joiners {
                let key = Self.joinerKey(symbol, connection)
                state.joiners[key] = nil
                // What a joiner kept aside is now the symbol's only stream: it goes out in order.
                for (pendingKey, held) in state.pending where pendingKey & Self.joinerMask == key {
                    state.orphaned.append(contentsOf: Self.inOrder(held, after: nil))
                    state.pending[pendingKey] = nil
                }
            }
            for symbol in symbols {
                guard let count = state.moving[symbol] else { continue }
                state.moving[symbol] = count > 1 ? count - 1 : nil
            }
            // Orphaned copies keep the gate open until the next batch has taken them out.
            return state.settle() || !state.orphaned.isEmpty
        }
        active.store(stillActive, ordering: .releasing)
    }

    /// Sets the symbols carried by more than one connection of the same group (redundancy).
    public func setRedundant(_ symbols: Set<SymbolID>) {
        let stillActive = state.withLock { state in
            state.persistent = symbols
            return state.settle() || !state.orphaned.isEmpty
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
        let connection = batch.connection, receivedAt = batch.receivedAt
        let deliveredUnderLock = state.withLock { state in
            if !state.orphaned.isEmpty, var orphaned = Self.batch(of: state.orphaned, receivedAt: receivedAt) {
                state.orphaned = []
                deliver(&orphaned)
                if state.merged.isEmpty { active.store(false, ordering: .releasing) }
            }
            var released: [HeldEvent] = []
            guard Self.filter(&batch, connection: connection, state: &state, released: &released) else { return false }
            deliver(&batch)
            if var caughtUp = Self.batch(of: released, receivedAt: receivedAt) { deliver(&caughtUp) }
            return true
        }
        if !deliveredUnderLock { deliver(&batch) }
    }

    /// One batch (a JSON array frame) of kept-aside copies, or nil when there are none.
    private static func batch(of held: [HeldEvent], receivedAt: UInt64) -> EventBatch? {
        guard var batch = HeldFrameBuilder.batch(of: held) else { return nil }
        batch.receivedAt = receivedAt
        return batch
    }

    /// Removes duplicates of overlapping symbols from the batch (without delivering it).
    func filter(_ batch: inout EventBatch) {
        pass(&batch) { _ in }
    }

    /// The merge itself; returns whether the batch kept an event of a merged symbol.
    private static func filter(
        _ batch: inout EventBatch, connection: ConnectionIndex, state: inout State, released: inout [HeldEvent]
    ) -> Bool {
        let merged = state.merged
        guard !merged.isEmpty else { return false }
        var keptMerged = false
        let frame = batch.frame
        batch.records.removeAll { record in
            guard record.flags & EventRecord.Flags.hasSequence != 0, merged.contains(record.symbol) else { return false }
            let key = UInt64(record.channelCode) << 32 | UInt64(record.symbol)
            let last = state.lastSequence[key]
            if let last, record.sequence <= last { return true }
            if !state.joiners.isEmpty, let inStep = state.joiners[joinerKey(record.symbol, connection)] {
                let channelBit: UInt64 = 1 << (UInt64(record.channelCode) & 63)
                if inStep & channelBit == 0 {
                    guard let last, record.sequence == last + 1 else {
                        // Ahead of (or before) the established stream, which should deliver the
                        // copies in between first: kept aside until it has.
                        let pendingKey = pendingKey(joinerKey(record.symbol, connection), channel: record.channelCode)
                        state.pending[pendingKey, default: []].append(HeldEvent(record: record, in: frame))
                        if state.pending[pendingKey]!.count >= pendingLimit {
                            state.joiners[joinerKey(record.symbol, connection)] = inStep | channelBit
                            let held = Self.inOrder(state.pending.removeValue(forKey: pendingKey)!, after: last)
                            if let newest = held.last { state.lastSequence[key] = newest.record.sequence }
                            released.append(contentsOf: held)
                        }
                        return true
                    }
                    state.joiners[joinerKey(record.symbol, connection)] = inStep | channelBit
                }
            }
            state.lastSequence[key] = record.sequence
            keptMerged = true
            return false
        }
        batch.recomputeChannelMask()
        if keptMerged, !state.pending.isEmpty { releaseCaughtUp(state: &state, into: &released) }
        return keptMerged || !released.isEmpty
    }

    /// Kept-aside copies newer than `last` (all when nil), in sequence order.
    private static func inOrder(_ held: [HeldEvent], after last: Int64?) -> [HeldEvent] {
        held.filter { $0.record.sequence > last ?? .min }.sorted { $0.record.sequence < $1.record.sequence }
    }

    /// Kept-aside copies the merged stream has now reached: those it already delivered are
    /// dropped; from the next one it needs on, the joiner is in step and its copies pass in order.
    private static func releaseCaughtUp(state: inout State, into released: inout [HeldEvent]) {
        for (pendingKey, held) in state.pending {
            let channel = UInt8(truncatingIfNeeded: pendingKey >> 56)
            let joiner = pendingKey & joinerMask
            let symbol = SymbolID(truncatingIfNeeded: joiner)
            guard let last = state.lastSequence[UInt64(channel) << 32 | UInt64(symbol)] else { continue }
            let waiting = inOrder(held, after: last)
            guard let first = waiting.first else {
                state.pending[pendingKey] = nil
                continue
            }
            guard first.record.sequence == last + 1 else {
                state.pending[pendingKey] = waiting
                continue
            }
            released.append(contentsOf: waiting)
            state.lastSequence[UInt64(channel) << 32 | UInt64(symbol)] = waiting.last!.record.sequence
            if let inStep = state.joiners[joiner] { state.joiners[joiner] = inStep | 1 << (UInt64(channel) & 63) }
            state.pending[pendingKey] = nil
        }
    }
}
