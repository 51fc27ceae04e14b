public import TickRouterConfig
import NIOCore

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
    private var rules: Rules
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
        self.rules = Rules(policies.snapshot)
        self.bars = Array(repeating: BarCorrections(), count: FeedChannel.count)
    }

    /// Validates, deduplicates, ages and counts the batch's events, removing rejected ones and
    /// marking re-sent bars as corrections.
    ///
    /// One pass over the records in place (no per-event uniqueness or bounds check); which
    /// channels are checked, and for what, are bit sets read per event, so a channel without
    /// checks costs a test of one bit.
    ///
    /// - Parameter nowMillis: the wall clock in milliseconds since the epoch, for `late_after`.
    public mutating func process(_ batch: inout EventBatch, nowMillis: Int64) {
        if shared.generation != policyGeneration {
            policyGeneration = shared.generation
            rules = Rules(shared.snapshot)
        }
        let channels = FeedChannel.count, slots = channels + 1
        // Per channel slot: received, forwarded, duplicates, corrections; then, per channel, the
        // time before which an event is late (kept under 1 KiB, so the allocation stays on the stack).
        let duplicate = 2
        let correction = 3
        let columns = 4
        let sequences = lastSequence
        let rules = self.rules
        let frame = batch.frame
        var write = 0
        var mask: UInt32 = 0
        withUnsafeTemporaryAllocation(of: Int64.self, capacity: slots * columns + channels) { scratch in
            scratch.initialize(repeating: 0)
            let counts = scratch.baseAddress!, lateBefore = counts + slots * columns
            var late = rules.late
            while late != 0 {
                let slot = late.trailingZeroBitCount
                late &= late &- 1
                let (cutoff, overflow) = nowMillis.subtractingReportingOverflow(rules.lateAfterMillis[slot])
                lateBefore[slot] = overflow ? Int64.min : cutoff
            }
            batch.records.withUnsafeMutableBufferPointer { records in
                // Each event is read and updated where it is (not copied into locals the loop
                // would keep in registers and spill), then moved down over those rejected.
                guard let base = records.baseAddress else { return }
                for read in 0..<records.count {
                    let event = base + read
                    let slot = min(Int(event.pointee.channelCode), channels)
                    let bit = UInt32(1) &<< UInt32(slot)
                    counts[slot &* columns] &+= 1
                    if rules.checked & bit != 0, event.pointee.invalidReason == 0 {
                        let flags = event.pointee.flags
                        if rules.dedup & bit != 0, flags & EventRecord.Flags.hasSequence != 0,
                            !sequences.advance(slot: slot, symbol: Int(event.pointee.symbol), to: event.pointee.sequence)
                        {
                            counts[slot &* columns &+ duplicate] &+= 1
                            continue
                        }
                        if rules.late & bit != 0, flags & EventRecord.Flags.hasTimestamp != 0,
                            TimestampUnit.milliseconds(event.pointee.timestamp) < lateBefore[slot]
                        {
                            event.pointee.invalidReason = InvalidReason.late.rawValue
                        } else if rules.bars & bit != 0, flags & EventRecord.Flags.hasTimestamp != 0,
                            isCorrection(event.pointee, slot: slot)
                        {
                            event.pointee.flags |= EventRecord.Flags.correction
                            counts[slot &* columns &+ correction] &+= 1
                        }
                    }
                    if event.pointee.invalidReason != 0 {
                        quarantine(event.pointee, in: frame)
                        continue
                    }
                    mask |= slot < channels ? bit : EventBatch.maskBit(event.pointee.channelCode)
                    UnsafeMutableRawPointer(base + write).copyMemory(from: event, byteCount: MemoryLayout<EventRecord>.size)
                    write &+= 1
                    counts[slot &* columns &+ 1] &+= 1
                }
            }
            var corrections: Int64 = 0
            for slot in 0..<slots where counts[slot * columns] > 0 {
                let channelStats = stats.channels[slot]
                channelStats.received.add(Int(counts[slot * columns]))
                channelStats.forwarded.add(Int(counts[slot * columns + 1]))
                if counts[slot * columns + duplicate] > 0 {
                    channelStats.shaped.add(ShapingReason.duplicate.rawValue, Int(counts[slot * columns + duplicate]))
                }
                if counts[slot * columns + correction] > 0 {
                    channelStats.shaped.add(ShapingReason.correction.rawValue, Int(counts[slot * columns + correction]))
                }
                corrections += counts[slot * columns + correction]
            }
            if corrections > 0 { batch.markCorrections() }
        }
        if write < batch.records.count { batch.records.removeSubrange(write...) }
        batch.channelMask = mask
    }

    /// The per-event checks, from the channels' ``ChannelPolicy``s: bit sets by channel code (a
    /// trivial value, read per event with no reference counting).
    private struct Rules {
        /// Channels with any check below (a throttle is the shaping stage's).
        var checked: UInt32 = 0
        var dedup: UInt32 = 0
        /// Channels with `late_after`, whose value is in `lateAfterMillis`.
        var late: UInt32 = 0
        /// Bar channels with `bars: upsert`.
        var bars: UInt32 = 0
        var lateAfterMillis: [Int64] = Array(repeating: Int64.max, count: FeedChannel.count)

        init(_ policies: [ChannelPolicy?]) {
            for slot in 0..<FeedChannel.count {
                guard let policy = policies[slot] else { continue }
                let bit = UInt32(1) << UInt32(slot)
                if policy.dedup { dedup |= bit }
                if let lateAfter = policy.lateAfterMillis {
                    late |= bit
                    lateAfterMillis[slot] = lateAfter
                }
                if policy.upsertsBars, FeedChannel(rawValue: UInt8(slot))?.isBar == true { bars |= bit }
            }
            checked = dedup | late | bars
        }
    }

    /// Whether a bar re-sends a window already seen. Out of line: bars are a small share of a
    /// feed, and the per-event loop stays small.
    @inline(never)
    private mutating func isCorrection(_ record: EventRecord, slot: Int) -> Bool {
        bars[slot].isCorrection(symbol: record.symbol, windowStart: record.timestamp)
    }

    private func quarantine(_ record: EventRecord, in frame: ByteBuffer) {
        let reason = InvalidReason(rawValue: record.invalidReason) ?? .none
        stats.channel(code: record.channelCode).quarantined.add(Int(reason.rawValue), 1)
        frame.withUnsafeReadableBytes { all in
            let bytes = UnsafeRawBufferPointer(rebasing: all[record.byteRange])
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

    /// Out of line: rare, and the per-event loop it is called from stays small.
    @inline(never)
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
