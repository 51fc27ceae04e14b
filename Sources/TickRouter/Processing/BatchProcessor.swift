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
    /// Per channel slot, what the processor checks (a trivial value: reading it per event costs no
    /// reference counting, unlike the full ``ChannelPolicy``).
    private var rules: [Rules]
    private var policyGeneration: Int
    /// Last sequence per channel and symbol, for channels with `dedup`.
    private let lastSequence = SequenceTable(channels: FeedChannel.count)
    /// Newest bar window per symbol, for bar channels.
    private var bars: [BarCorrections]

    public init(connectionName: String, policies: ProcessorPolicies, stats: EngineStats) {
        self.connectionName = connectionName
        self.stats = stats
        self.shared = policies
        self.policyGeneration = policies.generation
        self.rules = Rules.make(policies.snapshot)
        self.bars = Array(repeating: BarCorrections(), count: FeedChannel.count)
    }

    /// Validates, deduplicates, ages and counts the batch's events, removing rejected ones and
    /// marking re-sent bars as corrections.
    ///
    /// - Parameter nowMillis: the wall clock in milliseconds since the epoch, for `late_after`.
    public mutating func process(_ batch: inout EventBatch, nowMillis: Int64) {
        if shared.generation != policyGeneration {
            policyGeneration = shared.generation
            rules = Rules.make(shared.snapshot)
        }
        let slots = FeedChannel.count + 1
        // Per channel slot: received, forwarded, duplicates, corrections (kept under 1 KiB, so the
        // temporary allocation stays on the stack).
        let duplicate = 0
        let correction = 1
        let columns = 4
        let sequences = lastSequence
        let rules = self.rules
        withUnsafeTemporaryAllocation(of: Int.self, capacity: slots * columns) { counts in
            counts.initialize(repeating: 0)
            var write = 0
            var mask: UInt32 = 0
            let count = batch.records.count
            for read in 0..<count {
                var record = batch.records[read]
                let slot = record.channelCode == EventRecord.unknownChannel ? FeedChannel.count : Int(record.channelCode)
                counts[slot * columns] += 1
                if record.invalidReason == 0, slot < FeedChannel.count, case let policy = rules[slot], policy.active {
                    if policy.dedup, record.flags & EventRecord.Flags.hasSequence != 0, !sequences.advance(slot: slot, symbol: Int(record.symbol), to: record.sequence) {
                        counts[slot * columns + 2 + duplicate] += 1
                        continue
                    }
                    if policy.lateAfterMillis < Int64.max, record.flags & EventRecord.Flags.hasTimestamp != 0,
                        nowMillis - TimestampUnit.milliseconds(record.timestamp) > policy.lateAfterMillis
                    {
                        record.invalidReason = InvalidReason.late.rawValue
                    } else if policy.marksCorrections, record.flags & EventRecord.Flags.hasTimestamp != 0,
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
                if counts[slot * columns + 2 + duplicate] > 0 {
                    channelStats.shaped.add(ShapingReason.duplicate.rawValue, counts[slot * columns + 2 + duplicate])
                }
                if counts[slot * columns + 2 + correction] > 0 {
                    channelStats.shaped.add(ShapingReason.correction.rawValue, counts[slot * columns + 2 + correction])
                }
                corrections += counts[slot * columns + 2 + correction]
            }
            if corrections > 0 { batch.markCorrections() }
        }
    }

    /// The per-event checks of one channel, from its ``ChannelPolicy``.
    private struct Rules {
        var active = false
        var dedup = false
        /// `Int64.max` when the channel has no `late_after`.
        var lateAfterMillis = Int64.max
        /// A bar channel with `bars: upsert`.
        var marksCorrections = false

        static func make(_ policies: [ChannelPolicy?]) -> [Rules] {
            (0...FeedChannel.count).map { slot in
                guard slot < FeedChannel.count, let policy = policies[slot] else { return Rules() }
                var rules = Rules(
                    dedup: policy.dedup, lateAfterMillis: policy.lateAfterMillis ?? Int64.max,
                    marksCorrections: policy.upsertsBars && FeedChannel(rawValue: UInt8(slot))?.isBar == true
                )
                // Only a channel with one of these checks is looked at per event (a throttle is
                // the shaping stage's).
                rules.active = rules.dedup || rules.lateAfterMillis < Int64.max || rules.marksCorrections
                return rules
            }
        }
    }

    private func quarantine(_ record: EventRecord, in batch: EventBatch) {
        let reason = InvalidReason(rawValue: record.invalidReason) ?? .none
        stats.channel(code: record.channelCode).quarantined.add(Int(reason.rawValue), 1)
        batch.withEventBytes(record) { bytes in
            stats.quarantine.add(connection: connectionName, reason: reason.description, bytes: bytes)
        }
    }
}

/// The last sequence number seen per channel and symbol: plain buffers indexed by ``SymbolID``,
/// so a dedup check is a load and a store (no copy-on-write check, no reference count). It
/// belongs to one connection's processor and is never shared between processors.
final class SequenceTable {
    private let columns: UnsafeMutablePointer<UnsafeMutablePointer<Int64>?>
    private let capacities: UnsafeMutablePointer<Int>
    private let channels: Int

    init(channels: Int) {
        self.channels = channels
        columns = .allocate(capacity: channels)
        columns.initialize(repeating: nil, count: channels)
        capacities = .allocate(capacity: channels)
        capacities.initialize(repeating: 0, count: channels)
    }

    deinit {
        for slot in 0..<channels { columns[slot]?.deallocate() }
        columns.deallocate()
        capacities.deallocate()
    }

    /// Records `sequence` for `symbol` of channel `slot`; false when it is not newer than the last
    /// one (a duplicate).
    @inline(__always) func advance(slot: Int, symbol: Int, to sequence: Int64) -> Bool {
        if symbol >= capacities[slot] { grow(slot: slot, to: symbol) }
        let values = columns[slot].unsafelyUnwrapped
        guard sequence > values[symbol] else { return false }
        values[symbol] = sequence
        return true
    }

    private func grow(slot: Int, to symbol: Int) {
        let old = capacities[slot]
        let larger = symbol + 1024
        let new = UnsafeMutablePointer<Int64>.allocate(capacity: larger)
        if let values = columns[slot] {
            new.update(from: values, count: old)
            values.deallocate()
        }
        (new + old).initialize(repeating: Int64.min, count: larger - old)
        columns[slot] = new
        capacities[slot] = larger
    }
}
