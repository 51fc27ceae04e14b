import TickRouter
import TickRouterConfig

/// libFuzzer entry: one client action line (Unix socket or WebSocket sink). Parsed, and when it
/// parses, split into topics for every market with a fresh symbol table. Checks the contract:
/// lines over the limit are refused, topics are channels of the market, and every item is either
/// a topic or an error.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzClientAction(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let line = UnsafeBufferPointer(start: data, count: size)
    switch ClientAction.parse(line) {
    case .failure(let error):
        precondition(!error.message.isEmpty, "a refusal without a message")
    case .success(let action):
        precondition(size <= ClientAction.maxLineBytes, "a line over the limit was accepted")
        for market in Market.allCases {
            let symbols = SymbolTable()
            let (topics, errors) = action.topics(market: market, symbols: symbols)
            let channels = Set(market.allChannels)
            precondition(topics.allSatisfy { channels.contains($0.channel) }, "a topic outside the market")
            precondition(topics.allSatisfy { $0.symbol == nil || symbols.name($0.symbol!).utf8.count <= FrameDecoder.maxSymbolLength }, "a symbol over the limit")
            let items = action.params.split(separator: ",").filter { !$0.allSatisfy { $0 == " " || $0 == "\t" } }
            precondition(topics.count + errors.count == items.count, "an item neither subscribed nor refused")
        }
    }
    return 0
}
