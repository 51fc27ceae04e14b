public import TickRouterConfig

/// Runs every channel's processor over a batch in one pass, on the connection's task:
/// validation, dedup, late data and bar corrections. (Throttling and rate caps span connections
/// and a clock, so they run after the merge in ``ShapingStage``.)
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
    /// Newest bar window per symbol, for bar channels.
    private var bars: [BarCorrections]

    public init(connectionName: String, policies: ProcessorPolicies, stats: EngineStats) {
        self.connectionName = connectionName
        self.stats = stats
        self.shared = policies
        self.policyGeneration = policies.generation
        self.policies = policies.snapshot
        self.lastSequence = Array(repeating: [], count: FeedChannel.count)
        self.bars = Array(repeating: BarCorrections(), count: FeedChannel.count)
    }

    /// Validates, deduplicates, ages and counts the batch's events, removing rejected ones and
    /// marking re-sent bars as corrections.
    ///
    /// - Parameter nowMillis: the wall clock in milliseconds since the epoch, for `late_after`.
    public mutating func process(_ batch: inout EventBatch, nowMillis: Int64) {
        if shared.generation != policyGeneration {
            policyGeneration = shared.generation
            policies = shared.snapshot
        }
        let slots = FeedChannel.count + 1
        let duplicate = ShapingReason.duplicate.rawValue
        let correction = ShapingReason.correction.rawValue
        // received, forwarded, then one slot per shaping reason, per channel slot.
        let columns = 2 + ShapingReason.allCases.count
        withUnsafeTemporaryAllocation(of: Int.self, capacity: slots * columns) { counts in
            counts.initialize(repeating: 0)
            var write = 0
            var mask: UInt32 = 0
            let count = batch.records.count
            for read in 0..<count {
                var record = batch.records[read]
                let slot = record.channelCode == EventRecord.unknownChannel ? FeedChannel.count : Int(record.channelCode)
                counts[slot * columns] += 1
                if record.invalidReason == 0, slot < FeedChannel.count, let policy = policies[slot] {
                    if policy.dedup, record.flags & EventRecord.Flags.hasSequence != 0, !isNew(record, slot: slot) {
                        counts[slot * columns + 2 + duplicate] += 1
                        continue
                    }
                    if let lateAfter = policy.lateAfterMillis, record.flags & EventRecord.Flags.hasTimestamp != 0,
                        nowMillis - TimestampUnit.milliseconds(record.timestamp) > lateAfter
                    {
                        record.invalidReason = InvalidReason.late.rawValue
                    } else if policy.upsertsBars, record.flags & EventRecord.Flags.hasTimestamp != 0,
                        FeedChannel(rawValue: record.channelCode)?.isBar == true,
                        bars[slot].isCorrection(symbol: record.symbol, windowStart: record.timestamp)
                    {
                        record.flags |= EventRecord.Flags.correction
                        counts[slot * columns + 2 + correction] += 1
                    }
                }
                if record.invalidReason != 0 {
                    quarantine(record, in: batch)
                    continue
                }
                batch.records[write] = record
                write += 1
                counts[slot * columns + 1] += 1
                mask |= EventBatch.maskBit(record.channelCode)
            }
            if write < count { batch.records.removeSubrange(write...) }
            batch.channelMask = mask
            var corrections = 0
            for slot in 0..<slots where counts[slot * columns] > 0 {
                let channelStats = stats.channels[slot]
                channelStats.received.add(counts[slot * columns])
                channelStats.forwarded.add(counts[slot * columns + 1])
                for reason in ShapingReason.allCases where counts[slot * columns + 2 + reason.rawValue] > 0 {
                    channelStats.shaped.add(reason.rawValue, counts[slot * columns + 2 + reason.rawValue])
                }
                corrections += counts[slot * columns + 2 + correction]
            }
            if corrections > 0 { batch.markCorrections() }
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
