import Foundation
import NIOCore
import TickRouter
import TickRouterConfig
import Testing

/// Compares the hand-written scanner with `JSONSerialization` on generated frames and on random
/// mutations of them: every field the router reads must agree, or both must reject the frame.
@Suite("Decoder agrees with JSONSerialization")
struct DecoderPropertyTests {
    /// What the reference reading of a frame yields per event.
    struct Expected: Equatable, CustomStringConvertible {
        var channelCode: UInt8
        var symbol: String
        var sequence: Int64?
        var timestamp: Int64?
        var invalid: Bool
        var description: String { "ch=\(channelCode) sym=\(symbol) q=\(sequence.map(String.init) ?? "-") t=\(timestamp.map(String.init) ?? "-") invalid=\(invalid)" }
    }

    static func reference(_ bytes: [UInt8], market: Market) -> [Expected]? {
        // swift-foundation's JSONSerialization accepts a trailing comma (`[1,]`, `{"a":1,}`),
        // which RFC 8259 — and the scanner — reject; the reference rejects it too.
        guard !hasTrailingComma(bytes) else { return nil }
        guard let array = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [Any] else { return nil }
        var result: [Expected] = []
        for element in array {
            guard let object = element as? [String: Any] else { return nil }
            guard let ev = object["ev"] as? String else {
                result.append(Expected(channelCode: EventRecord.unknownChannel, symbol: "", sequence: nil, timestamp: nil, invalid: true))
                continue
            }
            if ev == "status" { continue }
            guard let channel = FeedChannel(code: ev), market.allChannels.contains(channel) else {
                result.append(Expected(channelCode: EventRecord.unknownChannel, symbol: "", sequence: nil, timestamp: nil, invalid: false))
                continue
            }
            let symbolKey: String
            var sequenceKey: String? = "q"
            var timeKey = "t"
            switch channel {
            case .T, .Q, .FMV, .LV: symbolKey = "sym"
            case .A, .AM: symbolKey = "sym"; timeKey = "s"
            case .LULD, .V: symbolKey = "T"
            case .NOI: symbolKey = "T"; sequenceKey = "i"
            case .C: symbolKey = "p"; sequenceKey = nil
            case .XT, .XQ, .XL2: symbolKey = "pair"; sequenceKey = nil
            case .CA, .CAS, .XA, .XAS: symbolKey = "pair"; sequenceKey = nil; timeKey = "s"
            }
            var expected = Expected(channelCode: channel.rawValue, symbol: "", sequence: nil, timestamp: nil, invalid: false)
            switch object[symbolKey] {
            case nil: expected.invalid = true
            case let text as String where !text.isEmpty && text.utf8.count <= FrameDecoder.maxSymbolLength: expected.symbol = text
            default: expected.invalid = true
            }
            if let key = sequenceKey, let value = object[key] {
                if let integer = integerValue(value) { expected.sequence = integer } else { expected.invalid = true }
            }
            if let value = object[timeKey] {
                if let integer = integerValue(value) { expected.timestamp = integer } else { expected.invalid = true }
            }
            if expected.invalid { expected.symbol = ""; expected.sequence = nil; expected.timestamp = nil }
            result.append(expected)
        }
        return result
    }

    /// Whether a `,` outside strings is followed (after whitespace) by `]` or `}`.
    static func hasTrailingComma(_ bytes: [UInt8]) -> Bool {
        var inString = false
        var escaped = false
        var afterComma = false
        for byte in bytes {
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true; afterComma = false
            case UInt8(ascii: ","): afterComma = true
            case UInt8(ascii: "]"), UInt8(ascii: "}"): if afterComma { return true }
            case 0x20, 0x09, 0x0A, 0x0D: break
            default: afterComma = false
            }
        }
        return false
    }

    /// An integer written without fraction or exponent that fits in Int64.
    static func integerValue(_ value: Any) -> Int64? {
        guard let number = value as? NSNumber, !(value is Bool) else { return nil }
        let type = String(cString: number.objCType)
        guard ["q", "l", "i", "s", "Q", "L", "I", "S"].contains(type) else { return nil }
        if type == "Q" || type == "L", number.uint64Value > UInt64(Int64.max) { return nil }
        return number.int64Value
    }

    static func scanner(_ bytes: [UInt8], market: Market, symbols: SymbolTable) -> [Expected]? {
        var decoder = FrameDecoder(market: market, symbols: symbols)
        return scanner(bytes, decoder: &decoder, symbols: symbols)
    }

    /// The scanner's answer from a decoder that has seen other frames (its key predictions warm).
    static func scanner(_ bytes: [UInt8], decoder: inout FrameDecoder, symbols: SymbolTable) -> [Expected]? {
        var records: [EventRecord] = []
        var statuses: [ProviderStatus] = []
        var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        guard decoder.decode(buffer, into: &records, statuses: &statuses) == nil else { return nil }
        return records.map { record in
            let invalid = record.invalidReason != 0
            return Expected(
                channelCode: record.channelCode, symbol: invalid ? "" : symbols.name(record.symbol),
                sequence: invalid || record.flags & EventRecord.Flags.hasSequence == 0 ? nil : record.sequence,
                timestamp: invalid || record.flags & EventRecord.Flags.hasTimestamp == 0 ? nil : record.timestamp, invalid: invalid
            )
        }
    }

    @Test func generatedAndMutatedFramesAgree() throws {
        var random = SeededRandom(seed: 20_261_122)
        let symbols = SymbolTable()
        var compared = 0
        var rejectedByBoth = 0
        for _ in 0..<3000 {
            let frame = FrameGenerator.frame(using: &random)
            var variants = [frame]
            for _ in 0..<4 { variants.append(FrameGenerator.mutate(frame, using: &random)) }
            for bytes in variants {
                let expected = Self.reference(bytes, market: .stocks)
                let actual = Self.scanner(bytes, market: .stocks, symbols: symbols)
                #expect(expected == actual, "disagreement on \(String(decoding: bytes, as: UTF8.self))")
                if expected == nil && actual == nil { rejectedByBoth += 1 }
                compared += 1
            }
        }
        // The property only means something if both outcomes were exercised.
        #expect(rejectedByBoth > 1000)
        #expect(compared - rejectedByBoth > 3000)
    }
}

