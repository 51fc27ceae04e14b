import Synchronization

/// The shared, growable universe of symbols: name ↔ dense index, plus each name pre-rendered
/// as a JSON string literal so events never format a `String`.
///
/// Sessions intern symbols when clients subscribe to names not yet in the universe; the
/// generator picks the new ones up on its next tick.
///
/// Where a market names an instrument differently on the business and launchpad hosts
/// (`EUR/USD` on `/forex`, `C:EURUSD` for FMV/LV; ``SymbolNaming``), both names resolve to the
/// same index and both are pre-rendered.
final class SymbolTable: Sendable {
    /// Upper bound on the universe so a client cannot grow it without limit.
    static let maxSymbols = 100_000
    /// Longest symbol accepted from a client.
    static let maxSymbolLength = 40

    private struct State {
        var names: [String] = []
        var indices: [String: Int] = [:]
        var rendered: [[UInt8]] = []
        var renderedTickers: [[UInt8]] = []
    }

    private let state = Mutex(State())
    let naming: SymbolNaming

    init(symbols: [String], naming: SymbolNaming = .plain) {
        self.naming = naming
        state.withLock { state in
            for symbol in symbols { Self.insert(symbol, naming: naming, into: &state) }
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
            return Self.insert(symbol, naming: naming, into: &state)
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

    /// Rendered business/launchpad tickers (``SymbolNaming``) of every symbol with index >= `start`.
    func renderedTickers(from start: Int) -> [[UInt8]] {
        state.withLock { state in
            start < state.renderedTickers.count ? Array(state.renderedTickers[start...]) : []
        }
    }

    @discardableResult
    private static func insert(_ symbol: String, naming: SymbolNaming, into state: inout State) -> Int {
        if let index = state.indices[symbol] { return index }
        let name = naming.realtimeName(symbol) ?? symbol
        if let index = state.indices[name] { return index }
        let index = state.names.count
        state.names.append(name)
        state.indices[name] = index
        let rendered = ByteWriter.jsonString(name)
        state.rendered.append(rendered)
        if let ticker = naming.ticker(name) {
            state.indices[ticker] = index
            state.renderedTickers.append(ByteWriter.jsonString(ticker))
        } else {
            state.renderedTickers.append(rendered)
        }
        return index
    }
}

/// How a market names an instrument on its real-time host versus its business (FMV) and
/// launchpad (AM, LV) hosts, which use prefixed tickers (provider-protocol.md §3).
struct SymbolNaming: Sendable {
    /// The prefixed ticker for a real-time name (`EUR/USD` → `C:EURUSD`); nil when it is the same name.
    var ticker: @Sendable (String) -> String?
    /// The real-time name for a prefixed ticker (`C:EURUSD` → `EUR/USD`); nil when `name` is not one.
    var realtimeName: @Sendable (String) -> String?

    /// One name everywhere (stocks, options `O:…`, indices `I:…`, futures contracts).
    static let plain = SymbolNaming(ticker: { _ in nil }, realtimeName: { _ in nil })

    /// Forex: `EUR/USD` on `/forex`, `C:EURUSD` on the business and launchpad hosts.
    static let forex = SymbolNaming(
        ticker: { name in name.contains("/") ? "C:" + name.filter { $0 != "/" } : nil },
        realtimeName: { name in
            guard name.hasPrefix("C:") else { return nil }
            let pair = name.dropFirst(2)
            guard pair.count == 6, !pair.contains("/") else { return nil }
            return pair.prefix(3) + "/" + pair.suffix(3)
        }
    )

    /// Crypto: `BTC-USD` on `/crypto`, `X:BTC-USD` on the business and launchpad hosts.
    static let crypto = SymbolNaming(
        ticker: { name in name.hasPrefix("X:") ? nil : "X:" + name },
        realtimeName: { name in name.hasPrefix("X:") && name.count > 2 ? String(name.dropFirst(2)) : nil }
    )
}
