import TickRouter
import TickRouterConfig

/// `sector`: a symbol → sector map (a YAML file) and sector → connection rules, with `*` for every
/// other sector. Sector names are checked against the map, connection names against the config.
///
/// ```yaml
/// routing:
///   strategy: sector
///   options:
///     map: config/sectors.yaml            # {sectors: {Energy: [XOM, CVX]}} or {XOM: Energy}
///     assign: { Information Technology: primary, "*": secondary }
/// ```
public struct SectorStrategy: RoutingStrategy {
    public var sectorOf: [String: String]
    /// Sector → connection name; the key `*` catches every other sector and unmapped symbols.
    public var rules: [String: String]

    public init(sectorOf: [String: String], rules: [String: String]) {
        self.sectorOf = sectorOf
        self.rules = rules
    }

    public func assign(_ request: RoutingRequest) -> [[Int]] {
        request.symbols.map { symbol in
            let rule = sectorOf[symbol].flatMap { rules[$0] } ?? rules["*"]
            return rule.flatMap { request.slots.firstIndex(of: $0) }.map { [$0] } ?? []
        }
    }

    public static let plugin = StrategyPlugin(
        name: "sector",
        summary: "symbol → sector map (file) and sector → connection rules with a `*` default",
        options: [
            PluginOption("map", "path", "YAML file: {sectors: {Sector: [symbols]}} or {SYMBOL: Sector}"),
            PluginOption("assign", "map of sector → connection", "where each sector goes; `*` for the rest"),
        ]
    ) { reader, context in
        let diagnostics = context.options.diagnostics
        guard let reader else {
            diagnostics.report(
                ConfigDiagnostic(
                    severity: .error, location: context.configuration.routing.strategyLocation, keyPath: "routing.options",
                    message: "the sector strategy needs a sector map and rules",
                    hint: "options: { map: config/sectors.yaml, assign: { \"*\": \(context.connectionNames.first ?? "primary") } }"
                )
            )
            return nil
        }
        var sectorOf: [String: String] = [:]
        var valid = true
        if let path = reader.requiredString("map", hint: "map: config/sectors.yaml"), let option = reader.child("map") {
            if let document = context.options.loadSideFile(path, from: option) {
                valid = readMap(document, into: &sectorOf, context: context) && valid
            } else {
                valid = false
            }
        } else {
            valid = false
        }
        let sectors = Set(sectorOf.values)
        var rules: [String: String] = [:]
        if let assign = reader.mapping("assign") {
            for entry in assign.mappingEntries() {
                if entry.key != "*", !sectors.isEmpty, !sectors.contains(entry.key) {
                    valid = false
                    diagnostics.error(
                        "unknown sector '\(entry.key)'", at: entry.keyNode,
                        hint: didYouMean(entry.key, among: Array(sectors)).map { "did you mean '\($0)'?" }
                            ?? "sectors in the map: \(sectors.sorted().joined(separator: ", "))"
                    )
                    continue
                }
                guard let connection = entry.value.scalarString, context.connectionNames.contains(connection) else {
                    valid = false
                    let name = entry.value.scalarString ?? ""
                    diagnostics.error(
                        "sector rule names connection '\(name)', which is not configured", at: entry.value,
                        hint: context.unknownConnectionHint(name)
                    )
                    continue
                }
                rules[entry.key] = connection
            }
        } else {
            reader.missing("assign", hint: "assign: { \"*\": \(context.connectionNames.first ?? "primary") }")
            valid = false
        }
        return valid ? SectorStrategy(sectorOf: sectorOf, rules: rules) : nil
    }

    /// Reads `{sectors: {Sector: [symbols]}}` or a flat `{SYMBOL: Sector}` map.
    private static func readMap(_ document: ConfigNode, into sectorOf: inout [String: String], context: PluginContext) -> Bool {
        let reader = context.options.reader(for: document)
        if let grouped = reader.mapping("sectors") {
            for entry in grouped.mappingEntries() {
                guard let symbols = grouped.stringList(of: entry.value) else { return false }
                for symbol in symbols { sectorOf[symbol] = entry.key }
            }
            return true
        }
        for entry in reader.mappingEntries() {
            guard let sector = entry.value.scalarString else {
                context.options.diagnostics.error("expected a sector name", at: entry.value)
                return false
            }
            sectorOf[entry.key] = sector
        }
        return true
    }
}
