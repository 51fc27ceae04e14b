import Foundation
import Testing

@testable import TickRouterSimulator

@Suite("Hand-written rendering")
struct RenderingTests {
    private func text(_ build: (inout ByteWriter) -> Void) -> String {
        var writer = ByteWriter()
        build(&writer)
        return String(decoding: writer.bytes, as: UTF8.self)
    }

    @Test func numbers() {
        #expect(text { $0.appendUInt(0) } == "0")
        #expect(text { $0.appendUInt(UInt64.max) } == "18446744073709551615")
        #expect(text { $0.appendInt(-42) } == "-42")
        #expect(text { $0.appendFixed(123_456, decimals: 4) } == "12.3456")
        #expect(text { $0.appendFixed(-5, decimals: 2) } == "-0.05")
        #expect(text { $0.appendFixed(100, decimals: 2) } == "1.00")
        #expect(text { $0.appendFixed(7, decimals: 0) } == "7")
    }

    @Test func strings() {
        #expect(text { $0.appendJSONString("BRK.A") } == #""BRK.A""#)
        #expect(text { $0.appendJSONString("a\"b\\c\n\u{1}") } == #""a\"b\\c\n\u0001""#)
    }

    @Test func everyGeneratedEventIsValidJSONWithProviderFields() throws {
        let table = SymbolTable(symbols: ["AAPL", "BRK.A", "X\"Y"])
        var generator = MarketGenerator(seed: 7)
        generator.sync(with: table)
        var batch = EventBatch()
        generator.emit(count: 5_000, fmvCount: 200, nowNanos: 1_763_000_000_123_456_789, into: &batch)
        #expect(batch.events.count == 5_200)
        let expected: [String: Set<String>] = [
            "T": ["ev", "sym", "i", "x", "p", "s", "c", "t", "q", "z"],
            "Q": ["ev", "sym", "bx", "bp", "bs", "ax", "ap", "as", "c", "i", "t", "q", "z"],
            "A": ["ev", "sym", "v", "av", "op", "vw", "o", "c", "h", "l", "a", "z", "s", "e", "q"],
            "AM": ["ev", "sym", "v", "av", "op", "vw", "o", "c", "h", "l", "a", "z", "s", "e", "q"],
            "LULD": ["ev", "T", "h", "l", "i", "z", "t", "q"],
            "NOI": ["ev", "T", "t", "at", "a", "i", "x", "o", "p", "b"],
            "FMV": ["ev", "fmv", "sym", "t", "q"],
        ]
        var seen = Set<String>()
        for ref in batch.events {
            let bytes = batch.writer.bytes[Int(ref.start)..<Int(ref.start + ref.length)]
            let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
            let ev = try #require(object["ev"] as? String)
            seen.insert(ev)
            var keys = Set(object.keys)
            if ev == "T" { keys.insert("c") }  // trade conditions are optional, like the provider's
            #expect(keys == expected[ev], "\(ev) fields \(keys.sorted())")
            switch ev {
            case "T": #expect(object["t"] as? Int == 1_763_000_000_123)
            case "LULD": #expect(String(object["t"] as? Int ?? 0).count == 16)
            case "NOI", "FMV": #expect(String(object["t"] as? Int ?? 0).count == 19)
            default: break
            }
        }
        #expect(seen == Set(expected.keys))
    }

    @Test func subscriptionSetMatching() {
        var set = SubscriptionSet()
        #expect(set.isEmpty)
        set.add(.T, symbol: 130)
        #expect(set.matches(channel: SimChannel.T.rawValue, symbol: 130))
        #expect(!set.matches(channel: SimChannel.T.rawValue, symbol: 131))
        #expect(!set.matches(channel: SimChannel.Q.rawValue, symbol: 130))
        #expect(!set.matches(channel: SimChannel.T.rawValue, symbol: 10_000))
        set.addWildcard(.Q)
        #expect(set.matches(channel: SimChannel.Q.rawValue, symbol: 99_999))
        set.remove(.T, symbol: 130)
        set.removeWildcard(.Q)
        #expect(set.isEmpty)
    }

    @Test func subscribeItemsSplitOnFirstDotAndTrim() {
        let items = ClientAction.items(" T.BRK.A, Q.*,,AM.AAPL ,LULD")
        #expect(items.map(\.item) == ["T.BRK.A", "Q.*", "AM.AAPL", "LULD"])
        #expect(items.map { String($0.prefix) } == ["T", "Q", "AM", "LULD"])
        #expect(items.map { $0.symbol.map(String.init) } == ["BRK.A", "*", "AAPL", nil])
    }
}