extension DecoderPropertyTests {
    /// One decoder for every frame, events of each kind with their keys in one order, so the
    /// decoder predicts the keys (``KeyMemo``) and the mutations land on predicted keys too.
    @Test func framesOfOneShapeAndTheirMutationsAgreeThroughOneDecoder() throws {
        var random = SeededRandom(seed: 20_261_203)
        let symbols = SymbolTable()
        var decoder = FrameDecoder(market: .stocks, symbols: symbols)
        var compared = 0
        var rejectedByBoth = 0
        for _ in 0..<3000 {
            let frame = FrameGenerator.frame(using: &random, shuffled: false)
            var variants = [frame, frame]
            for _ in 0..<3 { variants.append(FrameGenerator.mutate(frame, using: &random)) }
            for bytes in variants {
                let expected = Self.reference(bytes, market: .stocks)
                let actual = Self.scanner(bytes, decoder: &decoder, symbols: symbols)
                #expect(expected == actual, "disagreement on \(String(decoding: bytes, as: UTF8.self))")
                if expected == nil && actual == nil { rejectedByBoth += 1 }
                compared += 1
            }
        }
        #expect(rejectedByBoth > 1000)
        #expect(compared - rejectedByBoth > 6000)
    }

    /// The frame's last object is decoded from a zero-padded copy (``PaddedTail``): frames cut at
    /// each of their last 48 bytes, and frames whose last 48 bytes are mutated (NUL bytes
    /// included, which is what the padding is made of), agree with JSONSerialization.
    @Test func theLastObjectOfAFrameAndItsMutationsAgree() throws {
        var random = SeededRandom(seed: 20_261_204)
        let symbols = SymbolTable()
        var decoder = FrameDecoder(market: .stocks, symbols: symbols)
        var compared = 0
        var rejectedByBoth = 0
        func compare(_ bytes: [UInt8]) {
            let expected = Self.reference(bytes, market: .stocks)
            let actual = Self.scanner(bytes, decoder: &decoder, symbols: symbols)
            #expect(expected == actual, "disagreement on \(String(decoding: bytes, as: UTF8.self))")
            if expected == nil && actual == nil { rejectedByBoth += 1 }
            compared += 1
        }
        for round in 0..<300 {
            let frame = FrameGenerator.frame(using: &random, shuffled: round % 2 == 0)
            compare(frame)
            let tail = max(1, frame.count - 48)
            for cut in tail..<frame.count { compare(Array(frame[..<cut])) }
            for _ in 0..<10 {
                var bytes = frame
                let position = Int.random(in: tail..<bytes.count, using: &random)
                let byte: UInt8 = [0, UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: ","), UInt8(ascii: "1"), UInt8(ascii: " ")]
                    .randomElement(using: &random)!
                if Bool.random(using: &random) { bytes[position] = byte } else { bytes.insert(byte, at: position) }
                compare(bytes)
            }
        }
        #expect(rejectedByBoth > 5000)
        #expect(compared - rejectedByBoth > 600)
    }

    /// A line decoded inside a larger buffer (what `tap` does) reads exactly as the line alone.
    @Test func aLineInsideABufferDecodesLikeTheLineAlone() throws {
        var random = SeededRandom(seed: 20_261_201)
        let symbols = SymbolTable()
        var decoder = FrameDecoder(market: .stocks, symbols: symbols)
        var accepted = 0
        for _ in 0..<4000 {
            var line = Array(FrameGenerator.event(using: &random).utf8)
            if Bool.random(using: &random) { line = FrameGenerator.mutate(line, using: &random) }
            line.removeAll { $0 == 0x0A }
            let before = Array(#"{"ev":"T","sym":"A","q":1}"#.utf8) + [0x0A]
            let after = [0x0A] + Array(#"{"ev":"Q","sym":"B","q":2,"t":1700000000000}"#.utf8) + [0x0A]
            let buffer = before + line + after
            let range = before.count..<(before.count + line.count)
            var alone: [EventRecord] = []
            var inside: [EventRecord] = []
            var statuses: [ProviderStatus] = []
            let aloneError = line.withUnsafeBytes { decoder.decodeEvent($0, into: &alone, statuses: &statuses) }
            let insideError = buffer.withUnsafeBytes { decoder.decodeEvent(in: $0, range: range, into: &inside, statuses: &statuses) }
            #expect((aloneError == nil) == (insideError == nil), "\(String(decoding: line, as: UTF8.self))")
            guard aloneError == nil, insideError == nil else { continue }
            accepted += 1
            #expect(alone.count == inside.count)
            if var shifted = inside.first, let expected = alone.first {
                shifted.start -= UInt32(range.lowerBound)
                #expect(shifted == expected, "\(String(decoding: line, as: UTF8.self))")
            }
        }
        #expect(accepted > 1000)
    }
}

/// The generator is seeded so failures reproduce.
typealias SeededRandom = SplitMix64

/// Provider-shaped frames with the variations real feeds show: field order, optional fields,
/// extra unknown fields, nested arrays, status objects, escapes and whitespace.
enum FrameGenerator {
    static let symbols = ["AAPL", "MSFT", "BRK.A", "BRK\\/B", "\\u0054SLA", "O:SPY241220P00720000", "X"]

    static func frame(using random: inout SeededRandom, shuffled: Bool = true) -> [UInt8] {
        let count = Int.random(in: 0...8, using: &random)
        var events: [String] = []
        for _ in 0..<count { events.append(event(using: &random, shuffled: shuffled)) }
        let separator = Bool.random(using: &random) ? "," : " ,\n "
        return Array(("[" + events.joined(separator: separator) + "]").utf8)
    }

    static func event(using random: inout SeededRandom, shuffled: Bool = true) -> String {
        let symbol = "\"" + symbols.randomElement(using: &random)! + "\""
        let q = String(Int64.random(in: 0...9_999_999_999, using: &random))
        let t = String(Int64.random(in: 1_600_000_000_000...1_800_000_000_000, using: &random))
        var fields: [String]
        switch Int.random(in: 0..<9, using: &random) {
        case 0: fields = [#""ev":"T""#, #""sym":\#(symbol)"#, #""i":"123""#, #""x":4"#, #""p":114.125"#, #""s":100"#, #""c":[14,41]"#, #""t":\#(t)"#, #""q":\#(q)"#]
        case 1: fields = [#""ev":"Q""#, #""sym":\#(symbol)"#, #""bx":4"#, #""bp":1.5e2"#, #""bs":1"#, #""i":[604]"#, #""t":\#(t)"#, #""q":\#(q)"#]
        case 2: fields = [#""ev":"AM""#, #""sym":\#(symbol)"#, #""v":4110"#, #""o":-0.25"#, #""s":\#(t)"#, #""e":\#(t)"#, #""otc":true"#]
        case 3: fields = [#""ev":"LULD""#, #""T":\#(symbol)"#, #""h":218.96"#, #""i":[21]"#, #""t":\#(t)000"#, #""q":\#(q)"#]
        case 4: fields = [#""ev":"NOI""#, #""T":\#(symbol)"#, #""t":\#(t)000000"#, #""a":"M""#, #""i":\#(q)"#]
        case 5: fields = [#""ev":"FMV""#, #""fmv":189.22"#, #""sym":\#(symbol)"#, #""t":\#(t)"#, #""flag":false"#, #""z":0"#, #""m":null"#, #""note":"déjà vu, a longer text than one word""#]
        case 6: fields = [#""ev":"status""#, #""status":"success""#, #""message":"subscribed to: T.\#(symbol.dropFirst().dropLast())""#]
        case 7: fields = [#""ev":"ZZ""#, #""sym":\#(symbol)"#, #""nested":{"a":[1,{"b":null}],"c":"\n"}"#]
        default: fields = [#""ev":"T""#, #""sym":\#(symbol)"#, #""q":\#(q).0"#, #""t":"\#(t)""#]
        }
        if shuffled { fields.shuffle(using: &random) }
        return "{" + fields.joined(separator: shuffled ? (Bool.random(using: &random) ? "," : ", ") : ",") + "}"
    }

    static let alphabet = Array("{}[]\":,0123456789.-eE \\ntrufalsT".utf8) + [0x01, 0xC3, 0xFF]

    static func mutate(_ frame: [UInt8], using random: inout SeededRandom) -> [UInt8] {
        var bytes = frame
        for _ in 0..<Int.random(in: 1...3, using: &random) {
            let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &random)
            switch Int.random(in: 0..<3, using: &random) {
            case 0 where !bytes.isEmpty: bytes.remove(at: position)
            case 1: bytes.insert(alphabet.randomElement(using: &random)!, at: position)
            default: if !bytes.isEmpty { bytes[position] = alphabet.randomElement(using: &random)! }
            }
        }
        return bytes
    }
}
