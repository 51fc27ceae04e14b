import Foundation

/// The names of the registered plugins, so the loader can check `routing.strategy` and each
/// sink's `type` (with did-you-mean hints) before any plugin runs.
public struct PluginNames: Sendable {
    /// Registered routing strategies, e.g. `manual`, `round-robin`.
    public var strategies: [String]
    /// Registered sink types, e.g. `stdout`, `unix-socket`.
    public var sinks: [String]
    /// Sink types this build leaves out, with how to get them (the error's hint).
    public var unavailableSinks: [String: String]

    /// Creates a list of plugin names. Empty lists accept any name.
    ///
    /// - Parameters:
    ///   - strategies: registered routing strategies.
    ///   - sinks: registered sink types.
    ///   - unavailableSinks: sink types left out of this build, each with how to get it.
    public init(strategies: [String] = [], sinks: [String] = [], unavailableSinks: [String: String] = [:]) {
        self.strategies = strategies
        self.sinks = sinks
        self.unavailableSinks = unavailableSinks
    }
}

/// Loads and validates a configuration file, collecting every problem with its position.
///
/// ```swift
/// let loader = ConfigurationLoader(plugins: PluginNames(strategies: ["round-robin"], sinks: ["stdout"]))
/// let (config, context) = try loader.load(file: "config/tickrouter.yaml")
/// // decode plugin options with context.reader(for:), then:
/// try context.finish()
/// ```
public struct ConfigurationLoader {
    /// The top-level keys of a configuration.
    public static let topLevelKeys = ["feed", "connections", "universe", "routing", "processors", "sinks", "admin", "shutdown", "backpressure"]

    /// Variables for `${VAR}` interpolation.
    public var environment: [String: String]
    /// Registered plugin names.
    public var plugins: PluginNames

    /// Creates a loader.
    ///
    /// - Parameters:
    ///   - environment: variables for `${VAR}` interpolation (the process environment by default).
    ///   - plugins: the registered strategy and sink names.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment, plugins: PluginNames) {
        self.environment = environment
        self.plugins = plugins
    }

    /// Loads a configuration file. Relative paths in it resolve against its directory.
    ///
    /// - Throws: ``ConfigError`` with every error found (and the warnings) if any error was found.
    public func load(file path: String) throws(ConfigError) -> (TickRouterConfiguration, OptionsContext) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(diagnostics: [.init(
                location: .init(file: path), message: "cannot read configuration file",
                hint: FileManager.default.fileExists(atPath: path) ? "check its permissions" : "no such file"
            )])
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(diagnostics: [.init(location: .init(file: path), message: "configuration file is not UTF-8 text")])
        }
        return try load(yaml: text, file: path)
    }

    /// Loads a configuration from text; `file` names it in diagnostics and sets the base directory.
    ///
    /// - Throws: ``ConfigError`` with every error found (and the warnings) if any error was found.
    public func load(yaml: String, file: String) throws(ConfigError) -> (TickRouterConfiguration, OptionsContext) {
        let directory = (file as NSString).deletingLastPathComponent
        let context = OptionsContext(
            diagnostics: ConfigDiagnostics(), environment: environment, baseDirectory: directory.isEmpty ? "." : directory
        )
        let configuration = decode(yaml: yaml, file: file, context: context)
        try context.finish()
        return (configuration, context)
    }

    private func decode(yaml: String, file: String, context: OptionsContext) -> TickRouterConfiguration {
        var configuration = TickRouterConfiguration(file: file)
        let diagnostics = context.diagnostics
        guard let document = YAMLDocument.parse(yaml, file: file, diagnostics: diagnostics,
                                                emptyMessage: "the configuration is empty") else { return configuration }
        guard document.isMapping else {
            diagnostics.error("expected a mapping of sections (feed, connections, ...), found \(document.kindDescription)", at: document)
            return configuration
        }
        let root = context.reader(for: document)
        root.finish(allowed: Self.topLevelKeys)

        if let feed = root.child("feed"), !feed.isNull {
            if let reader = root.mapping("feed") { configuration.feed = FeedConfiguration(reader: reader, context: context) }
        } else {
            root.missing("feed", hint: "e.g. feed: { provider: simulator, market: stocks }")
        }
        let market = configuration.feed.market

        let decodedConnections = ConnectionConfiguration.decodeAll(root: root, market: market)
        let connections = decodedConnections ?? []
        configuration.connections = connections
        let validation = CrossValidation(root: root, context: context)
        if !diagnostics.errors.contains(where: { $0.keyPath == "feed.max_connections" }) {
            validation.checkBudget(connections: connections, items: document.value(forKey: "connections")?.items ?? [],
                                   budget: configuration.feed.maxConnections)
        }
        // nil when the connections could not be read: channel checks would only cascade.
        let carried = decodedConnections.map { Set($0.flatMap(\.channels)) }

        var universe = UniverseDecoder(context: context)
        universe.decode(root: root)
        configuration.universe = universe.symbols
        configuration.universeNames = universe.names

        configuration.routing = RoutingConfiguration(root: root, strategies: plugins.strategies)
        configuration.processors = ProcessorConfiguration.decodeAll(root: root, market: market, carried: carried)
        configuration.sinks = SinkConfiguration.decodeAll(root: root, market: market, carried: carried, sinkTypes: plugins.sinks, unavailable: plugins.unavailableSinks)
        if let admin = root.mapping("admin") { configuration.admin = AdminConfiguration(reader: admin) }
        if let shutdown = root.mapping("shutdown") { configuration.shutdown = ShutdownConfiguration(reader: shutdown) }
        if let backpressure = root.mapping("backpressure") { configuration.backpressure = BackpressureConfiguration(reader: backpressure) }

        validation.checkSharedResources(sinks: configuration.sinks, admin: root.child("admin").flatMap { $0.isMapping ? $0 : nil })
        validation.checkLossless(sinks: configuration.sinks, processors: configuration.processors)
        return configuration
    }
}
