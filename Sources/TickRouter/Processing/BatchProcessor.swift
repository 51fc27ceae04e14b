public import TickRouterConfig

/// Runs every channel's processor over a batch in one pass, on the connection's task.
///
/// Each channel keeps its own state (per-symbol arrays indexed by ``SymbolID``, so no hashing and
/// no lock: symbols are partitioned across connections). Rejected events are removed by compacting
/// the batch's record array in place; counters are updated once per batch.
public struct BatchProcessor {
    private let connectionName: String
    private let stats: EngineStats
    private let shared: ProcessorPolicies
    private var policies: [ChannelPolicy?]
    private var policyGeneration: Int
    /// Last sequence per symbol, for channels with `dedup`.
    private var lastSequence: [[Int64]]

    public init(connectionName: String, policies: ProcessorPolicies, stats: EngineStats) {
        self.connectionName = connectionName
        self.stats = stats
        self.shared = policies
        self.policyGeneration = policies.generation
        self.policies = policies.snapshot
        self.lastSequence = Array(repeating: [], count: FeedChannel.count)
    }

    /// Validates, deduplicates and counts the batch's events, removing rejected ones.
    public mutating func process(_ batch: inout EventBatch) {
        if shared.generation != policyGeneration {
            policyGeneration = shared.generation
            policies = shared.snapshot
        }
        let slots = FeedChannel.count + 1
        withUnsafeTemporaryAllocation(of: Int.self, capacity: slots * 2) { counts in
            counts.initialize(repeating: 0)
            var write = 0
            var mask: UInt32 = 0
            let count = batch.records.count
            for read in 0..<count {
                let record = batch.records[read]
                let slot = record.channelCode == EventRecord.unknownChannel ? FeedChannel.count : Int(record.channelCode)
                counts[slot] += 1
                if record.invalidReason != 0 {
                    quarantine(record, in: batch)
                    continue
                }
                if slot < FeedChannel.count, let policy = policies[slot], policy.dedup,
                    record.flags & EventRecord.Flags.hasSequence != 0, !isNew(record, slot: slot)
                {
                    continue
                }
                batch.records[write] = record
                write += 1
                counts[slots + slot] += 1
                mask |= EventBatch.maskBit(record.channelCode)
            }
            if write < count { batch.records.removeSubrange(write...) }
            batch.channelMask = mask
            for slot in 0..<slots where counts[slot] > 0 {
                let channelStats = stats.channels[slot]
                channelStats.received.add(counts[slot])
                channelStats.forwarded.add(counts[slots + slot])
            }
        }
    }

    @inline(__always)
    private mutating func isNew(_ record: EventRecord, slot: Int) -> Bool {
        let symbol = Int(record.symbol)
        if symbol >= lastSequence[slot].count {
            lastSequence[slot].append(contentsOf: repeatElement(Int64.min, count: symbol - lastSequence[slot].count + 1024))
        }
        guard record.sequence > lastSequence[slot][symbol] else { return false }
        lastSequence[slot][symbol] = record.sequence
        return true
    }

    private func quarantine(_ record: EventRecord, in batch: EventBatch) {
        let reason = InvalidReason(rawValue: record.invalidReason) ?? .none
        stats.channel(code: record.channelCode).quarantined.add(Int(reason.rawValue), 1)
        batch.withEventBytes(record) { bytes in
            stats.quarantine.add(connection: connectionName, reason: reason.description, bytes: bytes)
        }
    }
}
