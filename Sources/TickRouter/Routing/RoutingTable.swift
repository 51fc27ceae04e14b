/// Which connections carry each symbol. Immutable: a reload or failover builds a new table and
/// swaps it in whole. Look-up by name is one hash, by position one array index.
public final class RoutingTable: Sendable {
    /// The universe, in order.
    public let symbols: [String]
    /// Connection indices carrying each symbol (parallel to ``symbols``).
    public let connectionsBySymbol: [[Int]]
    /// Symbol positions carried by each connection.
    public let symbolsByConnection: [[Int]]
    private let position: [String: Int]

    public init(symbols: [String], connectionsBySymbol: [[Int]], connectionCount: Int) {
        self.symbols = symbols
        self.connectionsBySymbol = connectionsBySymbol
        var byConnection = [[Int]](repeating: [], count: connectionCount)
        for (symbol, connections) in connectionsBySymbol.enumerated() {
            for connection in connections { byConnection[connection].append(symbol) }
        }
        self.symbolsByConnection = byConnection
        var position: [String: Int] = [:]
        position.reserveCapacity(symbols.count)
        for (index, symbol) in symbols.enumerated() where position[symbol] == nil { position[symbol] = index }
        self.position = position
    }

    /// The connections carrying `symbol` (empty when it is not in the universe). O(1).
    public func connections(for symbol: String) -> [Int] {
        guard let index = position[symbol] else { return [] }
        return connectionsBySymbol[index]
    }

    /// The symbols carried by a connection, in universe order.
    public func symbols(on connection: Int) -> [String] { symbolsByConnection[connection].map { symbols[$0] } }
}
