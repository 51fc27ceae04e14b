/// A market's source of generated events, ticked by the generator driver.
protocol MarketEventSource {
    /// Picks up symbols added to the market's universe since the last call.
    mutating func sync(with table: SymbolTable)
    /// Appends `count` real-time events (the market's channel mix) and `fmvCount` FMV events.
    mutating func emit(count: Int, fmvCount: Int, nowNanos: Int64, into batch: inout EventBatch)
}

/// The stocks market keeps its own tuned generator.
extension MarketGenerator: MarketEventSource {}

/// What makes one non-stock market: its channel mix, its price scale and its renderer.
///
/// A style's `render` only handles its own channels, in the field shapes of provider-protocol.md §4;
/// ``AssetGenerator`` supplies the instrument state (random-walk prices, bars, sequences).
protocol MarketStyle {
    /// Channels generated, as cumulative per-mille limits (the last is 1000).
    static var mix: [(SimChannel, UInt64)] { get }
    /// Decimals of the fixed-point prices.
    static var decimals: Int { get }
    /// Start prices, in fixed-point units.
    static var startPrices: Range<Int64> { get }
    /// Whether the business host carries FMV for this market.
    static var hasFairValue: Bool { get }
    /// Renders one event of `channel` for `symbol`.
    static func render(_ channel: SimChannel, symbol: Int, _ g: inout AssetGenerator<Self>, into w: inout ByteWriter)
}

/// Generated market for a ``MarketStyle``: per-symbol random-walk prices and day volume, per
/// (channel, symbol) sequences. Deterministic for a seed; owned by the generator task.
struct AssetGenerator<Style: MarketStyle>: MarketEventSource {
    private var rng: SplitMix64
    /// Rendered real-time names (`"EUR/USD"`) and business/launchpad tickers (`"C:EURUSD"`).
    private(set) var names: [[UInt8]] = []
    private(set) var tickers: [[UInt8]] = []
    private var prices: [Int64] = []
    private var dayOpens: [Int64] = []
    private var dayVolumes: [UInt64] = []
    private var nextIDs: [UInt64] = []
    private var sequences: [[UInt64]] = Array(repeating: [], count: SimChannel.count)
    /// Time of the events being rendered.
    private(set) var nowMs: Int64 = 0
    private(set) var nowNanos: Int64 = 0

    init(seed: UInt64) {
        rng = SplitMix64(seed: seed ^ 0xA55E_7A55_E7A5_5E70)
    }

    mutating func sync(with table: SymbolTable) {
        let added = table.renderedNames(from: names.count)
        guard !added.isEmpty else { return }
        let addedTickers = table.renderedTickers(from: tickers.count)
        for name in added {
            let start = Style.startPrices.lowerBound + Int64(rng.below(UInt64(Style.startPrices.count)))
            names.append(name)
            prices.append(start)
            dayOpens.append(start)
            dayVolumes.append(0)
            nextIDs.append(1 + rng.below(1_000_000))
        }
        tickers.append(contentsOf: addedTickers)
        for channel in 0..<SimChannel.count {
            sequences[channel].append(contentsOf: repeatElement(0, count: added.count))
        }
    }

    mutating func emit(count: Int, fmvCount: Int, nowNanos: Int64, into batch: inout EventBatch) {
        guard !names.isEmpty else { return }
        self.nowNanos = nowNanos
        nowMs = nowNanos / 1_000_000
        for _ in 0..<count {
            let symbol = Int(rng.below(UInt64(names.count)))
            let roll = rng.below(1000)
            let channel = Style.mix.first { roll < $0.1 }?.0 ?? Style.mix[0].0
            let start = batch.writer.count
            Style.render(channel, symbol: symbol, &self, into: &batch.writer)
            batch.commit(start: start, channel: channel, symbol: symbol)
        }
        guard Style.hasFairValue else { return }
        for _ in 0..<fmvCount {
            let symbol = Int(rng.below(UInt64(names.count)))
            let start = batch.writer.count
            SharedRenderer.fairValue(&batch.writer, ticker: tickers[symbol], value: step(symbol), decimals: Style.decimals, timeNanos: nowNanos)
            batch.commit(start: start, channel: .FMV, symbol: symbol)
        }
    }

    // MARK: Helpers for the styles

    /// Uniform integer in `0..<bound`.
    mutating func below(_ bound: UInt64) -> UInt64 { rng.below(bound) }

    /// An element of a non-empty array, uniformly.
    mutating func pick<T>(_ values: [T]) -> T { values[Int(rng.below(UInt64(values.count)))] }

    /// Moves the symbol's price by a few ticks (a tick is about 0.5 basis point) and returns it.
    mutating func step(_ symbol: Int) -> Int64 {
        let tick = max(1, prices[symbol] / 20_000)
        let roll = Int64(rng.below(16))
        var price = prices[symbol]
        if roll < 3 { price -= tick * (1 + roll) } else if roll < 6 { price += tick * (roll - 2) }
        price = max(1, price)
        prices[symbol] = price
        return price
    }

    /// The next sequence number of (channel, symbol), starting at 1.
    mutating func nextSequence(_ channel: SimChannel, _ symbol: Int) -> UInt64 {
        sequences[channel.rawValue][symbol] &+= 1
        return sequences[channel.rawValue][symbol]
    }

    /// The next trade id of the symbol.
    mutating func nextID(_ symbol: Int) -> UInt64 {
        nextIDs[symbol] &+= 1
        return nextIDs[symbol]
    }

    /// Adds traded volume to the symbol's day total and returns the total.
    mutating func addVolume(_ symbol: Int, _ volume: UInt64) -> UInt64 {
        dayVolumes[symbol] &+= volume
        return dayVolumes[symbol]
    }

    func dayOpen(_ symbol: Int) -> Int64 { dayOpens[symbol] }

    /// One aggregate bar of `windowMs` ending at the current window's end, closing at a new price.
    mutating func bar(_ symbol: Int, windowMs: Int64, volume: UInt64) -> SharedRenderer.Bar {
        let close = step(symbol)
        let spread = max(1, close / 5_000)
        let open = max(1, close + spread * (Int64(rng.below(9)) - 4))
        let high = max(open, close) + spread * Int64(rng.below(3))
        let low = max(1, min(open, close) - spread * Int64(rng.below(3)))
        let start = nowMs - nowMs % windowMs
        return SharedRenderer.Bar(
            open: open, close: close, high: high, low: low, vwap: (open + close + high + low) / 4,
            volume: volume, accumulatedVolume: addVolume(symbol, volume), startMs: start, endMs: start + windowMs
        )
    }
}
