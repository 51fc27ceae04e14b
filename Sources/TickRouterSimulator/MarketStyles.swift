/// The non-stock markets: for each, its universe, symbol naming, channel mix and renderer, with the
/// field names and types of provider-protocol.md §4 (stocks keep `MarketGenerator` + `EventRenderer`).
extension SimMarket {
    /// Instruments served before any client subscribes to more.
    var defaultUniverse: [String] {
        switch self {
        case .stocks: []  // from `SimulatorConfiguration.initialUniverse`
        case .options:
            ["SPY", "QQQ", "AAPL", "TSLA", "NVDA"].flatMap { underlying in
                ["C", "P"].flatMap { right in
                    [400, 500, 600, 700].map { strike in
                        "O:\(underlying)261218\(right)00\(strike)000"
                    }
                }
            }
        case .forex: ["EUR/USD", "USD/JPY", "GBP/USD", "USD/CHF", "AUD/USD", "USD/CAD", "NZD/USD", "EUR/GBP", "EUR/JPY", "USD/CNH"]
        case .crypto: ["BTC-USD", "ETH-USD", "SOL-USD", "XRP-USD", "DOGE-USD", "LTC-USD", "ADA-USD", "ETH-BTC"]
        case .indices: ["I:SPX", "I:NDX", "I:DJI", "I:RUT", "I:VIX", "I:COMP"]
        case .futures: ["ESZ6", "NQZ6", "YMZ6", "RTYZ6", "CLF7", "GCG7", "SIH7", "ZNH7", "ZBH7", "6EZ6"]
        }
    }

    /// How the market's hosts name an instrument.
    var naming: SymbolNaming {
        switch self {
        case .forex: .forex
        case .crypto: .crypto
        case .stocks, .options, .indices, .futures: .plain
        }
    }

    /// The generator for a non-stock market (stocks use `MarketGenerator` directly).
    func makeSource(seed: UInt64) -> any MarketEventSource {
        let seed = seed &+ UInt64(rawValue.utf8.count) &* 0x9E37_79B9
        switch self {
        case .stocks: return MarketGenerator(seed: seed)
        case .options: return AssetGenerator<OptionsStyle>(seed: seed)
        case .forex: return AssetGenerator<ForexStyle>(seed: seed)
        case .crypto: return AssetGenerator<CryptoStyle>(seed: seed)
        case .indices: return AssetGenerator<IndicesStyle>(seed: seed)
        case .futures: return AssetGenerator<FuturesStyle>(seed: seed)
        }
    }
}

/// Shapes several markets share: business FMV, launchpad LV and the equity-shaped bar.
enum SharedRenderer {
    /// One bar's values, prices in the market's fixed-point units.
    struct Bar {
        var open: Int64
        var close: Int64
        var high: Int64
        var low: Int64
        var vwap: Int64
        var volume: UInt64
        var accumulatedVolume: UInt64
        var startMs: Int64
        var endMs: Int64
    }

    /// `{"ev":"FMV","fmv":..,"sym":ticker,"t":ns}`
    static func fairValue(_ w: inout ByteWriter, ticker: [UInt8], value: Int64, decimals: Int, timeNanos: Int64) {
        w.append("{\"ev\":\"FMV\",\"fmv\":")
        w.appendFixed(value, decimals: decimals)
        w.append(",\"sym\":")
        w.append(ticker)
        w.append(",\"t\":")
        w.appendInt(timeNanos)
        w.append(UInt8(ascii: "}"))
    }

    /// `{"ev":"LV","val":..,"sym":ticker,"t":ns}`
    static func launchpadValue(_ w: inout ByteWriter, ticker: [UInt8], value: Int64, decimals: Int, timeNanos: Int64) {
        w.append("{\"ev\":\"LV\",\"val\":")
        w.appendFixed(value, decimals: decimals)
        w.append(",\"sym\":")
        w.append(ticker)
        w.append(",\"t\":")
        w.appendInt(timeNanos)
        w.append(UInt8(ascii: "}"))
    }

