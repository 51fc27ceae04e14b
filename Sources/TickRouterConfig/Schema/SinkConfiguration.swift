/// One sink (`sinks[i]`): the common keys, plus the whole mapping for the plugin.
public struct SinkConfiguration: Sendable {
    /// The sink plugin's registered name (`type`).
    public var type: String
    /// Unique name (`name`; default the type, or `type-index` when the type is repeated).
    public var name: String
    /// Only these channels (`channels`), nil for all.
    public var channels: [FeedChannel]?
    /// Only these symbols (`symbols`), nil for all.
    public var symbols: [String]?
    /// The whole sink mapping. A reader over it already accepts `type`, `name`, `channels` and
    /// `symbols`, so the plugin reads only its own keys and then calls `finish()`.
    public var options: ConfigNode
    /// Where the sink's entry starts.
    public var location: ConfigLocation

    /// Creates a sink configuration.
    public init(
        type: String,
        name: String? = nil,
        channels: [FeedChannel]? = nil,
        symbols: [String]? = nil,
        options: ConfigNode,
        location: ConfigLocation = .init()
    ) {
        self.type = type
        self.name = name ?? type
        self.channels = channels
        self.symbols = symbols
        self.options = options
        self.location = location
    }
}
