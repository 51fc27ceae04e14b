public import TickRouterConfig

/// Dense id of an interned symbol; see ``SymbolTable``.
public typealias SymbolID = UInt32

/// One decoded event: a compact record that points into its frame's bytes.
///
/// The hot path never builds a `String` or a dictionary for an event. The decoder extracts what
/// routing and processing need (channel, symbol, sequence, time) and keeps the offset and length of
/// the event's original JSON object, so sinks pass the provider's bytes through unchanged.
public struct EventRecord: Sendable, Equatable {
    /// ``Channel`` raw value, or ``EventRecord/unknownChannel`` for an `ev` this market does not define.
    public var channelCode: UInt8
    /// Bit set of ``EventRecord/Flags``.
    public var flags: UInt8
    /// Why the decoder considers the event invalid (``InvalidReason``), or 0.
    public var invalidReason: UInt8
    /// The interned symbol; ``SymbolTable/none`` when the event carried none.
    public var symbol: SymbolID
    /// Offset of the event's `{` within the frame's readable bytes.
    public var start: UInt32
    /// Length of the event's JSON object in bytes, braces included.
    public var length: UInt32
    /// The provider's per-symbol sequence number (`q`; `i` for NOI), or 0 when absent.
    public var sequence: Int64
    /// The event time as sent: `t` for ticks, `s` (window start) for bars. Unit varies by event.
    public var timestamp: Int64

    /// FeedChannel code for events whose `ev` is not a channel of the connection's market.
    public static let unknownChannel: UInt8 = 0xFF
    /// Channel code of status objects the router itself sends downstream (`gap`, ...).
    public static let statusChannel: UInt8 = 0xFE

    /// Flag bits.
    public enum Flags {
        /// A `q` (or NOI `i`) sequence number was present.
        public static let hasSequence: UInt8 = 1 << 0
        /// A time field was present.
        public static let hasTimestamp: UInt8 = 1 << 1
        /// The event is a bar re-sent with corrected values (set by the bar processor).
        public static let correction: UInt8 = 1 << 2
    }

    /// The channel, or nil for an unknown `ev`.
    @inlinable public var channel: FeedChannel? { FeedChannel(rawValue: channelCode) }

    /// Byte range of the event in its frame.
    @inlinable public var byteRange: Range<Int> { Int(start)..<Int(start) + Int(length) }

    public init(
        channelCode: UInt8, flags: UInt8 = 0, invalidReason: UInt8 = 0, symbol: SymbolID, start: UInt32, length: UInt32,
        sequence: Int64 = 0, timestamp: Int64 = 0
    ) {
        self.channelCode = channelCode
        self.flags = flags
        self.invalidReason = invalidReason
        self.symbol = symbol
        self.start = start
        self.length = length
        self.sequence = sequence
        self.timestamp = timestamp
    }
}

/// Why a syntactically valid event failed validation. Stored as a byte in ``EventRecord``.
public enum InvalidReason: UInt8, Sendable, CaseIterable, CustomStringConvertible {
    case none = 0
    case missingSymbol
    case badSymbolType
    case badSequence
    case badTimestamp
    case symbolTooLong
    case missingEventType
    /// Older than the channel's `late_after` (set by the processor, not the decoder).
    case late

    public var description: String {
        switch self {
        case .none: "none"
        case .missingSymbol: "missing symbol field"
        case .badSymbolType: "symbol field is not a string"
        case .badSequence: "sequence field is not an integer"
        case .badTimestamp: "time field is not an integer"
        case .symbolTooLong: "symbol longer than 64 bytes"
        case .missingEventType: "missing or non-string ev field"
        case .late: "older than late_after"
        }
    }
}
