public import TickRouterConfig

/// The processing policy of one channel, resolved from its `processors.<CH>` section.
public struct ChannelPolicy: Sendable, Equatable {
    /// Most events of this channel a sink may hold before the oldest are dropped.
    public var buffer: Int
    /// What happens when a buffer is full.
    public var overflow: OverflowPolicy
    /// Drop events whose (symbol, sequence) is not newer than the last one seen.
    public var dedup: Bool
    /// Per-symbol throttle, nil when the channel is not throttled.
    public var throttle: ThrottleSettings?
    /// Symbols that bypass the throttle and the rate cap.
    public var priority: [String]
    /// Events per second the channel passes before non-priority symbols are conflated.
    public var maxRate: Int?
    /// Events older than this (event time vs. the wall clock, in milliseconds) are quarantined.
    public var lateAfterMillis: Int64?
    /// Emit the channel's events together once per this interval (the pull model), nil for at once.
    public var emitEvery: Duration?
    /// Bars re-sent for a window already seen are marked as corrections (`bars: upsert`, the default;
    /// `bars: append` passes them unmarked). Applies to bar channels only.
    public var upsertsBars: Bool

    public init(
        buffer: Int = 1000, overflow: OverflowPolicy = .dropOldest, dedup: Bool = false, throttle: ThrottleSettings? = nil,
        priority: [String] = [], maxRate: Int? = nil, lateAfterMillis: Int64? = nil, upsertsBars: Bool = true,
        emitEvery: Duration? = nil
    ) {
        self.buffer = buffer
        self.overflow = overflow
        self.dedup = dedup
        self.throttle = throttle
        self.priority = priority
        self.maxRate = maxRate
        self.lateAfterMillis = lateAfterMillis
        self.upsertsBars = upsertsBars
        self.emitEvery = emitEvery
    }

    public init(_ configuration: ProcessorConfiguration) {
        self.init(
            buffer: configuration.buffer, overflow: configuration.overflow, dedup: configuration.dedup,
            throttle: configuration.throttle, priority: configuration.priority, maxRate: configuration.maxRate,
            lateAfterMillis: configuration.lateAfter.map { $0.components.seconds * 1000 + $0.components.attoseconds / 1_000_000_000_000_000 },
            upsertsBars: configuration.bars != .append, emitEvery: configuration.emitEvery
        )
    }

    /// Whether the channel needs the engine-wide ``ShapingStage``.
    public var isShaped: Bool { throttle != nil || maxRate != nil || emitEvery != nil }
}
