public import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import TickRouterConfig

/// The data path of one connection: frame → decoder → processors → fan-out.
///
/// Owned by the connection's read task and called once per frame; nothing in it waits, so the
/// provider's socket is read as fast as frames arrive whatever the sinks do.
public struct ConnectionPipeline {
    public let connection: ConnectionIndex
    private var decoder: FrameDecoder
    private var processor: BatchProcessor
    private let fanout: Fanout
    private let mergeGate: MergeGate
    private let shaping: ShapingStage
    private var counter: SymbolCounter?
    private let stats: ConnectionStats
    private let quarantine: Quarantine
    private var statuses: [ProviderStatus] = []
    /// Expected events per frame, to size each batch's record array in one allocation.
    private var recordCapacity = 64
    /// The last batch's record array, emptied: the next batch decodes into it when no sink kept
    /// the batch (its memory is then still in the cache, and no allocation is made).
    private var spareRecords: [EventRecord] = []
    /// The sinks, as this connection last saw them (see ``Fanout/Snapshot``).
    private var sinks = Fanout.Snapshot()

    public init(
        connection: ConnectionIndex, market: Market, symbols: SymbolTable, policies: ProcessorPolicies,
        fanout: Fanout, mergeGate: MergeGate, shaping: ShapingStage, stats: EngineStats, connectionStats: ConnectionStats,
        rateMeter: SymbolRateMeter? = nil
    ) {
        self.mergeGate = mergeGate
        self.shaping = shaping
        self.counter = rateMeter.map(SymbolCounter.init)
        self.connection = connection
        self.decoder = FrameDecoder(market: market, symbols: symbols)
        self.processor = BatchProcessor(connectionName: connectionStats.name, policies: policies, stats: stats)
        self.fanout = fanout
        self.stats = connectionStats
        self.quarantine = stats.quarantine
    }

    /// Routes one frame. Returns the provider status messages it contained (usually none).
    public mutating func handle(frame: ByteBuffer, receivedAt: UInt64) -> [ProviderStatus] {
        statuses.removeAll(keepingCapacity: true)
        // Decoded straight into the batch: its records array has one owner, so the steps below
        // filter it in place rather than copying it.
        var batch = EventBatch(frame: frame, records: spareRecords, connection: connection, receivedAt: receivedAt)
        spareRecords = []
        batch.records.reserveCapacity(recordCapacity)
        defer {
            // Emptied in place when no sink kept the batch; a kept one is left to the sink
            // (emptying it allocates the next batch's array now rather than at the next frame).
            batch.records.removeAll(keepingCapacity: true)
            spareRecords = batch.records
        }
        stats.frames.add(1)
        stats.bytes.add(frame.readableBytes)
        if let error = decoder.decode(frame, into: &batch.records, statuses: &statuses) {
            stats.malformedFrames.add(1)
            frame.withUnsafeReadableBytes { quarantine.add(connection: stats.name, reason: "malformed frame: \(error)", bytes: $0) }
            return statuses
        }
        guard !batch.records.isEmpty else { return statuses }
        recordCapacity = max(16, min(4096, batch.records.count))
        stats.events.add(batch.records.count)
        if let last = batch.records.last, last.flags & EventRecord.Flags.hasTimestamp != 0 {
            stats.lastEventMillis.set(Int(TimestampUnit.milliseconds(last.timestamp)))
        }
        processor.process(&batch, nowMillis: WallClock.millis())
        counter?.count(batch)
        let shaping = self.shaping, fanout = self.fanout
        mergeGate.pass(&batch) { batch in
            if shaping.isActive {
                shaping.process(&batch, now: Int64(receivedAt))
            } else if !batch.records.isEmpty {
                fanout.publish(batch, through: &sinks)
            }
        }
        return statuses
    }
}

/// The wall clock, for comparing event times with now (`late_after`).
public enum WallClock {
    /// Milliseconds since the Unix epoch.
    @inline(__always) public static func millis() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}

/// The provider mixes s, ms, µs and ns timestamps (provider-protocol.md §4.6); the digit count tells.
public enum TimestampUnit {
    /// Normalises a raw timestamp to milliseconds since the epoch by its magnitude.
    @inlinable public static func milliseconds(_ raw: Int64) -> Int64 {
        switch raw {
        // seconds (10 digits); a value too negative to scale is as old as can be
        case ..<100_000_000_000: raw < -9_223_372_036_854_775 ? Int64.min : raw * 1000
        case ..<100_000_000_000_000: raw  // milliseconds (13)
        case ..<100_000_000_000_000_000: raw / 1000  // microseconds (16)
        default: raw / 1_000_000  // nanoseconds (19)
        }
    }
}
