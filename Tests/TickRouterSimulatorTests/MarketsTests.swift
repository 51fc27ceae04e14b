import Foundation
import Testing
import TickRouterSimulator

/// The non-stock markets over a real socket: each path serves its market's channels, and events
/// have that market's field shapes (provider-protocol.md §3.1, §4).
@Suite("Markets other than stocks", .serialized)
struct MarketsTests {
    static let configuration = SimulatorConfiguration(symbolCount: 20, rate: 5_000, otherMarketsRate: 20_000)

    /// Subscribes on `path` and returns the events (statuses removed) once `minimum` arrived.
    func events(path: String, subscribe params: String, minimum: Int = 2_000) async throws -> [[String: Any]] {
        let log = try await withSimulator(Self.configuration) { _, port in
            try await converse(port: port, path: path) { c in
                try await c.authenticate()
                try await c.send("subscribe", params)
                #expect(await c.log.wait(timeout: .seconds(30)) { $0.objects.count > minimum + 10 })
            }
        }
        #expect(!log.statuses.contains { $0.hasPrefix("error") }, "statuses: \(log.statuses)")
        return log.objects.filter { $0["ev"] as? String != "status" }
    }

    func ofType(_ events: [[String: Any]], _ ev: String) -> [[String: Any]] {
        events.filter { $0["ev"] as? String == ev }
    }

    @Test func forexQuotesCarryThePairInPAndBarsInPair() async throws {
        let events = try await events(path: "/forex", subscribe: "C.*,CA.*,CAS.*")
        #expect(Set(events.compactMap { $0["ev"] as? String }) == ["C", "CA", "CAS"])
        let quotes = ofType(events, "C")
        #expect(quotes.count > 1_000)
        for quote in quotes.prefix(500) {
            let pair = quote["p"] as? String ?? ""
            #expect(pair.count == 7 && pair.contains("/"), "forex C carries the pair in p: \(quote)")
            #expect(quote["sym"] == nil && quote["pair"] == nil)
            let ask = quote["a"] as? Double ?? 0
            let bid = quote["b"] as? Double ?? 0
            #expect(bid > 0 && bid < ask)
            #expect(quote["x"] is Int && (quote["t"] as? Int ?? 0) > 1_000_000_000_000)
        }
        for bar in (ofType(events, "CA") + ofType(events, "CAS")).prefix(200) {
            #expect((bar["pair"] as? String)?.contains("/") == true && bar["sym"] == nil, "\(bar)")
            let start = bar["s"] as? Int ?? 0
            let end = bar["e"] as? Int ?? 0
            #expect(end - start == (bar["ev"] as? String == "CA" ? 60_000 : 1_000))
            #expect(bar["h"] as? Double ?? 0 >= bar["l"] as? Double ?? 1)
        }
    }

    @Test func cryptoEventsCarryPairFloatSizesAndReceiveTime() async throws {
        let events = try await events(path: "/crypto", subscribe: "XT.*,XQ.*,XA.*,XAS.*,XL2.*")
        #expect(Set(events.compactMap { $0["ev"] as? String }) == ["XT", "XQ", "XA", "XAS", "XL2"])
        #expect(events.allSatisfy { ($0["pair"] as? String)?.contains("-") == true && $0["sym"] == nil })
        for trade in ofType(events, "XT").prefix(300) {
            #expect(trade["i"] is String && trade["s"] is Double && trade["c"] is [Int], "\(trade)")
            #expect((trade["r"] as? Int ?? 0) >= (trade["t"] as? Int ?? .max))
        }
        for quote in ofType(events, "XQ").prefix(300) {
            #expect((quote["bp"] as? Double ?? 0) < (quote["ap"] as? Double ?? 0))
        }
        for book in ofType(events, "XL2").prefix(100) {
            let bids = book["b"] as? [[Double]] ?? []
            let asks = book["a"] as? [[Double]] ?? []
            #expect(!bids.isEmpty && bids.allSatisfy { $0.count == 2 } && asks.allSatisfy { $0.count == 2 })
        }
    }

    @Test func indexValuesCarryTheTickerInCapitalT() async throws {
        let events = try await events(path: "/indices", subscribe: "V.*,A.*,AM.*")
        #expect(Set(events.compactMap { $0["ev"] as? String }) == ["V", "A", "AM"])
        for value in ofType(events, "V").prefix(500) {
            #expect((value["T"] as? String)?.hasPrefix("I:") == true && value["sym"] == nil, "\(value)")
            #expect(value["val"] is Double && (value["t"] as? Int ?? 0) > 1_000_000_000_000)
        }
        for bar in (ofType(events, "A") + ofType(events, "AM")).prefix(200) {
            #expect((bar["sym"] as? String)?.hasPrefix("I:") == true && bar["v"] == nil, "index bars have no volume: \(bar)")
            #expect(bar["op"] is Double && bar["s"] is Int && bar["e"] is Int)
        }
    }

