import Synchronization

/// Drops the second copy of an event while a symbol is carried by two connections at once —
/// the overlap while it moves between connections (subscribed on the new one before the old one
/// lets go) — keeping the first copy of each (channel, symbol, sequence).
///
/// Symbols outside an overlap cost one atomic load per batch. During an overlap, one lock per
/// batch covers the batch's overlapping events.
public final class MergeGate: Sendable {
    private struct State {
        /// Symbols carried twice on purpose (redundancy), merged for as long as the routing says so.
        var persistent: Set<SymbolID> = []
        /// Symbols in a temporary overlap (a move in progress).
        var moving: Set<SymbolID> = []
        var symbols: Set<SymbolID> { persistent.union(moving) }
        var lastSequence: [UInt64: Int64] = [:]
    }

    private let active = Atomic<Bool>(false)
    private let state = Mutex(State())

    public init() {}

    /// Starts merging the given symbols (adds to any overlap in progress).
    public func begin(_ symbols: Set<SymbolID>) {
        guard !symbols.isEmpty else { return }
        state.withLock { $0.moving.formUnion(symbols) }
        active.store(true, ordering: .releasing)
    }

    /// Ends every temporary overlap; redundant symbols stay merged.
    public func end() {
        let stillActive = state.withLock { state in
            state.moving = []
            state.lastSequence = state.lastSequence.filter { state.persistent.contains(SymbolID(truncatingIfNeeded: $0.key)) }
            return !state.persistent.isEmpty
        }
        active.store(stillActive, ordering: .releasing)
    }

    /// Sets the symbols carried by more than one connection of the same group (redundancy).
    public func setRedundant(_ symbols: Set<SymbolID>) {
        let stillActive = state.withLock { state in
            state.persistent = symbols
            return !state.persistent.isEmpty || !state.moving.isEmpty
        }
        active.store(stillActive, ordering: .releasing)
    }

    /// Removes duplicates of overlapping symbols from the batch.
    @inline(__always)
    func filter(_ batch: inout EventBatch) {
        guard active.load(ordering: .acquiring) else { return }
        state.withLock { state in
            let merged = state.symbols
            guard !merged.isEmpty else { return }
            batch.records.removeAll { record in
                guard record.flags & EventRecord.Flags.hasSequence != 0, merged.contains(record.symbol) else { return false }
                let key = UInt64(record.channelCode) << 32 | UInt64(record.symbol)
                if let last = state.lastSequence[key], record.sequence <= last { return true }
                state.lastSequence[key] = record.sequence
                return false
            }
        }
        batch.recomputeChannelMask()
    }
}
