import TickRouter
import TickRouterPlugins
import Testing

@Suite("Routing strategies")
struct RoutingStrategyTests {
    @Test func roundRobinSplitsEvenlyInOrder() {
        let request = RoutingRequest(symbols: ["A", "B", "C", "D", "E"], slots: ["p", "s"])
        #expect(RoundRobinStrategy().assign(request) == [[0], [1], [0], [1], [0]])
    }

    @Test func roundRobinNeverMovesAnExistingSymbolWhenOneIsAdded() {
        let strategy = RoundRobinStrategy()
        let before = RoutingRequest(symbols: ["A", "B", "C", "D"], slots: ["p", "s"])
        let placed = strategy.assign(before)
        var previous: [String: String] = [:]
        for (index, symbol) in before.symbols.enumerated() { previous[symbol] = before.slots[placed[index][0]] }
        // Insert a symbol in the middle of the universe: nothing else may move.
        let after = RoutingRequest(symbols: ["A", "NEW", "B", "C", "D"], slots: ["p", "s"], previous: previous)
        let replaced = strategy.assign(after)
        for (index, symbol) in after.symbols.enumerated() where symbol != "NEW" {
            #expect(after.slots[replaced[index][0]] == previous[symbol])
        }
        #expect(replaced[1].count == 1)
    }

    @Test func manualUsesAssignmentsThenTheDefault() {
        let strategy = ManualStrategy(assignments: ["AAPL": "secondary"], defaultConnection: "primary")
        let request = RoutingRequest(symbols: ["AAPL", "MSFT"], slots: ["primary", "secondary"])
        #expect(strategy.assign(request) == [[1], [0]])
        let noDefault = ManualStrategy(assignments: ["AAPL": "secondary"])
        #expect(noDefault.assign(request) == [[1], []])
    }

    @Test func routingTableLooksUpBySymbol() {
        let table = RoutingTable(symbols: ["A", "B"], connectionsBySymbol: [[0], [1, 2]], connectionCount: 3)
        #expect(table.connections(for: "B") == [1, 2])
        #expect(table.connections(for: "Z") == [])
        #expect(table.symbols(on: 2) == ["B"])
    }
}

@Suite("More routing strategies")
struct MoreRoutingStrategyTests {
    @Test func sectorFollowsItsRulesWithAStarDefault() {
        let strategy = SectorStrategy(sectorOf: ["AAPL": "Tech", "XOM": "Energy", "JPM": "Financials"], rules: ["Tech": "p", "*": "s"])
        let request = RoutingRequest(symbols: ["AAPL", "XOM", "JPM", "UNMAPPED"], slots: ["p", "s"])
        #expect(strategy.assign(request) == [[0], [1], [1], [1]])
    }

    @Test func priorityGivesTopTiersDedicatedAndRedundantConnections() {
        let strategy = PriorityStrategy(tiers: [
            .init(symbols: ["SPY", "QQQ"], connections: ["a", "b"], dedicated: true, redundancy: 2),
            .init(symbols: ["AAPL"], connections: [], dedicated: false, redundancy: 1),
        ])
        let request = RoutingRequest(symbols: ["SPY", "QQQ", "AAPL", "X", "Y"], slots: ["a", "b", "c", "d"])
        let result: [[Int]] = strategy.assign(request)
        #expect(result[0].sorted() == [0, 1], "each top-tier symbol on both of its connections")
        #expect(result[1].sorted() == [0, 1])
        let rest: [[Int]] = Array(result[2...])
        #expect(rest.allSatisfy { $0.count == 1 && $0[0] >= 2 }, "the rest stays off dedicated connections")
        let used: Set<Int> = Set(rest.map { $0[0] })
        #expect(used == [2, 3], "and is spread over the others")
    }

    @Test func loadBalancedPacksByRateAndPrefersMeasuredRates() {
        let strategy = LoadBalancedStrategy(configuredRates: ["SPY": 9000, "AAPL": 6000, "NVDA": 5000, "X": 1000])
        let request = RoutingRequest(symbols: ["X", "NVDA", "AAPL", "SPY"], slots: ["a", "b"])
        // SPY (9000) alone; AAPL + NVDA + X (12000) would be worse than AAPL+X / NVDA... greedy: SPY→a, AAPL→b, NVDA→b, X→a.
        #expect(strategy.assign(request) == [[0], [1], [1], [0]])
        var measured = request
        measured.weights = ["X": 20000, "SPY": 1, "AAPL": 1, "NVDA": 1]
        let rebalanced = strategy.assign(measured)
        #expect(rebalanced[0] == [0] && rebalanced[1...].allSatisfy { $0 == [1] }, "the measured hot symbol gets a connection to itself")
    }
}
