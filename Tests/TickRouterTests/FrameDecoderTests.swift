import NIOCore
import TickRouter
import TickRouterConfig
import Testing

@Suite("Frame decoder")
struct FrameDecoderTests {
    let symbols = SymbolTable()

    func decode(_ text: String, market: Market = .stocks) -> (records: [EventRecord], statuses: [ProviderStatus], error: FrameError?) {
        var decoder = FrameDecoder(market: market, symbols: symbols)
        var records: [EventRecord] = []
        var statuses: [ProviderStatus] = []
        let error = decoder.decode(ByteBuffer(string: text), into: &records, statuses: &statuses)
        return (records, statuses, error)
    }

    func slice(_ text: String, _ record: EventRecord) -> String {
        let bytes = Array(text.utf8)
        return String(decoding: bytes[record.byteRange], as: UTF8.self)
    }

    @Test func stockTradeAndQuoteKeepTheirOriginalBytes() {
        let frame = #"[{"ev":"T","sym":"AAPL","i":"52983525029461","x":4,"p":114.125,"s":100,"c":[14,41],"t":1536036818784,"q":3681328,"z":3},"#
            + #" {"ev":"Q","sym":"MSFT","bx":4,"bp":114.125,"bs":100,"ax":7,"ap":114.128,"as":160,"c":0,"i":[604],"t":1536036818784,"q":50385480,"z":3}]"#
        let (records, statuses, error) = decode(frame)
        #expect(error == nil)
        #expect(statuses.isEmpty)
        #expect(records.count == 2)
        #expect(records[0].channel == .T)
        #expect(symbols.name(records[0].symbol) == "AAPL")
        #expect(records[0].sequence == 3_681_328)
        #expect(records[0].timestamp == 1_536_036_818_784)
        #expect(slice(frame, records[0]).hasPrefix(#"{"ev":"T""#) && slice(frame, records[0]).hasSuffix(#""z":3}"#))
        #expect(records[1].channel == .Q)
        #expect(symbols.name(records[1].symbol) == "MSFT")
        #expect(records[1].sequence == 50_385_480)
        #expect(slice(frame, records[1]).hasPrefix(#"{"ev":"Q""#))
    }

    @Test func eachStockChannelReadsItsOwnSymbolSequenceAndTimeFields() {
        let frame = """
            [{"ev":"AM","sym":"GTE","v":4110,"av":9470157,"op":0.4372,"vw":0.4488,"o":0.4488,"c":0.4486,"h":0.4489,"l":0.4486,"a":0.4352,"z":685,"s":1610144640000,"e":1610144700000,"q":9},
             {"ev":"A","sym":"SPCE","v":200,"av":8642007,"op":25.66,"vw":25.3981,"o":25.39,"c":25.39,"h":25.39,"l":25.39,"a":25.3714,"z":50,"s":1610144868000,"e":1610144869000},
             {"ev":"LULD","T":"MSFT","h":218.96,"l":198.11,"i":[21],"z":3,"t":1601316752683746,"q":290317},
             {"ev":"NOI","T":"NTEST.Q","t":1601318039223013600,"at":930,"a":"M","i":44,"x":10,"o":4,"p":0,"b":0},
             {"ev":"FMV","fmv":189.22,"sym":"AAPL","t":1678220098130}]
            """
        let (records, _, error) = decode(frame)
        #expect(error == nil)
        #expect(records.map(\.channel) == [.AM, .A, .LULD, .NOI, .FMV])
        #expect(records.map { symbols.name($0.symbol) } == ["GTE", "SPCE", "MSFT", "NTEST.Q", "AAPL"])
        #expect(records[0].timestamp == 1_610_144_640_000)  // bars: window start `s`
        #expect(records[0].sequence == 9)
        #expect(records[1].flags & EventRecord.Flags.hasSequence == 0)
        #expect(records[2].sequence == 290_317 && records[2].timestamp == 1_601_316_752_683_746)
        #expect(records[3].sequence == 44)  // NOI: `i` is the symbol sequence
        #expect(records[4].timestamp == 1_678_220_098_130)
        #expect(records.allSatisfy { $0.invalidReason == 0 })
    }

