import Logging
import Synchronization
public import TickRouterConfig

extension Engine {
    /// The outcome of a rebalance.
    public struct RebalanceResult: Sendable {
        /// Symbols that changed connection (0 when the gain was below the threshold).
        public var moved: Int
        /// How much lighter the busiest connection of any group gets, as a fraction.
        public var gain: Double
        public var applied: Bool
    }

    /// Every `rebalance.every`, re-packs the universe by measured rates.
    func superviseRebalance() async {
        while !Task.isCancelled {
            guard let policy = state.withLock({ $0.plan.rebalance }) else {
                try? await Task.sleep(for: .seconds(1))
                continue
            }
            try? await Task.sleep(for: policy.every)
            if Task.isCancelled { return }
            await rebalance()
        }
    }

    /// Measured messages per second per symbol, over the connections' last second.
    public var measuredRates: [String: Double] {
        let meters = rateMeters.withLock { Array($0.values) }
        var rates: [String: Double] = [:]
        for meter in meters {
            for (id, rate) in meter.rates { rates[symbols.name(id), default: 0] += rate }
        }
        return rates
    }

    /// Re-packs the universe by measured rates and applies the moves as subscription deltas when
    /// the busiest connection gets at least `min_gain` lighter (or always with `force`).
    @discardableResult
    public func rebalance(force: Bool = false) async -> RebalanceResult {
        let (plan, current, excluded) = state.withLock { ($0.plan, $0.effectiveRouting, $0.failover.excluded) }
        let weights = measuredRates
        guard !weights.isEmpty else { return RebalanceResult(moved: 0, gain: 0, applied: false) }
        let candidate = EnginePlanner.route(
            plan.configuration, strategy: plan.routingStrategy, excluded: excluded, previous: current, weights: weights
        )
        let balanced = Self.balancedConnections(plan)
        let before = Self.busiest(current, weights: weights, among: balanced)
        let after = Self.busiest(candidate, weights: weights, among: balanced)
        let gain = before > 0 ? (before - after) / before : 0
        let minGain = plan.rebalance?.minGain ?? 0.1
        guard force || gain >= minGain else {
            logger.debug("rebalance skipped: gain \(Int(gain * 100))% below \(Int(minGain * 100))%")
            return RebalanceResult(moved: 0, gain: gain, applied: false)
        }
        state.withLock { $0.effectiveRouting = candidate }
        var target: [String: [String]] = [:]
        for connection in plan.connections { target[connection.name] = candidate.symbols(on: connection.index) }
        let moved = await move(to: target, plan: plan)
        logger.info("rebalance: busiest connection \(Int(before)) → \(Int(after)) msg/s (\(Int(gain * 100))% lighter), \(moved) symbol(s) moved")
        return RebalanceResult(moved: moved, gain: gain, applied: true)
    }

    /// Connections in groups of more than one (same feed and channels): the only ones a strategy balances.
    static func balancedConnections(_ plan: EnginePlan) -> Set<Int> {
        let keys = plan.connections.map { $0.feed.rawValue + ":" + $0.channels.sorted().map(\.code).joined(separator: ",") }
        return Set(plan.connections.indices.filter { index in keys.filter { $0 == keys[index] }.count > 1 })
    }

    /// The highest total rate carried by one of `connections`.
    static func busiest(_ table: RoutingTable, weights: [String: Double], among connections: Set<Int>) -> Double {
        var load: [Int: Double] = [:]
        for (index, homes) in table.connectionsBySymbol.enumerated() {
            for home in homes where connections.contains(home) { load[home, default: 0] += weights[table.symbols[index]] ?? 0 }
        }
        return load.values.max() ?? 0
    }
}