    /// The stock-shaped bar (`A`/`AM`, also launchpad `AM` for every asset class):
    /// `{"ev":..,"sym":..,"v":..,"av":..,"op":..,"vw":..,"o":..,"c":..,"h":..,"l":..,"a":..,"z":..,"s":ms,"e":ms}`
    static func equityBar(
        _ w: inout ByteWriter, minute: Bool, symbol: [UInt8], bar: Bar, officialOpen: Int64, decimals: Int, averageSize: UInt64
    ) {
        w.append(minute ? "{\"ev\":\"AM\",\"sym\":" : "{\"ev\":\"A\",\"sym\":")
        w.append(symbol)
        w.append(",\"v\":")
        w.appendUInt(bar.volume)
        w.append(",\"av\":")
        w.appendUInt(bar.accumulatedVolume)
        w.append(",\"op\":")
        w.appendFixed(officialOpen, decimals: decimals)
        w.append(",\"vw\":")
        w.appendFixed(bar.vwap, decimals: decimals)
        appendOHLC(&w, bar, decimals: decimals)
        w.append(",\"a\":")
        w.appendFixed(bar.vwap, decimals: decimals)
        w.append(",\"z\":")
        w.appendUInt(averageSize)
        appendWindow(&w, bar)
        w.append(UInt8(ascii: "}"))
    }

    /// `,"o":..,"c":..,"h":..,"l":..`
    static func appendOHLC(_ w: inout ByteWriter, _ bar: Bar, decimals: Int) {
        w.append(",\"o\":")
        w.appendFixed(bar.open, decimals: decimals)
        w.append(",\"c\":")
        w.appendFixed(bar.close, decimals: decimals)
        w.append(",\"h\":")
        w.appendFixed(bar.high, decimals: decimals)
        w.append(",\"l\":")
        w.appendFixed(bar.low, decimals: decimals)
    }

    /// `,"s":ms,"e":ms`
    static func appendWindow(_ w: inout ByteWriter, _ bar: Bar) {
        w.append(",\"s\":")
        w.appendInt(bar.startMs)
        w.append(",\"e\":")
        w.appendInt(bar.endMs)
    }
}

/// Options: contract tickers `O:…` everywhere; T, Q (options exchange ids), equity bars; FMV; launchpad AM, LV.
enum OptionsStyle: MarketStyle {
    static let mix: [(SimChannel, UInt64)] = [(.T, 300), (.Q, 900), (.A, 960), (.AM, 990), (.LV, 1000)]
    static let decimals = 2
    static let startPrices: Range<Int64> = 50..<3_000
    static let hasFairValue = true
    private static let exchanges = [300, 301, 302, 303, 308, 312, 313, 316, 319, 322, 323, 325]

    static func render(_ channel: SimChannel, symbol: Int, _ g: inout AssetGenerator<Self>, into w: inout ByteWriter) {
        switch channel {
        case .T:  // {"ev":"T","sym":..,"x":..,"p":..,"s":..,"c":[..],"t":ms,"q":..}
            w.append("{\"ev\":\"T\",\"sym\":")
            w.append(g.names[symbol])
            w.append(",\"x\":")
            w.appendUInt(UInt64(g.pick(exchanges)))
            w.append(",\"p\":")
            w.appendFixed(g.step(symbol), decimals: decimals)
            w.append(",\"s\":")
            w.appendUInt(1 + g.below(20))
            w.append(",\"c\":[")
            w.appendUInt(g.pick([209, 219, 227, 233]))
            w.append("],\"t\":")
            w.appendInt(g.nowMs)
            w.append(",\"q\":")
            w.appendUInt(g.nextSequence(.T, symbol))
            w.append(UInt8(ascii: "}"))
        case .Q:  // {"ev":"Q","sym":..,"bx":..,"ax":..,"bp":..,"ap":..,"bs":..,"as":..,"t":ms,"q":..}
            let bid = g.step(symbol)
            w.append("{\"ev\":\"Q\",\"sym\":")
            w.append(g.names[symbol])
            w.append(",\"bx\":")
            w.appendUInt(UInt64(g.pick(exchanges)))
            w.append(",\"ax\":")
            w.appendUInt(UInt64(g.pick(exchanges)))
            w.append(",\"bp\":")
            w.appendFixed(bid, decimals: decimals)
            w.append(",\"ap\":")
            w.appendFixed(bid + 1 + Int64(g.below(10)), decimals: decimals)
            w.append(",\"bs\":")
            w.appendUInt(1 + g.below(50))
            w.append(",\"as\":")
            w.appendUInt(1 + g.below(50))
            w.append(",\"t\":")
            w.appendInt(g.nowMs)
            w.append(",\"q\":")
            w.appendUInt(g.nextSequence(.Q, symbol))
            w.append(UInt8(ascii: "}"))
        case .A, .AM:
            let minute = channel == .AM
            let bar = g.bar(symbol, windowMs: minute ? 60_000 : 1_000, volume: 1 + g.below(minute ? 200 : 20))
            SharedRenderer.equityBar(
                &w, minute: minute, symbol: g.names[symbol], bar: bar, officialOpen: g.dayOpen(symbol), decimals: decimals,
                averageSize: 1 + g.below(5)
            )
        default:  // LV
            SharedRenderer.launchpadValue(&w, ticker: g.tickers[symbol], value: g.step(symbol), decimals: decimals, timeNanos: g.nowNanos)
        }
    }
}