    @Test func optionsUseContractTickersAndPerSymbolSequences() async throws {
        let events = try await events(path: "/options", subscribe: "T.*,Q.*")
        #expect(Set(events.compactMap { $0["ev"] as? String }) == ["T", "Q"])
        // O:<underlying><yymmdd><C|P><strike × 1000, 8 digits>
        let contracts = Set(events.compactMap { $0["sym"] as? String })
        #expect(contracts.count > 10)
        for contract in contracts {
            let tail = Array(contract.suffix(15))
            #expect(contract.hasPrefix("O:") && contract.count > 17, "\(contract)")
            #expect(tail[0..<6].allSatisfy(\.isNumber) && ["C", "P"].contains(tail[6]) && tail[7...].allSatisfy(\.isNumber), "\(contract)")
        }
        var last: [String: Int] = [:]
        for event in events {
            let key = "\(event["ev"] ?? "") \(event["sym"] ?? "")"
            let q = event["q"] as? Int ?? -1
            if let previous = last[key] { #expect(q == previous + 1, "\(key)") }
            last[key] = q
        }
        // Options trades have no trade id or tape, unlike stocks.
        #expect(ofType(events, "T").allSatisfy { $0["i"] == nil && $0["z"] == nil })
    }

    @Test func futuresVenuePathServesFuturesShapes() async throws {
        let events = try await events(path: "/futures/cme", subscribe: "T.*,Q.*,AM.*", minimum: 1_000)
        #expect(Set(events.compactMap { $0["ev"] as? String }) == ["T", "Q", "AM"])
        #expect(events.allSatisfy { ($0["sym"] as? String).map { !$0.contains(":") && $0.count <= 5 } == true })
        #expect(ofType(events, "T").allSatisfy { $0["q"] is Int && $0["s"] is Int && $0["i"] == nil })
        #expect(ofType(events, "Q").allSatisfy { $0["bt"] is Int && $0["at"] is Int && $0["q"] == nil })
        #expect(ofType(events, "AM").allSatisfy { $0["n"] is Int && $0["dv"] != nil })
    }

    @Test func businessAndLaunchpadUsePrefixedTickers() async throws {
        let fmv = try await events(path: "/business/crypto", subscribe: "FMV.*", minimum: 300)
        #expect(fmv.count > 300)
        #expect(fmv.allSatisfy { $0["ev"] as? String == "FMV" && ($0["sym"] as? String)?.hasPrefix("X:") == true && $0["fmv"] is Double })
        let launchpad = try await events(path: "/launchpad/forex", subscribe: "AM.*,LV.*", minimum: 500)
        #expect(Set(launchpad.compactMap { $0["ev"] as? String }) == ["AM", "LV"])
        #expect(launchpad.allSatisfy { ($0["sym"] as? String)?.hasPrefix("C:") == true })
        #expect(ofType(launchpad, "LV").allSatisfy { $0["val"] is Double })
        #expect(ofType(launchpad, "AM").allSatisfy { $0["av"] is Int && $0["s"] is Int })
    }

    @Test func aPairAndItsTickerAreOneInstrument() async throws {
        try await withSimulator(Self.configuration) { _, port in
            async let quotes = converse(port: port, path: "/forex") { c in
                try await c.authenticate()
                try await c.send("subscribe", "C.GBP/JPY")
                #expect(await c.log.wait { $0.objects.filter { $0["ev"] as? String == "C" }.count > 20 })
            }
            async let values = converse(port: port, path: "/business/forex") { c in
                try await c.authenticate()
                try await c.send("subscribe", "FMV.C:GBPJPY")
                #expect(await c.log.wait { $0.objects.filter { $0["ev"] as? String == "FMV" }.count > 2 })
            }
            let (quoteLog, valueLog) = try await (quotes, values)
            let pairs = Set(quoteLog.objects.filter { $0["ev"] as? String == "C" }.compactMap { $0["p"] as? String })
            #expect(pairs == ["GBP/JPY"])
            let tickers = Set(valueLog.objects.filter { $0["ev"] as? String == "FMV" }.compactMap { $0["sym"] as? String })
            #expect(tickers == ["C:GBPJPY"])
        }
    }

    @Test func eachPathServesOnlyItsMarketsChannelsAndEvents() async throws {
        try await withSimulator(Self.configuration) { _, port in
            // `T` on stocks and on futures are different streams; `C` is not a crypto channel.
            async let stocks = converse(port: port, path: "/stocks") { c in
                try await c.authenticate()
                try await c.send("subscribe", "T.*,XT.*")
                #expect(await c.log.waitForStatus("error", message: "unknown channel: XT") != nil)
                #expect(await c.log.wait { $0.objects.filter { $0["ev"] as? String == "T" }.count > 200 })
            }
            async let futures = converse(port: port, path: "/futures") { c in
                try await c.authenticate()
                try await c.send("subscribe", "T.*,LULD.*")
                #expect(await c.log.waitForStatus("error", message: "unknown channel: LULD") != nil)
                #expect(await c.log.wait { $0.objects.filter { $0["ev"] as? String == "T" }.count > 200 })
            }
            async let crypto = converse(port: port, path: "/crypto") { c in
                try await c.authenticate()
                try await c.send("subscribe", "C.*,FMV.*")
                #expect(await c.log.waitForStatus("error", message: "unknown channel: C") != nil)
                #expect(await c.log.waitForStatus("error", message: "unknown channel: FMV") != nil)
            }
            let (stockLog, futuresLog, _) = try await (stocks, futures, crypto)
            let stockSymbols = Set(stockLog.objects.filter { $0["ev"] as? String == "T" }.compactMap { $0["sym"] as? String })
            let futuresSymbols = Set(futuresLog.objects.filter { $0["ev"] as? String == "T" }.compactMap { $0["sym"] as? String })
            #expect(stockSymbols.allSatisfy { $0.hasPrefix("SYM") }, "\(stockSymbols)")
            #expect(stockSymbols.isDisjoint(with: futuresSymbols))
            #expect(futuresLog.objects.filter { $0["ev"] as? String == "T" }.allSatisfy { $0["z"] == nil && $0["q"] is Int })
        }
    }
}
