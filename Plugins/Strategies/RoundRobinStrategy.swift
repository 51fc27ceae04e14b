import TickRouter
import TickRouterConfig

/// `round-robin`: an even split in a stable order. A symbol keeps the connection it had in the
/// previous table; new symbols go to the least-loaded connection, so adding a symbol never moves
/// an existing one.
public struct RoundRobinStrategy: RoutingStrategy {
    public enum Order: String, Sendable { case config, alphabetical }

    public var order: Order

    public init(order: Order = .config) {
        self.order = order
    }

    public func assign(_ request: RoutingRequest) -> [[Int]] {
        guard !request.slots.isEmpty else { return Array(repeating: [], count: request.symbols.count) }
        var result = [[Int]](repeating: [], count: request.symbols.count)
        var load = [Int](repeating: 0, count: request.slots.count)
        var pending: [Int] = []
        for (index, symbol) in request.symbols.enumerated() {
            if let previous = request.previous[symbol], let slot = request.slots.firstIndex(of: previous) {
                result[index] = [slot]
                load[slot] += 1
            } else {
                pending.append(index)
            }
        }
        if order == .alphabetical { pending.sort { request.symbols[$0] < request.symbols[$1] } }
        for index in pending {
            // Least loaded first; ties go to the earliest slot, which yields plain round-robin from empty.
            let slot = load.indices.min { load[$0] < load[$1] || (load[$0] == load[$1] && $0 < $1) } ?? 0
            result[index] = [slot]
            load[slot] += 1
        }
        return result
    }

    public static let plugin = StrategyPlugin(
        name: "round-robin",
        summary: "even split of the universe across a group's connections; adding a symbol never moves another",
        options: [PluginOption("order", "config | alphabetical", default: "config", "order in which symbols are dealt out")]
    ) { reader, _ in
        let order = reader?.choice("order", ["config": Order.config, "alphabetical": Order.alphabetical]) ?? .config
        return RoundRobinStrategy(order: order)
    }
}
