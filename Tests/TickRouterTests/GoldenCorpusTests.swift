import Foundation
import NIOCore
import Testing
import TickRouter
import TickRouterConfig

/// One real-shaped example per (market, `ev`) the provider documents (provider-protocol.md §3.1, §4),
/// in `Fixtures/golden/<file>.json`: each file is one provider frame, one event object per line.
/// The expectations below say, field by field, what the decoder must extract from each line.
@Suite("Golden corpus")
struct GoldenCorpusTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/golden").path

    /// What the decoder must extract from one example line.
    struct Example: Sendable, CustomTestStringConvertible {
        /// Fixture file (without `.json`) and 0-based event index within its frame.
        var file: String
        var index: Int
        /// The market of the connection the example arrives on.
        var market: Market
        var channel: FeedChannel
        var symbol: String
        /// `q` (`i` for NOI), nil when the event carries none.
        var sequence: Int64?
        /// The raw time field (`t`, or `s` for bars) and its value in epoch milliseconds.
        var timestamp: Int64
        var milliseconds: Int64

        var testDescription: String { "\(file)[\(index)] \(market) \(channel.code) \(symbol)" }
    }

    // swift-format-ignore
    static let examples: [Example] = [
        // stocks: LULD and NOI carry the ticker in `T`; NOI's sequence is `i`; LULD `t` is µs, NOI `t` ns.
        Example(file: "stocks", index: 0, market: .stocks, channel: .T, symbol: "AAPL", sequence: 3_681_328, timestamp: 1_536_036_818_784, milliseconds: 1_536_036_818_784),
        Example(file: "stocks", index: 1, market: .stocks, channel: .Q, symbol: "MSFT", sequence: 50_385_480, timestamp: 1_536_036_818_784, milliseconds: 1_536_036_818_784),
        Example(file: "stocks", index: 2, market: .stocks, channel: .A, symbol: "SPCE", sequence: nil, timestamp: 1_610_144_868_000, milliseconds: 1_610_144_868_000),
        Example(file: "stocks", index: 3, market: .stocks, channel: .AM, symbol: "GTE", sequence: nil, timestamp: 1_610_144_640_000, milliseconds: 1_610_144_640_000),
        Example(file: "stocks", index: 4, market: .stocks, channel: .LULD, symbol: "MSFT", sequence: 290_317, timestamp: 1_601_316_752_683_746, milliseconds: 1_601_316_752_683),
        Example(file: "stocks", index: 5, market: .stocks, channel: .NOI, symbol: "NTEST.Q", sequence: 44, timestamp: 1_601_318_039_223_013_600, milliseconds: 1_601_318_039_223),
        Example(file: "stocks", index: 6, market: .stocks, channel: .FMV, symbol: "AAPL", sequence: nil, timestamp: 1_678_220_098_130, milliseconds: 1_678_220_098_130),
        // options: contract tickers; FMV `t` in ns (19 digits).
        Example(file: "options", index: 0, market: .options, channel: .T, symbol: "O:SPY241220P00720000", sequence: 2, timestamp: 1_536_036_818_784, milliseconds: 1_536_036_818_784),
        Example(file: "options", index: 1, market: .options, channel: .Q, symbol: "O:SPY241220P00720000", sequence: 844_090_872, timestamp: 1_644_506_128_351, milliseconds: 1_644_506_128_351),
        Example(file: "options", index: 2, market: .options, channel: .A, symbol: "O:ONEM220121C00025000", sequence: nil, timestamp: 1_632_419_640_000, milliseconds: 1_632_419_640_000),
        Example(file: "options", index: 3, market: .options, channel: .AM, symbol: "O:TSLA210903C00700000", sequence: nil, timestamp: 1_630_608_360_000, milliseconds: 1_630_608_360_000),
        Example(file: "options", index: 4, market: .options, channel: .FMV, symbol: "O:TSLA210903C00700000", sequence: nil, timestamp: 1_401_715_883_806_000_000, milliseconds: 1_401_715_883_806),
        // forex: the quote's pair is in `p` (exchange id as string or int), bars use `pair`; FMV uses `C:` tickers.
        Example(file: "forex", index: 0, market: .forex, channel: .C, symbol: "USD/CNH", sequence: nil, timestamp: 1_536_036_818_784, milliseconds: 1_536_036_818_784),
        Example(file: "forex", index: 1, market: .forex, channel: .C, symbol: "EUR/USD", sequence: nil, timestamp: 1_678_220_098_130, milliseconds: 1_678_220_098_130),
        Example(file: "forex", index: 2, market: .forex, channel: .CA, symbol: "USD/EUR", sequence: nil, timestamp: 1_539_145_740_000, milliseconds: 1_539_145_740_000),
        Example(file: "forex", index: 3, market: .forex, channel: .CAS, symbol: "EUR/USD", sequence: nil, timestamp: 1_678_220_098_000, milliseconds: 1_678_220_098_000),
        Example(file: "forex", index: 4, market: .forex, channel: .FMV, symbol: "C:EURUSD", sequence: nil, timestamp: 1_678_220_098_130, milliseconds: 1_678_220_098_130),
        // crypto: `pair`; trade ids as string and as int (neither is a sequence); FMV with `X:` ticker in ns.
        Example(file: "crypto", index: 0, market: .crypto, channel: .XT, symbol: "BTC-USD", sequence: nil, timestamp: 1_610_462_007_425, milliseconds: 1_610_462_007_425),
        Example(file: "crypto", index: 1, market: .crypto, channel: .XT, symbol: "ETH-USD", sequence: nil, timestamp: 1_610_462_007_431, milliseconds: 1_610_462_007_431),
        Example(file: "crypto", index: 2, market: .crypto, channel: .XQ, symbol: "BTC-USD", sequence: nil, timestamp: 1_610_462_411_115, milliseconds: 1_610_462_411_115),
        Example(file: "crypto", index: 3, market: .crypto, channel: .XA, symbol: "BCD-USD", sequence: nil, timestamp: 1_610_463_240_000, milliseconds: 1_610_463_240_000),
        Example(file: "crypto", index: 4, market: .crypto, channel: .XAS, symbol: "BTC-USD", sequence: nil, timestamp: 1_610_462_007_000, milliseconds: 1_610_462_007_000),
        Example(file: "crypto", index: 5, market: .crypto, channel: .XL2, symbol: "BTC-USD", sequence: nil, timestamp: 1_610_462_411_115, milliseconds: 1_610_462_411_115),
        Example(file: "crypto", index: 6, market: .crypto, channel: .FMV, symbol: "X:BTC-USD", sequence: nil, timestamp: 1_610_462_007_425_000_000, milliseconds: 1_610_462_007_425),
        // indices: the value's ticker is in `T`; bars have no volume and may have s == e.
        Example(file: "indices", index: 0, market: .indices, channel: .V, symbol: "I:SPX", sequence: nil, timestamp: 1_678_220_098_130, milliseconds: 1_678_220_098_130),
        Example(file: "indices", index: 1, market: .indices, channel: .A, symbol: "I:SPX", sequence: nil, timestamp: 1_678_220_098_000, milliseconds: 1_678_220_098_000),
        Example(file: "indices", index: 2, market: .indices, channel: .AM, symbol: "I:NDX", sequence: nil, timestamp: 1_678_220_040_000, milliseconds: 1_678_220_040_000),
        // futures: `T` is a futures trade with `sym` and `q`; the BBO has no sequence (its `at` is the ask time).
        Example(file: "futures", index: 0, market: .futures, channel: .T, symbol: "ESZ6", sequence: 1_234_567, timestamp: 1_765_483_200_123, milliseconds: 1_765_483_200_123),
        Example(file: "futures", index: 1, market: .futures, channel: .Q, symbol: "ESZ6", sequence: nil, timestamp: 1_765_483_200_122, milliseconds: 1_765_483_200_122),
        Example(file: "futures", index: 2, market: .futures, channel: .A, symbol: "CLF7", sequence: nil, timestamp: 1_765_483_200_000, milliseconds: 1_765_483_200_000),
        Example(file: "futures", index: 3, market: .futures, channel: .AM, symbol: "GCG7", sequence: nil, timestamp: 1_765_483_140_000, milliseconds: 1_765_483_140_000),
        // launchpad (here on a crypto connection): the equity-shaped AM with a prefixed `sym`, and LV.
        Example(file: "launchpad", index: 0, market: .crypto, channel: .AM, symbol: "X:BTC-USD", sequence: nil, timestamp: 1_610_462_040_000, milliseconds: 1_610_462_040_000),
        Example(file: "launchpad", index: 1, market: .crypto, channel: .LV, symbol: "X:BTC-USD", sequence: nil, timestamp: 1_610_462_007_425, milliseconds: 1_610_462_007_425),
    ]

    /// The (market, `ev`) pairs provider-protocol.md §3.1 documents; launchpad is keyed `nil`.
    static let documented: [(market: Market?, channels: [FeedChannel])] = [
        (.stocks, [.T, .Q, .A, .AM, .LULD, .NOI, .FMV]),
        (.options, [.T, .Q, .A, .AM, .FMV]),
        (.forex, [.C, .CA, .CAS]),
        (.crypto, [.XT, .XQ, .XA, .XAS, .XL2]),
        (.indices, [.V, .A, .AM]),
        (.futures, [.T, .Q, .A, .AM]),
        (nil, [.AM, .LV]),
    ]

    /// A fixture file's bytes and, per line, the exact bytes of its event object, cut out by text
    /// (independently of the decoder): the line without the frame's `[`, the separating `,` or the closing `]`.
    struct Fixture {
        var frame: [UInt8]
        var objects: [[UInt8]]
    }

    static func fixture(_ file: String) throws -> Fixture {
        let url = URL(fileURLWithPath: directory).appendingPathComponent(file + ".json")
        let frame = Array(try Data(contentsOf: url))
        let lines = frame.split(separator: UInt8(ascii: "\n")).map(Array.init)
        let objects = lines.enumerated().map { index, line -> [UInt8] in
            var object = line[...]
            if index == 0, object.first == UInt8(ascii: "[") { object = object.dropFirst() }
            if let last = object.last, last == UInt8(ascii: ",") || (index == lines.count - 1 && last == UInt8(ascii: "]")) {
                object = object.dropLast()
            }
            return Array(object)
        }
        return Fixture(frame: frame, objects: objects)
    }

    static func decode(_ bytes: [UInt8], market: Market, symbols: SymbolTable) -> (records: [EventRecord], error: FrameError?) {
        var decoder = FrameDecoder(market: market, symbols: symbols)
        var records: [EventRecord] = []
        var statuses: [ProviderStatus] = []
        var buffer = ByteBuffer()
        buffer.writeBytes(bytes)
        let error = decoder.decode(buffer, into: &records, statuses: &statuses)
        #expect(statuses.isEmpty)
        return (records, error)
    }

    /// Asserts every field the decoder extracts, against the example's expectations.
    static func expect(
        _ record: EventRecord, in frame: [UInt8], matches example: Example, object: [UInt8], symbols: SymbolTable,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(record.channel == example.channel, sourceLocation: sourceLocation)
        #expect(record.invalidReason == 0, sourceLocation: sourceLocation)
        #expect(symbols.name(record.symbol) == example.symbol, sourceLocation: sourceLocation)
        #expect(record.symbol == symbols.lookup(example.symbol), sourceLocation: sourceLocation)
        if let sequence = example.sequence {
            #expect(record.flags & EventRecord.Flags.hasSequence != 0, sourceLocation: sourceLocation)
            #expect(record.sequence == sequence, sourceLocation: sourceLocation)
        } else {
            #expect(record.flags & EventRecord.Flags.hasSequence == 0, "no sequence expected", sourceLocation: sourceLocation)
            #expect(record.sequence == 0, sourceLocation: sourceLocation)
        }
        #expect(record.flags & EventRecord.Flags.hasTimestamp != 0, sourceLocation: sourceLocation)
        #expect(record.timestamp == example.timestamp, sourceLocation: sourceLocation)
        #expect(TimestampUnit.milliseconds(record.timestamp) == example.milliseconds, sourceLocation: sourceLocation)
        #expect(Array(frame[record.byteRange]) == object, "the event's bytes are the input object's bytes", sourceLocation: sourceLocation)
    }

    // MARK: Coverage of the corpus

    @Test func everyDocumentedMarketEventHasAnExample() {
        for (market, channels) in Self.documented {
            for channel in channels {
                let found = Self.examples.contains { example in
                    example.channel == channel && (market.map { example.market == $0 && example.file != "launchpad" } ?? (example.file == "launchpad"))
                }
                #expect(found, "no golden example for \(market?.rawValue ?? "launchpad") \(channel.code)")
            }
        }
    }

    @Test(arguments: ["stocks", "options", "forex", "crypto", "indices", "futures", "launchpad"])
    func everyFixtureLineHasAnExpectationAndIsOneValidJSONObject(file: String) throws {
        let fixture = try Self.fixture(file)
        let expected = Self.examples.filter { $0.file == file }
        #expect(fixture.objects.count == expected.count)
        #expect(expected.map(\.index) == Array(0..<expected.count))
        // Foundation, not the decoder, confirms the corpus is well-formed JSON of the documented `ev`s.
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(fixture.frame)) as? [[String: Any]])
        #expect(parsed.map { $0["ev"] as? String } == expected.map(\.channel.code))
        for object in fixture.objects {
            #expect((try? JSONSerialization.jsonObject(with: Data(object))) is [String: Any])
        }
    }

    // MARK: Field by field

    /// Each example alone as a one-event frame, on its market's connection.
    @Test(arguments: examples)
    func eachExampleDecodesFieldByField(example: Example) throws {
        let symbols = SymbolTable()
        let object = try Self.fixture(example.file).objects[example.index]
        let frame = Array("[".utf8) + object + Array("]".utf8)
        let (records, error) = Self.decode(frame, market: example.market, symbols: symbols)
        #expect(error == nil)
        try #require(records.count == 1)
        #expect(records[0].start == 1 && Int(records[0].length) == object.count)
        Self.expect(records[0], in: frame, matches: example, object: object, symbols: symbols)
    }

    /// Each fixture file as the single multi-event frame it is: offsets land on each line's object.
    @Test(arguments: ["stocks", "options", "forex", "crypto", "indices", "futures", "launchpad"])
    func eachFixtureDecodesAsOneFrame(file: String) throws {
        let symbols = SymbolTable()
        let fixture = try Self.fixture(file)
        let expected = Self.examples.filter { $0.file == file }
        let market = try #require(expected.first?.market)
        let (records, error) = Self.decode(fixture.frame, market: market, symbols: symbols)
        #expect(error == nil)
        try #require(records.count == expected.count)
        for (record, example) in zip(records, expected) {
            Self.expect(record, in: fixture.frame, matches: example, object: fixture.objects[example.index], symbols: symbols)
        }
    }

    // MARK: The same `ev` per market

    /// Every example on every market's connection: a channel the market has decodes as in the
    /// example (the field choice depends on the channel within the market); one it does not have
    /// passes through raw as an unknown channel with nothing extracted.
    @Test(arguments: Market.allCases)
    func examplesOnEveryMarketDecodeOrPassThroughAsUnknown(market: Market) throws {
        let symbols = SymbolTable()
        for example in Self.examples {
            let object = try Self.fixture(example.file).objects[example.index]
            let frame = Array("[".utf8) + object + Array("]".utf8)
            let (records, error) = Self.decode(frame, market: market, symbols: symbols)
            #expect(error == nil)
            guard let record = records.first, records.count == 1 else {
                Issue.record("\(example.testDescription) on \(market): \(records.count) records")
                continue
            }
            if market.allChannels.contains(example.channel) {
                var onThisMarket = example
                onThisMarket.market = market
                Self.expect(record, in: frame, matches: onThisMarket, object: object, symbols: symbols)
            } else {
                #expect(record.channelCode == EventRecord.unknownChannel, "\(example.testDescription) on \(market)")
                #expect(record.symbol == SymbolTable.none && record.flags == 0 && record.invalidReason == 0)
                #expect(Array(frame[record.byteRange]) == object)
            }
        }
    }

    @Test func evCodesAreReadWithinTheConnectionsMarket() throws {
        let symbols = SymbolTable()
        func single(_ file: String, _ index: Int, on market: Market) throws -> EventRecord {
            let object = try Self.fixture(file).objects[index]
            let records = Self.decode(Array("[".utf8) + object + Array("]".utf8), market: market, symbols: symbols).records
            return try #require(records.first)
        }
        // AM on a forex connection is the launchpad bar (`sym`, `s`); the forex minute bar is CA (`pair`, `s`).
        let launchpadBar = try single("launchpad", 0, on: .forex)
        #expect(launchpadBar.channel == .AM && symbols.name(launchpadBar.symbol) == "X:BTC-USD")
        let forexBar = try single("forex", 2, on: .forex)
        #expect(forexBar.channel == .CA && symbols.name(forexBar.symbol) == "USD/EUR")
        #expect(try single("forex", 2, on: .stocks).channelCode == EventRecord.unknownChannel)
        // T is an equity trade on stocks and a futures trade on futures: both read `sym` and `q`.
        let futuresTrade = try single("futures", 0, on: .futures)
        #expect(futuresTrade.channel == .T && symbols.name(futuresTrade.symbol) == "ESZ6" && futuresTrade.sequence == 1_234_567)
        #expect(try single("futures", 0, on: .forex).channelCode == EventRecord.unknownChannel)
        #expect(try single("futures", 0, on: .crypto).channelCode == EventRecord.unknownChannel)
        // Crypto, forex and index codes are unknown on stocks; stock-only codes are unknown elsewhere.
        #expect(try single("crypto", 0, on: .stocks).channelCode == EventRecord.unknownChannel)
        #expect(try single("forex", 0, on: .crypto).channelCode == EventRecord.unknownChannel)
        #expect(try single("indices", 0, on: .stocks).channelCode == EventRecord.unknownChannel)
        #expect(try single("stocks", 4, on: .indices).channelCode == EventRecord.unknownChannel)
        #expect(try single("stocks", 5, on: .options).channelCode == EventRecord.unknownChannel)
        // FMV and LV exist only where the business / launchpad hosts serve the market.
        #expect(try single("crypto", 6, on: .indices).channelCode == EventRecord.unknownChannel)
        #expect(try single("launchpad", 1, on: .futures).channelCode == EventRecord.unknownChannel)
    }
}
