public import TickRouterConfig

/// Provider-shaped status objects sent to downstream clients: `{"ev":"status","status":...,"message":...}`.
public enum StatusLine {
    /// The JSON object (no trailing newline, no array brackets).
    public static func json(status: String, message: String, extra: [(String, Int)] = []) -> String {
        var text = #"{"ev":"status","status":"# + ProviderActions.jsonString(status) + #","message":"# + ProviderActions.jsonString(message)
        for (key, value) in extra { text += ",\(ProviderActions.jsonString(key)):\(value)" }
        return text + "}"
    }

    /// A `gap` status: which connection lost data, and the channel × symbol range that may be
    /// missing, as fields a consumer can act on without parsing the message:
    /// `{"ev":"status","status":"gap","message":...,"connection":"b","channels":["T","Q"],"symbols":["AAPL",...]}`.
    public static func gap(_ notice: GapNotice) -> String {
        var text = #"{"ev":"status","status":"gap","message":"# + ProviderActions.jsonString(notice.message)
        text += #","connection":"# + ProviderActions.jsonString(notice.connection)
        text += #","channels":["# + notice.channels.map { ProviderActions.jsonString($0.code) }.joined(separator: ",") + "]"
        text += #","symbols":["# + notice.symbols.map(ProviderActions.jsonString).joined(separator: ",") + "]"
        return text + "}"
    }
}

/// What a consumer may have missed: the channels of these symbols, while `connection` was down.
public struct GapNotice: Sendable, Equatable {
    public var connection: String
    public var channels: [FeedChannel]
    public var symbols: [String]
    /// One human-readable line (also logged).
    public var message: String

    public init(connection: String, channels: [FeedChannel], symbols: [String], message: String) {
        self.connection = connection
        self.channels = channels
        self.symbols = symbols
        self.message = message
    }
}
