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
