import Synchronization

/// The shared, growable universe of symbols: name ↔ dense index, plus each name pre-rendered
/// as a JSON string literal so events never format a `String`.
///
/// Sessions intern symbols when clients subscribe to names not yet in the universe; the
/// generator picks the new ones up on its next tick.
final class SymbolTable: Sendable {
    /// Upper bound on the universe so a client cannot grow it without limit.
    static let maxSymbols = 100_000
    /// Longest symbol accepted from a client.
    static let maxSymbolLength = 40

    private struct State {
        var names: [String] = []
        var indices: [String: Int] = [:]
        var rendered: [[UInt8]] = []
    }

    private let state = Mutex(State())

    init(symbols: [String]) {
        state.withLock { state in
            for symbol in symbols { Self.insert(symbol, into: &state) }
        }
    }

    var count: Int { state.withLock { $0.names.count } }

    /// The index of `symbol` if it is in the universe.
    func index(of symbol: String) -> Int? { state.withLock { $0.indices[symbol] } }

    /// The index of `symbol`, adding it to the universe if needed; `nil` if the name is not
    /// acceptable or the universe is full.
    func intern(_ symbol: String) -> Int? {
        guard !symbol.isEmpty, symbol.utf8.count <= Self.maxSymbolLength else { return nil }
        return state.withLock { state in
            if let index = state.indices[symbol] { return index }
            guard state.names.count < Self.maxSymbols else { return nil }
            return Self.insert(symbol, into: &state)
        }
    }

    /// Name of the symbol at `index`.
    func name(at index: Int) -> String? {
        state.withLock { state in state.names.indices.contains(index) ? state.names[index] : nil }
    }

    /// Rendered names of every symbol with index >= `start` (for the generator's local copy).
    func renderedNames(from start: Int) -> [[UInt8]] {
        state.withLock { state in
            start < state.rendered.count ? Array(state.rendered[start...]) : []
        }
    }

    @discardableResult
    private static func insert(_ symbol: String, into state: inout State) -> Int {
        if let index = state.indices[symbol] { return index }
        let index = state.names.count
        state.names.append(symbol)
        state.indices[symbol] = index
        state.rendered.append(ByteWriter.jsonString(symbol))
        return index
    }
}
