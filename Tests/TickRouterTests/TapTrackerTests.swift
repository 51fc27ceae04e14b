@testable import TickRouterCLI
import TickRouter
import TickRouterConfig
import Testing

@Suite("tap sequence tracking")
struct TapTrackerTests {
    /// Lines in the provider's shape and in others, with gaps: the fast field locator and the full
    /// decoder must count the same events, gaps and missing sequence numbers.
    @Test func locatingFieldsCountsLikeDecodingTheLines() {
        var lines: [String] = []
        var random = SplitMix64(seed: 42)
        var next: [String: Int] = [:]
        let symbols = ["AAPL", "MSFT", "BRK.A", "X", "SYM0001", "SYM0002"]
        for index in 0..<5000 {
            let symbol = symbols[Int(random.next() % UInt64(symbols.count))]
            let trade = random.next() % 2 == 0
            let key = (trade ? "T." : "Q.") + symbol
            var q = next[key, default: 1]
            if random.next() % 97 == 0 { q += 1 + Int(random.next() % 5) }  // a gap
            next[key] = q + 1
            switch index % 7 {
            case 0: lines.append(#"{"sym":"\#(symbol)","ev":"\#(trade ? "T" : "Q")","q":\#(q),"t":1}"#)  // other key order
            case 1: lines.append(#"{"ev":"\#(trade ? "T" : "Q")","sym":"\#(symbol)","q":\#(q)}"#)  // q last
            case 2: lines.append(#"{"ev":"status","status":"gap","message":"x"}"#)
            case 3: lines.append(#"{"ev":"AM","sym":"\#(symbol)","s":1,"q":\#(q)}"#)
            default:
                lines.append(
                    trade
                        ? #"{"ev":"T","sym":"\#(symbol)","i":"9","x":4,"p":1.5,"s":100,"c":[14,41],"t":1795315804049,"q":\#(q),"z":3}"#
                        : #"{"ev":"Q","sym":"\#(symbol)","bx":4,"bp":1.5,"bs":2,"ax":7,"ap":1.6,"as":3,"c":0,"i":[604],"t":1795315804049,"q":\#(q),"z":3}"#
                )
            }
        }
        var fast = SequenceTracker(market: .stocks)
        fast.locatesOnly = true
        var full = SequenceTracker(market: .stocks)
        let buffer = Array(lines.joined(separator: "\n").utf8) + [0x0A]
        buffer.withUnsafeBytes { bytes in
            var start = 0
            for index in bytes.indices where bytes[index] == 0x0A {
                #expect(fast.consume(bytes, line: start..<index) == full.consume(bytes, line: start..<index))
                start = index + 1
            }
        }
        #expect(fast.summary == full.summary)
        #expect(fast.locatedLines > 2000, "the provider-shaped lines took the fast way")
        #expect(full.locatedLines == 0)
        #expect(full.summary.gaps > 10, "the lines have gaps to find")
        #expect(full.summary.events > 3000)
    }
}
