import TickRouter
import TickRouterConfig

/// `priority`: ordered tiers of symbols. A tier may name its own connections (`dedicated: true`
/// keeps everything else off them) and ask for `redundancy: 2` (each of its symbols on two
/// connections; copies are merged by channel, symbol and sequence). Symbols in no tier go to the
/// least-loaded connections that no tier dedicated.
///
/// ```yaml
/// routing:
///   strategy: priority
///   options:
///     tiers:
///       - { symbols: [SPY, QQQ, AAPL], connections: [primary], dedicated: true, redundancy: 2 }
///       - { symbols: [NVDA, MSFT] }
/// ```
public struct PriorityStrategy: RoutingStrategy {
    public struct Tier: Sendable {
        public var symbols: [String]
        public var connections: [String]
        public var dedicated: Bool
        public var redundancy: Int

        public init(symbols: [String], connections: [String] = [], dedicated: Bool = false, redundancy: Int = 1) {
            self.symbols = symbols
            self.connections = connections
            self.dedicated = dedicated
            self.redundancy = redundancy
        }
    }

    public var tiers: [Tier]

    public init(tiers: [Tier]) {
        self.tiers = tiers
    }

    public func assign(_ request: RoutingRequest) -> [[Int]] {
        var load = [Int](repeating: 0, count: request.slots.count)
        var placed: [String: [Int]] = [:]
        var dedicatedSlots = Set<Int>()
        for tier in tiers where tier.dedicated {
            for name in tier.connections { if let slot = request.slots.firstIndex(of: name) { dedicatedSlots.insert(slot) } }
        }
        func leastLoaded(_ candidates: [Int], count: Int) -> [Int] {
            Array(candidates.sorted { load[$0] < load[$1] || (load[$0] == load[$1] && $0 < $1) }.prefix(count))
        }
        for tier in tiers {
            var candidates = tier.connections.compactMap { request.slots.firstIndex(of: $0) }
            if candidates.isEmpty { candidates = request.slots.indices.filter { !dedicatedSlots.contains($0) } }
            if candidates.isEmpty { candidates = Array(request.slots.indices) }
            for symbol in tier.symbols where placed[symbol] == nil {
                var chosen = leastLoaded(candidates, count: tier.redundancy)
                if chosen.count < tier.redundancy {
                    // Not enough named connections for the redundancy: add the least loaded others.
                    let others = request.slots.indices.filter { !chosen.contains($0) && !dedicatedSlots.contains($0) }
                    chosen += leastLoaded(others, count: tier.redundancy - chosen.count)
                }
                for slot in chosen { load[slot] += 1 }
                placed[symbol] = chosen
            }
        }
        var general = request.slots.indices.filter { !dedicatedSlots.contains($0) }
        if general.isEmpty { general = Array(request.slots.indices) }
        return request.symbols.map { symbol in
            if let chosen = placed[symbol] { return chosen }
            let chosen = leastLoaded(general, count: 1)
            for slot in chosen { load[slot] += 1 }
            return chosen
        }
    }

    public static let plugin = StrategyPlugin(
        name: "priority",
        summary: "ordered tiers: dedicated or least-loaded connections, optional redundancy merged by sequence",
        options: [
            PluginOption("tiers", "list of {symbols, connections, dedicated, redundancy}", "highest priority first; `symbols` may name universes")
        ]
    ) { reader, context in
        let diagnostics = context.options.diagnostics
        guard let reader, let items = reader.sequence("tiers") else {
            reader?.missing("tiers", hint: "tiers: [ { symbols: [SPY], connections: [primary], dedicated: true } ]")
            if reader == nil {
                diagnostics.report(
                    ConfigDiagnostic(
                        severity: .error, location: context.configuration.routing.strategyLocation, keyPath: "routing.options",
                        message: "the priority strategy needs tiers", hint: "options: { tiers: [ { symbols: [SPY], connections: [primary] } ] }"
                    )
                )
            }
            return nil
        }
        var tiers: [Tier] = []
        var valid = true
        for item in items {
            let tier = context.options.reader(for: item)
            let names = tier.stringList("symbols") ?? []
            if names.isEmpty { tier.missing("symbols", hint: "symbols: [SPY, AAPL] (or universe names)") }
            let symbols = names.flatMap { context.configuration.universeNames[$0] ?? [$0] }
            let connections = tier.stringList("connections") ?? []
            for name in connections where !context.connectionNames.contains(name) {
                valid = false
                tier.error(
                    "tier names connection '\(name)', which is not configured", key: "connections",
                    hint: context.unknownConnectionHint(name)
                )
            }
            let redundancy = tier.int("redundancy", range: 1...4) ?? 1
            let dedicated = tier.bool("dedicated") ?? false
            if dedicated, connections.isEmpty {
                valid = false
                tier.error("a dedicated tier must name its connections", key: "dedicated", hint: "connections: [primary]")
            }
            tier.finish(allowed: ["symbols", "connections", "dedicated", "redundancy"])
            tiers.append(Tier(symbols: symbols, connections: connections, dedicated: dedicated, redundancy: redundancy))
        }
        return valid && !names(tiers).isEmpty ? PriorityStrategy(tiers: tiers) : nil
    }

    private static func names(_ tiers: [Tier]) -> [String] { tiers.flatMap(\.symbols) }
}