/// Forex: quotes `C` carry the pair in `p`, bars `CA`/`CAS` in `pair`; FMV and launchpad use `C:EURUSD`.
enum ForexStyle: MarketStyle {
    static let mix: [(SimChannel, UInt64)] = [(.C, 850), (.CA, 880), (.CAS, 950), (.AM, 980), (.LV, 1000)]
    static let decimals = 5
    static let startPrices: Range<Int64> = 60_000..<160_000
    static let hasFairValue = true

    static func render(_ channel: SimChannel, symbol: Int, _ g: inout AssetGenerator<Self>, into w: inout ByteWriter) {
        switch channel {
        case .C:  // {"ev":"C","p":"EUR/USD","x":48,"a":ask,"b":bid,"t":ms}
            let bid = g.step(symbol)
            w.append("{\"ev\":\"C\",\"p\":")
            w.append(g.names[symbol])
            w.append(",\"x\":")
            w.appendUInt(UInt64(g.pick([44, 48, 1001])))
            w.append(",\"a\":")
            w.appendFixed(bid + 1 + Int64(g.below(4)), decimals: decimals)
            w.append(",\"b\":")
            w.appendFixed(bid, decimals: decimals)
            w.append(",\"t\":")
            w.appendInt(g.nowMs)
            w.append(UInt8(ascii: "}"))
        case .CA, .CAS:  // {"ev":"CA","pair":..,"o":..,"c":..,"h":..,"l":..,"v":ticks,"s":ms,"e":ms}
            let minute = channel == .CA
            let bar = g.bar(symbol, windowMs: minute ? 60_000 : 1_000, volume: 1 + g.below(minute ? 300 : 10))
            w.append(minute ? "{\"ev\":\"CA\",\"pair\":" : "{\"ev\":\"CAS\",\"pair\":")
            w.append(g.names[symbol])
            SharedRenderer.appendOHLC(&w, bar, decimals: decimals)
            w.append(",\"v\":")
            w.appendUInt(bar.volume)
            SharedRenderer.appendWindow(&w, bar)
            w.append(UInt8(ascii: "}"))
        case .AM:  // launchpad bar, equity-shaped, `C:` ticker
            let bar = g.bar(symbol, windowMs: 60_000, volume: 1 + g.below(300))
            SharedRenderer.equityBar(
                &w, minute: true, symbol: g.tickers[symbol], bar: bar, officialOpen: g.dayOpen(symbol), decimals: decimals,
                averageSize: 1
            )
        default:  // LV
            SharedRenderer.launchpadValue(&w, ticker: g.tickers[symbol], value: g.step(symbol), decimals: decimals, timeNanos: g.nowNanos)
        }
    }
}

/// Crypto: `pair` (`BTC-USD`) on every real-time event, float sizes, string trade ids, receive time `r`;
/// FMV and launchpad use `X:BTC-USD`.
enum CryptoStyle: MarketStyle {
    static let mix: [(SimChannel, UInt64)] = [
        (.XT, 400), (.XQ, 800), (.XA, 830), (.XAS, 900), (.XL2, 950), (.AM, 975), (.LV, 1000),
    ]
    static let decimals = 2
    static let startPrices: Range<Int64> = 100..<6_000_000
    static let hasFairValue = true
    private static let exchanges = [1, 2, 6, 23]
    /// Sizes are fixed-point with this many decimals.
    private static let sizeDecimals = 4

