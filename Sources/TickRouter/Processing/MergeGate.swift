import Synchronization

/// Drops the second copy of an event while a symbol is carried by two connections at once —
/// the overlap while it moves between connections (subscribed on the new one before the old one
/// lets go) — keeping the first copy of each (channel, symbol, sequence).
///
/// Symbols outside an overlap cost one atomic load per batch. During an overlap, one lock per
/// batch covers the batch's overlapping events.
public final class MergeGate: Sendable {
    private struct State {
        var symbols: Set<SymbolID> = []
        var lastSequence: [UInt64: Int64] = [:]
    }

    private let active = Atomic<Bool>(false)
    private let state = Mutex(State())

    public init() {}

    /// Starts merging the given symbols (adds to any overlap in progress).
    public func begin(_ symbols: Set<SymbolID>) {
        guard !symbols.isEmpty else { return }
        state.withLock { $0.symbols.formUnion(symbols) }
        active.store(true, ordering: .releasing)
    }

    /// Ends every overlap.
    public func end() {
        state.withLock { $0 = State() }
        active.store(false, ordering: .releasing)
    }

    /// Removes duplicates of overlapping symbols from the batch.
    @inline(__always)
    func filter(_ batch: inout EventBatch) {
        guard active.load(ordering: .acquiring) else { return }
        state.withLock { state in
            guard !state.symbols.isEmpty else { return }
            batch.records.removeAll { record in
                guard record.flags & EventRecord.Flags.hasSequence != 0, state.symbols.contains(record.symbol) else { return false }
                let key = UInt64(record.channelCode) << 32 | UInt64(record.symbol)
                if let last = state.lastSequence[key], record.sequence <= last { return true }
                state.lastSequence[key] = record.sequence
                return false
            }
        }
        batch.recomputeChannelMask()
    }
}
