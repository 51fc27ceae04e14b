/// What a processor does when its buffer is full (`processors.X.overflow`).
public enum OverflowPolicy: String, Sendable, CaseIterable {
    /// Drop the oldest buffered event (the default).
    case dropOldest = "drop-oldest"
    /// Drop the incoming event.
    case dropNewest = "drop-newest"
    /// Keep only the latest event per symbol.
    case conflate
    /// Wait for sinks that accept it; never toward the provider socket.
    case block

    /// Whether the policy can lose events.
    public var drops: Bool { self != .block }
}

/// How per-symbol throttling treats events inside the interval (`throttle.mode`).
public enum ThrottleMode: String, Sendable, CaseIterable {
    /// Deliver the newest value at the end of the interval (never lost).
    case conflate
    /// Drop events inside the interval.
    case sample
}

/// Per-symbol throttling (`processors.X.throttle`).
public struct ThrottleSettings: Sendable, Hashable {
    /// Minimum interval between events of one symbol (`per_symbol`, required).
    public var perSymbol: Duration
    /// Conflate or sample (`mode`, default conflate).
    public var mode: ThrottleMode

    /// Creates throttle settings.
    public init(perSymbol: Duration = .milliseconds(100), mode: ThrottleMode = .conflate) {
        self.perSymbol = perSymbol
        self.mode = mode
    }
}

/// How corrected aggregate bars are handled (`processors.A.bars`).
public enum BarsPolicy: String, Sendable, CaseIterable {
    /// Replace the bar with the same (symbol, window start) (the provider re-sends corrections).
    case upsert
    /// Pass every bar through.
    case append
}

/// One channel's processor (`processors.X`): buffer, overflow policy and optional stages.
public struct ProcessorConfiguration: Sendable {
    /// Buffered events (`buffer`, default 1000, 1...10 000 000).
    public var buffer: Int
    /// What to do when the buffer is full (`overflow`, default drop-oldest).
    public var overflow: OverflowPolicy
    /// Drop duplicates by (channel, symbol, sequence) (`dedup`, default false).
    public var dedup: Bool
    /// Per-symbol throttling (`throttle`), nil when absent.
    public var throttle: ThrottleSettings?
    /// Symbols that bypass throttling (`priority`), empty when absent.
    public var priority: [String]
    /// Corrected-bar handling (`bars`), nil when absent.
    public var bars: BarsPolicy?
    /// Events older than this are quarantined (`late_after`), nil when absent.
    public var lateAfter: Duration?
    /// Emit interval for periodic output (`emit_every`), nil when absent.
    public var emitEvery: Duration?
    /// Cap on events per second through the processor (`max_rate`), nil when absent.
    public var maxRate: Int?
    /// The raw `processors.X` mapping, nil for a default processor.
    public var node: ConfigNode?

    /// Creates a processor configuration.
    public init(
        buffer: Int = 1000,
        overflow: OverflowPolicy = .dropOldest,
        dedup: Bool = false,
        throttle: ThrottleSettings? = nil,
        priority: [String] = [],
        bars: BarsPolicy? = nil,
        lateAfter: Duration? = nil,
        emitEvery: Duration? = nil,
        maxRate: Int? = nil,
        node: ConfigNode? = nil
    ) {
        self.buffer = buffer
        self.overflow = overflow
        self.dedup = dedup
        self.throttle = throttle
        self.priority = priority
        self.bars = bars
        self.lateAfter = lateAfter
        self.emitEvery = emitEvery
        self.maxRate = maxRate
        self.node = node
    }
}