    static func render(_ channel: SimChannel, symbol: Int, _ g: inout AssetGenerator<Self>, into w: inout ByteWriter) {
        switch channel {
        case .XT:  // {"ev":"XT","pair":..,"p":..,"t":ms,"s":float,"c":[side],"i":"id","x":..,"r":ms}
            w.append("{\"ev\":\"XT\",\"pair\":")
            w.append(g.names[symbol])
            w.append(",\"p\":")
            w.appendFixed(g.step(symbol), decimals: decimals)
            w.append(",\"t\":")
            w.appendInt(g.nowMs)
            w.append(",\"s\":")
            w.appendFixed(1 + Int64(g.below(50_000)), decimals: sizeDecimals)
            w.append(",\"c\":[")
            w.appendUInt(1 + g.below(2))
            w.append("],\"i\":\"")
            w.appendUInt(g.nextID(symbol))
            w.append("\",\"x\":")
            w.appendUInt(UInt64(g.pick(exchanges)))
            w.append(",\"r\":")
            w.appendInt(g.nowMs + Int64(g.below(20)))
            w.append(UInt8(ascii: "}"))
        case .XQ:  // {"ev":"XQ","pair":..,"bp":..,"bs":..,"ap":..,"as":..,"t":ms,"x":..,"r":ms}
            let bid = g.step(symbol)
            w.append("{\"ev\":\"XQ\",\"pair\":")
            w.append(g.names[symbol])
            w.append(",\"bp\":")
            w.appendFixed(bid, decimals: decimals)
            w.append(",\"bs\":")
            w.appendFixed(1 + Int64(g.below(50_000)), decimals: sizeDecimals)
            w.append(",\"ap\":")
            w.appendFixed(bid + 1 + Int64(g.below(10)), decimals: decimals)
            w.append(",\"as\":")
            w.appendFixed(1 + Int64(g.below(50_000)), decimals: sizeDecimals)
            w.append(",\"t\":")
            w.appendInt(g.nowMs)
            w.append(",\"x\":")
            w.appendUInt(UInt64(g.pick(exchanges)))
            w.append(",\"r\":")
            w.appendInt(g.nowMs + Int64(g.below(20)))
            w.append(UInt8(ascii: "}"))
        case .XA, .XAS:  // {"ev":"XA","pair":..,"v":float,"vw":..,"z":..,"o":..,"c":..,"h":..,"l":..,"s":ms,"e":ms}
            let minute = channel == .XA
            let bar = g.bar(symbol, windowMs: minute ? 60_000 : 1_000, volume: 1 + g.below(minute ? 500_000 : 50_000))
            w.append(minute ? "{\"ev\":\"XA\",\"pair\":" : "{\"ev\":\"XAS\",\"pair\":")
            w.append(g.names[symbol])
            w.append(",\"v\":")
            w.appendFixed(Int64(bar.volume), decimals: sizeDecimals)
            w.append(",\"vw\":")
            w.appendFixed(bar.vwap, decimals: decimals)
            w.append(",\"z\":")
            w.appendUInt(1 + g.below(20))
            SharedRenderer.appendOHLC(&w, bar, decimals: decimals)
            SharedRenderer.appendWindow(&w, bar)
            w.append(UInt8(ascii: "}"))
        case .XL2:  // {"ev":"XL2","pair":..,"t":ms,"x":..,"r":ms,"b":[[p,s],..],"a":[[p,s],..]}
            let mid = g.step(symbol)
            w.append("{\"ev\":\"XL2\",\"pair\":")
            w.append(g.names[symbol])
            w.append(",\"t\":")
            w.appendInt(g.nowMs)
            w.append(",\"x\":")
            w.appendUInt(UInt64(g.pick(exchanges)))
            w.append(",\"r\":")
            w.appendInt(g.nowMs + Int64(g.below(20)))
            for (key, side) in [(",\"b\":[" as StaticString, Int64(-1)), ("],\"a\":[", 1)] {
                w.append(key)
                for level in 0..<3 {
                    if level > 0 { w.append(UInt8(ascii: ",")) }
                    w.append(UInt8(ascii: "["))
                    w.appendFixed(max(1, mid + side * Int64(1 + level)), decimals: decimals)
                    w.append(UInt8(ascii: ","))
                    w.appendFixed(1 + Int64(g.below(50_000)), decimals: sizeDecimals)
                    w.append(UInt8(ascii: "]"))
                }
            }
            w.append("]}")
        case .AM:  // launchpad bar, equity-shaped, `X:` ticker
            let bar = g.bar(symbol, windowMs: 60_000, volume: 1 + g.below(500))
            SharedRenderer.equityBar(
                &w, minute: true, symbol: g.tickers[symbol], bar: bar, officialOpen: g.dayOpen(symbol), decimals: decimals,
                averageSize: 1
            )
        default:  // LV
            SharedRenderer.launchpadValue(&w, ticker: g.tickers[symbol], value: g.step(symbol), decimals: decimals, timeNanos: g.nowNanos)
        }
    }
}

/// Indices: values `V` carry the ticker in `T`; bars have no volume. No business or launchpad host.
enum IndicesStyle: MarketStyle {
    static let mix: [(SimChannel, UInt64)] = [(.V, 900), (.A, 970), (.AM, 1000)]
    static let decimals = 2
    static let startPrices: Range<Int64> = 100_000..<2_000_000
    static let hasFairValue = false

