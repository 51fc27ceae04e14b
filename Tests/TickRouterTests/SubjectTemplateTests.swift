import TickRouterPlugins
import Testing

/// The `nats` sink's subject templates and symbol escaping (pure Swift: runs without the NATS trait).
@Suite("NATS subjects")
struct SubjectTemplateTests {
    @Test func theDefaultTemplateGivesOneTokenPerPart() throws {
        let template = try SubjectTemplate(parsing: SubjectTemplate.defaultText)
        #expect(template.subject(market: "stocks", channel: "T", symbol: "AAPL") == "md.stocks.T.AAPL")
        #expect(template.subject(market: "stocks", channel: "T", symbol: "BRK.B") == "md.stocks.T.BRK%2EB")
        #expect(template.wildcardSubject(market: "stocks") == "md.stocks.*.*")
        #expect(template.containsSymbol)
    }

    @Test(arguments: [
        ("BRK.B", "BRK%2EB"), ("EUR/USD", "EUR%2FUSD"), ("A B", "A%20B"), ("X*", "X%2A"), (">", "%3E"), ("50%", "50%25"),
        ("O:AAPL250117C00150000", "O:AAPL250117C00150000"), ("X:BTC-USD", "X:BTC-USD"), ("I:SPX", "I:SPX"), ("é", "%C3%A9"),
    ])
    func symbolsAreEscapedReversibly(symbol: String, token: String) {
        #expect(SubjectEscaping.escape(symbol) == token)
        #expect(SubjectEscaping.unescape(token) == symbol)
        #expect(!token.contains(".") && !token.contains(" ") && !token.contains("*") && !token.contains(">"))
    }

    @Test func everyByteRoundTrips() {
        let bytes = (1...255).map { UInt8($0) }
        let symbol = String(decoding: bytes.filter { $0 < 0x80 }, as: UTF8.self)
        #expect(SubjectEscaping.unescape(SubjectEscaping.escape(symbol)) == symbol)
        #expect(SubjectEscaping.unescape("BAD%2") == nil)
        #expect(SubjectEscaping.unescape("BAD%ZZ") == nil)
    }

    @Test(arguments: [
        "md.{market}.{channel}.{sym}", "md.{market", "md.}", "md..{symbol}", ".md.{symbol}", "md.{symbol}.", "md.*.{symbol}",
        "md.>", "md {symbol}", "",
    ])
    func badTemplatesAreRejected(text: String) {
        #expect(throws: SubjectTemplate.Problem.self) { try SubjectTemplate(parsing: text) }
    }

    @Test func templatesWithoutSymbolOrWithMixedTokens() throws {
        let perChannel = try SubjectTemplate(parsing: "feed.{market}-{channel}")
        #expect(!perChannel.containsSymbol)
        #expect(perChannel.subject(market: "crypto", channel: "XT", symbol: "X:BTC-USD") == "feed.crypto-XT")
        #expect(perChannel.wildcardSubject(market: "crypto") == "feed.*")
        let mixed = try SubjectTemplate(parsing: "{market}.{symbol}.{channel}")
        #expect(mixed.wildcardSubject(market: "forex") == "forex.*.*")
    }
}
