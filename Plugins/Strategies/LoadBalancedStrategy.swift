import TickRouter
import TickRouterConfig

/// `load-balanced`: greedy bin packing by message rate. At start the weights come from a rates
/// file (symbol → messages/s; default 1 for symbols it does not list); a rebalance uses the rates
/// measured since start (`RoutingRequest.weights`). Heaviest symbols are placed first, each on the
/// connection with the least total rate.
///
/// ```yaml
/// routing:
///   strategy: load-balanced
///   options: { rates: config/rates.yaml }
///   rebalance: { every: 30s, min_gain: 10% }   # move only when the busiest connection gets ≥10% lighter
/// ```
public struct LoadBalancedStrategy: RoutingStrategy {
    public var configuredRates: [String: Double]

    public init(configuredRates: [String: Double] = [:]) {
        self.configuredRates = configuredRates
    }

    public func assign(_ request: RoutingRequest) -> [[Int]] {
        guard !request.slots.isEmpty else { return Array(repeating: [], count: request.symbols.count) }
        let weights = request.weights.isEmpty ? configuredRates : request.weights
        let order = request.symbols.indices.sorted { a, b in
            let wa = weights[request.symbols[a]] ?? 1
            let wb = weights[request.symbols[b]] ?? 1
            return wa > wb || (wa == wb && a < b)
        }
        var load = [Double](repeating: 0, count: request.slots.count)
        var result = [[Int]](repeating: [], count: request.symbols.count)
        for index in order {
            let slot = load.indices.min { load[$0] < load[$1] || (load[$0] == load[$1] && $0 < $1) } ?? 0
            result[index] = [slot]
            load[slot] += weights[request.symbols[index]] ?? 1
        }
        return result
    }

    public static let plugin = StrategyPlugin(
        name: "load-balanced",
        summary: "greedy bin packing by message rate: a rates file at start, measured rates on rebalance",
        options: [PluginOption("rates", "path", "YAML map SYMBOL: messages per second (default weight 1)")]
    ) { reader, context in
        var rates: [String: Double] = [:]
        if let reader, let path = reader.string("rates"), let option = reader.child("rates") {
            guard let document = context.options.loadSideFile(path, from: option) else { return nil }
            let file = context.options.reader(for: document)
            for entry in file.mappingEntries() {
                guard let text = entry.value.scalarString, let rate = Double(text), rate >= 0 else {
                    context.options.diagnostics.error("expected a rate (messages per second)", at: entry.value, hint: "AAPL: 1500")
                    return nil
                }
                rates[entry.key] = rate
            }
        }
        return LoadBalancedStrategy(configuredRates: rates)
    }
}
