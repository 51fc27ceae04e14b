import TickRouter
import TickRouterConfig

/// `manual`: explicit symbol lists (or named universes) per connection. Symbols not listed go to
/// the `default` connection; without one they are an error the planner reports.
///
/// ```yaml
/// routing:
///   strategy: manual
///   options:
///     assign: { primary: [AAPL, MSFT, tech], secondary: [TSLA] }   # `tech` names a universe
///     default: secondary
/// ```
public struct ManualStrategy: RoutingStrategy {
    /// Connection name per symbol.
    public var assignments: [String: String]
    public var defaultConnection: String?

    public init(assignments: [String: String], defaultConnection: String? = nil) {
        self.assignments = assignments
        self.defaultConnection = defaultConnection
    }

    public func assign(_ request: RoutingRequest) -> [[Int]] {
        let defaultSlot = defaultConnection.flatMap { request.slots.firstIndex(of: $0) }
        return request.symbols.map { symbol in
            if let name = assignments[symbol], let slot = request.slots.firstIndex(of: name) { return [slot] }
            return defaultSlot.map { [$0] } ?? []
        }
    }

    public static let plugin = StrategyPlugin(
        name: "manual",
        summary: "explicit symbol lists or named universes per connection, with an optional default connection",
        options: [
            PluginOption("assign", "map of connection → [symbol | universe name]", "which symbols each connection carries"),
            PluginOption("default", "connection name", "where symbols not listed in `assign` go"),
        ]
    ) { reader, context in
        guard let reader else {
            context.options.diagnostics.report(
                ConfigDiagnostic(
                    severity: .error, location: context.configuration.routing.strategyLocation, keyPath: "routing.options",
                    message: "the manual strategy needs assignments",
                    hint: "options: { assign: { \(context.connectionNames.first ?? "primary"): [AAPL] }, default: \(context.connectionNames.last ?? "primary") }"
                )
            )
            return nil
        }
        let connections = context.connectionNames
        var assignments: [String: String] = [:]
        var valid = true
        if let assign = reader.mapping("assign") {
            for entry in assign.mappingEntries() {
                guard connections.contains(entry.key) else {
                    valid = false
                    context.options.diagnostics.error(
                        "assignment names connection '\(entry.key)', which is not configured", at: entry.keyNode,
                        hint: context.unknownConnectionHint(entry.key)
                    )
                    continue
                }
                guard let names = assign.stringList(of: entry.value) else {
                    valid = false
                    continue
                }
                for name in names {
                    for symbol in context.configuration.universeNames[name] ?? [name] { assignments[symbol] = entry.key }
                }
            }
        } else if !reader.has("default") {
            reader.error("manual routing needs `assign` or `default`", key: "assign", hint: "assign: { \(connections.first ?? "primary"): [AAPL] }")
            valid = false
        }
        var defaultConnection: String?
        if let name = reader.string("default") {
            if connections.contains(name) {
                defaultConnection = name
            } else {
                valid = false
                reader.error(
                    "default connection '\(name)' is not configured", key: "default",
                    hint: context.unknownConnectionHint(name)
                )
            }
        }
        return valid ? ManualStrategy(assignments: assignments, defaultConnection: defaultConnection) : nil
    }
}
