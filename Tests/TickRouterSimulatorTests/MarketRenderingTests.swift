import Foundation
import Testing

@testable import TickRouterSimulator

/// Every non-stock market's generator renders exactly the provider's fields per `ev`
/// (provider-protocol.md §4), only channels its hosts serve, and names each event's instrument
/// in the field and form that event uses.
@Suite("Rendering per market")
struct MarketRenderingTests {
    static let equityBar: Set<String> = ["ev", "sym", "v", "av", "op", "vw", "o", "c", "h", "l", "a", "z", "s", "e"]
    static let launchpadValue: Set<String> = ["ev", "val", "sym", "t"]
    static let fairValue: Set<String> = ["ev", "fmv", "sym", "t"]

    /// Expected keys per `ev`, and the key that names the instrument.
    static let shapes: [SimMarket: [String: (keys: Set<String>, symbol: String)]] = [
        .options: [
            "T": (["ev", "sym", "x", "p", "s", "c", "t", "q"], "sym"),
            "Q": (["ev", "sym", "bx", "ax", "bp", "ap", "bs", "as", "t", "q"], "sym"),
            "A": (equityBar, "sym"), "AM": (equityBar, "sym"),
            "LV": (launchpadValue, "sym"), "FMV": (fairValue, "sym"),
        ],
        .forex: [
            "C": (["ev", "p", "x", "a", "b", "t"], "p"),
            "CA": (["ev", "pair", "o", "c", "h", "l", "v", "s", "e"], "pair"),
            "CAS": (["ev", "pair", "o", "c", "h", "l", "v", "s", "e"], "pair"),
            "AM": (equityBar, "sym"), "LV": (launchpadValue, "sym"), "FMV": (fairValue, "sym"),
        ],
        .crypto: [
            "XT": (["ev", "pair", "p", "t", "s", "c", "i", "x", "r"], "pair"),
            "XQ": (["ev", "pair", "bp", "bs", "ap", "as", "t", "x", "r"], "pair"),
            "XA": (["ev", "pair", "v", "vw", "z", "o", "c", "h", "l", "s", "e"], "pair"),
            "XAS": (["ev", "pair", "v", "vw", "z", "o", "c", "h", "l", "s", "e"], "pair"),
            "XL2": (["ev", "pair", "t", "x", "r", "b", "a"], "pair"),
            "AM": (equityBar, "sym"), "LV": (launchpadValue, "sym"), "FMV": (fairValue, "sym"),
        ],
        .indices: [
            "V": (["ev", "val", "T", "t"], "T"),
            "A": (["ev", "sym", "op", "o", "c", "h", "l", "s", "e"], "sym"),
            "AM": (["ev", "sym", "op", "o", "c", "h", "l", "s", "e"], "sym"),
        ],
        .futures: [
            "T": (["ev", "sym", "p", "s", "t", "q"], "sym"),
            "Q": (["ev", "sym", "bp", "bs", "bt", "ap", "as", "at", "t"], "sym"),
            "A": (["ev", "sym", "v", "dv", "o", "c", "h", "l", "n", "s", "e"], "sym"),
            "AM": (["ev", "sym", "v", "dv", "o", "c", "h", "l", "n", "s", "e"], "sym"),
        ],
    ]

    /// Launchpad and business events name the instrument by its prefixed ticker.
    static let tickerChannels: Set<String> = ["FMV", "LV"]

    @Test(arguments: [SimMarket.options, .forex, .crypto, .indices, .futures])
    func everyGeneratedEventHasItsMarketsShape(market: SimMarket) throws {
        let table = SymbolTable(symbols: market.defaultUniverse, naming: market.naming)
        var source = market.makeSource(seed: 11)
        source.sync(with: table)
        var batch = EventBatch()
        source.emit(count: 4_000, fmvCount: 100, nowNanos: 1_763_000_000_123_456_789, into: &batch)
        let shapes = try #require(Self.shapes[market])
        let served = SimFeed.allCases.reduce(UInt32(0)) { $0 | market.channelMask(on: $1) }
        var seen = Set<String>()
        for ref in batch.events {
            let bytes = batch.writer.bytes[Int(ref.start)..<Int(ref.start + ref.length)]
            let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
            let ev = try #require(object["ev"] as? String)
            seen.insert(ev)
            let channel = try #require(SimChannel(rawValue: Int(ref.channel)))
            #expect(channel.code == ev && served & channel.bit != 0, "\(market) \(ev)")
            guard let shape = shapes[ev] else {
                Issue.record("\(market): unexpected ev \(ev)")
                continue
            }
            #expect(Set(object.keys) == shape.keys, "\(market) \(ev) fields \(object.keys.sorted())")
            let name = try #require(object[shape.symbol] as? String, "\(market) \(ev)")
            #expect(table.index(of: name) == Int(ref.symbol), "\(market) \(ev) \(name) is the event's instrument")
            let realtimeName = try #require(table.name(at: Int(ref.symbol)))
            let prefixed = Self.tickerChannels.contains(ev) || (ev == "AM" && (market == .forex || market == .crypto))
            #expect(name == (prefixed ? market.naming.ticker(realtimeName) ?? realtimeName : realtimeName), "\(market) \(ev) \(name)")
            // Times are ms (13 digits) or, for FMV/LV, ns (19); bar windows `s`/`e` are ms.
            let timeKeys = ["t", "r", "bt"] + (object["e"] != nil ? ["s", "e"] : []) + (market == .futures ? ["at"] : [])
            for key in timeKeys {
                guard let time = object[key] as? Int else { continue }
                #expect([13, 19].contains(String(time).count), "\(market) \(ev) \(key) = \(time)")
            }
        }
        #expect(seen == Set(shapes.keys), "\(market) generated \(seen.sorted())")
    }

    @Test func forexAndCryptoTickersResolveToTheirPairs() {
        let forex = SymbolTable(symbols: ["EUR/USD"], naming: .forex)
        #expect(forex.index(of: "C:EURUSD") == 0)
        #expect(forex.intern("C:GBPJPY") == 1 && forex.name(at: 1) == "GBP/JPY" && forex.index(of: "GBP/JPY") == 1)
        let crypto = SymbolTable(symbols: ["BTC-USD"], naming: .crypto)
        #expect(crypto.index(of: "X:BTC-USD") == 0)
        #expect(crypto.intern("X:SOL-USD") == 1 && crypto.name(at: 1) == "SOL-USD")
        #expect(String(decoding: crypto.renderedTickers(from: 0)[1], as: UTF8.self) == #""X:SOL-USD""#)
    }

    @Test func pathsMapToTheirMarketAndHost() {
        func parsed(_ path: String) -> String? { FeedPath(requestPath: path).map { "\($0.feed) \($0.market)" } }
        #expect(parsed("/stocks") == "realtime stocks")
        #expect(parsed("/delayed/options/") == "delayed options")
        #expect(parsed("/business/forex?x=1") == "business forex")
        #expect(parsed("/launchpad/crypto") == "launchpad crypto")
        #expect(FeedPath(requestPath: "/futures/nymex")?.market == .futures)
        #expect(FeedPath(requestPath: "/delayed/futures/cme")?.feed == .delayed)
        #expect(FeedPath(requestPath: "/business/indices") == nil)
        #expect(FeedPath(requestPath: "/launchpad/futures") == nil)
        #expect(FeedPath(requestPath: "/stocks/cme") == nil)
        #expect(FeedPath(requestPath: "/") == nil)
    }
}