    static func render(_ channel: SimChannel, symbol: Int, _ g: inout AssetGenerator<Self>, into w: inout ByteWriter) {
        switch channel {
        case .V:  // {"ev":"V","val":..,"T":"I:SPX","t":ms}
            w.append("{\"ev\":\"V\",\"val\":")
            w.appendFixed(g.step(symbol), decimals: decimals)
            w.append(",\"T\":")
            w.append(g.names[symbol])
            w.append(",\"t\":")
            w.appendInt(g.nowMs)
            w.append(UInt8(ascii: "}"))
        default:  // A, AM: {"ev":"A","sym":..,"op":..,"o":..,"c":..,"h":..,"l":..,"s":ms,"e":ms}
            let minute = channel == .AM
            let bar = g.bar(symbol, windowMs: minute ? 60_000 : 1_000, volume: 0)
            w.append(minute ? "{\"ev\":\"AM\",\"sym\":" : "{\"ev\":\"A\",\"sym\":")
            w.append(g.names[symbol])
            w.append(",\"op\":")
            w.appendFixed(g.dayOpen(symbol), decimals: decimals)
            SharedRenderer.appendOHLC(&w, bar, decimals: decimals)
            SharedRenderer.appendWindow(&w, bar)
            w.append(UInt8(ascii: "}"))
        }
    }
}

/// Futures (beta): contract tickers (`ESZ6`) in `sym`; T with `q`, BBO with bid/ask times, bars with
/// dollar value and trade count. No business or launchpad host.
enum FuturesStyle: MarketStyle {
    static let mix: [(SimChannel, UInt64)] = [(.T, 350), (.Q, 900), (.A, 960), (.AM, 1000)]
    static let decimals = 2
    static let startPrices: Range<Int64> = 5_000..<600_000
    static let hasFairValue = false

    static func render(_ channel: SimChannel, symbol: Int, _ g: inout AssetGenerator<Self>, into w: inout ByteWriter) {
        switch channel {
        case .T:  // {"ev":"T","sym":..,"p":..,"s":..,"t":ms,"q":..}
            w.append("{\"ev\":\"T\",\"sym\":")
            w.append(g.names[symbol])
            w.append(",\"p\":")
            w.appendFixed(g.step(symbol), decimals: decimals)
            w.append(",\"s\":")
            w.appendUInt(1 + g.below(10))
            w.append(",\"t\":")
            w.appendInt(g.nowMs)
            w.append(",\"q\":")
            w.appendUInt(g.nextSequence(.T, symbol))
            w.append(UInt8(ascii: "}"))
        case .Q:  // {"ev":"Q","sym":..,"bp":..,"bs":..,"bt":ms,"ap":..,"as":..,"at":ms,"t":ms}
            let bid = g.step(symbol)
            w.append("{\"ev\":\"Q\",\"sym\":")
            w.append(g.names[symbol])
            w.append(",\"bp\":")
            w.appendFixed(bid, decimals: decimals)
            w.append(",\"bs\":")
            w.appendUInt(1 + g.below(40))
            w.append(",\"bt\":")
            w.appendInt(g.nowMs - Int64(g.below(5)))
            w.append(",\"ap\":")
            w.appendFixed(bid + 25, decimals: decimals)
            w.append(",\"as\":")
            w.appendUInt(1 + g.below(40))
            w.append(",\"at\":")
            w.appendInt(g.nowMs - Int64(g.below(5)))
            w.append(",\"t\":")
            w.appendInt(g.nowMs)
            w.append(UInt8(ascii: "}"))
        default:  // A, AM: {"ev":"A","sym":..,"v":..,"dv":..,"o":..,"c":..,"h":..,"l":..,"n":..,"s":ms,"e":ms}
            let minute = channel == .AM
            let bar = g.bar(symbol, windowMs: minute ? 60_000 : 1_000, volume: 1 + g.below(minute ? 500 : 30))
            w.append(minute ? "{\"ev\":\"AM\",\"sym\":" : "{\"ev\":\"A\",\"sym\":")
            w.append(g.names[symbol])
            w.append(",\"v\":")
            w.appendUInt(bar.volume)
            w.append(",\"dv\":")
            w.appendFixed(bar.vwap * Int64(bar.volume), decimals: decimals)
            SharedRenderer.appendOHLC(&w, bar, decimals: decimals)
            w.append(",\"n\":")
            w.appendUInt(1 + bar.volume / 3)
            SharedRenderer.appendWindow(&w, bar)
            w.append(UInt8(ascii: "}"))
        }
    }
}
