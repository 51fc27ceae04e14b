public import TickRouterConfig

/// The strategies and sinks a host knows, by name. Filled once at start-up, then read-only.
///
/// ```swift
/// var registry = PluginRegistry.builtin   // from TickRouterPlugins
/// registry.register(MyKafkaSink.plugin)
/// ```
public struct PluginRegistry: Sendable {
    public private(set) var strategies: [String: StrategyPlugin] = [:]
    public private(set) var sinks: [String: SinkPlugin] = [:]
    /// Sink types this build leaves out, with how to get them.
    public private(set) var unavailableSinks: [String: String] = [:]

    public init() {}

    /// Adds (or replaces) a strategy under its name.
    public mutating func register(_ plugin: StrategyPlugin) { strategies[plugin.name] = plugin }

    /// Adds (or replaces) a sink type under its name.
    public mutating func register(_ plugin: SinkPlugin) { sinks[plugin.type] = plugin }

    /// Names a sink type this build leaves out, so a config using it is told how to get it.
    public mutating func registerUnavailableSink(_ type: String, hint: String) { unavailableSinks[type] = hint }

    /// The names the config loader accepts, for "unknown plugin" errors with a did-you-mean.
    public var names: PluginNames {
        PluginNames(strategies: strategies.keys.sorted(), sinks: sinks.keys.sorted(), unavailableSinks: unavailableSinks)
    }
}