    @Test func theSameEvCodeMeansDifferentThingsPerMarket() {
        let forex = decode(#"[{"ev":"C","p":"USD/CNH","x":"44","a":6.83366,"b":6.83363,"t":1536036818784}]"#, market: .forex)
        #expect(forex.records.first?.channel == .C)
        #expect(forex.records.first.map { symbols.name($0.symbol) } == "USD/CNH")
        let crypto = decode(#"[{"ev":"XT","pair":"BTC-USD","p":33021.9,"t":1610462007425,"s":0.01,"c":[2],"i":"14272084","x":1,"r":1610462007576}]"#, market: .crypto)
        #expect(crypto.records.first.map { symbols.name($0.symbol) } == "BTC-USD")
        // `C` is not a stocks channel: passed through as unknown, not misread.
        let onStocks = decode(#"[{"ev":"C","p":"USD/CNH","t":1}]"#)
        #expect(onStocks.records.first?.channelCode == EventRecord.unknownChannel)
        let index = decode(#"[{"ev":"V","val":3988.5,"T":"I:SPX","t":1678220098130}]"#, market: .indices)
        #expect(index.records.first.map { symbols.name($0.symbol) } == "I:SPX")
    }

    @Test func statusMessagesAreSeparatedFromEvents() {
        let (records, statuses, error) = decode(
            #"[{"ev":"status","status":"connected","message":"Connected Successfully"},{"ev":"T","sym":"A","q":1,"t":2}]"#
        )
        #expect(error == nil)
        #expect(statuses == [ProviderStatus(status: "connected", message: "Connected Successfully")])
        #expect(records.count == 1)
    }

    @Test func unknownEventTypesPassThroughAndBadFieldsAreFlagged() {
        let (records, _, error) = decode(#"[{"ev":"ZZ","sym":"A"},{"ev":"T","p":1},{"ev":"T","sym":7},{"ev":"T","sym":"A","q":"x"},{"sym":"A"}]"#)
        #expect(error == nil)
        #expect(records.count == 5)
        #expect(records[0].channelCode == EventRecord.unknownChannel && records[0].invalidReason == 0)
        #expect(records[1].invalidReason == InvalidReason.missingSymbol.rawValue)
        #expect(records[2].invalidReason == InvalidReason.badSymbolType.rawValue)
        #expect(records[3].invalidReason == InvalidReason.badSequence.rawValue)
        #expect(records[4].invalidReason == InvalidReason.missingEventType.rawValue)
    }

    @Test func escapedSymbolsAreDecodedBeforeInterning() {
        let (records, _, error) = decode(#"[{"ev":"T","sym":"BRK\/A","q":1},{"ev":"T","sym":"\u0041APL","q":2}]"#)
        #expect(error == nil)
        #expect(symbols.name(records[0].symbol) == "BRK/A")
        #expect(symbols.name(records[1].symbol) == "AAPL")
        #expect(records[1].symbol == symbols.intern("AAPL"))
    }

    @Test(arguments: [
        ("", FrameError.Reason.notAnArray),
        ("{}", .notAnArray),
        ("[", .unexpectedEnd),
        ("[{\"ev\":\"T\"", .unexpectedEnd),
        ("[{\"ev\":\"T\",}]", .unexpectedByte),
        ("[{\"ev\":\"T\"}]x", .trailingData),
        ("[1]", .elementNotObject),
        ("[{\"ev\":tru}]", .invalidLiteral),
        ("[{\"q\":01}]", .unexpectedByte),
        ("[{\"q\":1.}]", .invalidNumber),
        ("[{\"ev\":\"a\u{01}\"}]", .invalidString),
        ("[{\"ev\":\"\\x\"}]", .invalidString),
    ])
    func malformedFramesFailWithAReasonAndLeaveNoRecords(text: String, reason: FrameError.Reason) {
        let (records, _, error) = decode(text)
        #expect(error?.reason == reason)
        #expect(records.isEmpty)
    }

    @Test func invalidUTF8IsRejected() {
        var decoder = FrameDecoder(market: .stocks, symbols: symbols)
        var buffer = ByteBuffer(string: #"[{"ev":"T","sym":""#)
        buffer.writeBytes([0xC3, 0x28])
        buffer.writeString(#""}]"#)
        var records: [EventRecord] = []
        var statuses: [ProviderStatus] = []
        #expect(decoder.decode(buffer, into: &records, statuses: &statuses)?.reason == .invalidUTF8)
    }

    @Test func interningIsStableAcrossDecoders() {
        var first = FrameDecoder(market: .stocks, symbols: symbols)
        var second = FrameDecoder(market: .stocks, symbols: symbols)
        var a: [EventRecord] = []
        var b: [EventRecord] = []
        var statuses: [ProviderStatus] = []
        _ = first.decode(ByteBuffer(string: #"[{"ev":"T","sym":"O:SPY241220P00720000"}]"#), into: &a, statuses: &statuses)
        _ = second.decode(ByteBuffer(string: #"[{"ev":"Q","sym":"O:SPY241220P00720000"}]"#), into: &b, statuses: &statuses)
        #expect(a[0].symbol == b[0].symbol)
        #expect(symbols.name(a[0].symbol) == "O:SPY241220P00720000")
    }
}
