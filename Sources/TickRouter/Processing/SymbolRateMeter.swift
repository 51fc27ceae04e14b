import Synchronization

/// Counts events per symbol on a connection's read task and publishes the counts once a second,
/// for the load-balanced strategy's rebalance. Counting is an array increment indexed by symbol
/// id; the lock is taken once per second. Disabled (and free) unless a rebalance is configured.
public final class SymbolRateMeter: Sendable {
    /// Events per symbol id over the last published interval, and the interval's length.
    private let published = Mutex<(counts: [UInt32], seconds: Double)>(([], 0))

    public init() {}

    func publish(_ counts: [UInt32], seconds: Double) {
        published.withLock { $0 = (counts, seconds) }
    }

    /// Events per second per symbol id over the last interval.
    public var rates: [SymbolID: Double] {
        let (counts, seconds) = published.withLock { $0 }
        guard seconds > 0 else { return [:] }
        var result: [SymbolID: Double] = [:]
        for (id, count) in counts.enumerated() where count > 0 { result[SymbolID(id)] = Double(count) / seconds }
        return result
    }
}

/// The read task's side of a ``SymbolRateMeter``.
struct SymbolCounter {
    let meter: SymbolRateMeter
    private var counts: [UInt32] = []
    private var since: UInt64 = 0

    init(meter: SymbolRateMeter) { self.meter = meter }

    @inline(__always)
    mutating func count(_ batch: EventBatch) {
        for record in batch.records {
            let id = Int(record.symbol)
            if id >= counts.count { counts.append(contentsOf: repeatElement(0, count: id - counts.count + 256)) }
            counts[id] &+= 1
        }
        if since == 0 { since = batch.receivedAt }
        let elapsed = batch.receivedAt &- since
        if elapsed >= 1_000_000_000 {
            meter.publish(counts, seconds: Double(elapsed) / 1e9)
            for index in counts.indices { counts[index] = 0 }
            since = batch.receivedAt
        }
    }
}
