/// One option a plugin reads from its YAML section, for `tickrouter plugins` and the docs.
public struct PluginOption: Sendable, Hashable {
    public var name: String
    /// The value's shape as a reader would write it: `string`, `duration`, `drop-oldest | disconnect`, ...
    public var type: String
    /// The default as YAML, or nil when the option is required or has no default.
    public var defaultValue: String?
    public var summary: String

    public init(_ name: String, _ type: String, default defaultValue: String? = nil, _ summary: String) {
        self.name = name
        self.type = type
        self.defaultValue = defaultValue
        self.summary = summary
    }
}
