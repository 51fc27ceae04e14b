/// The decoder's fast path: an event object in the provider's plain shape — no whitespace, keys
/// of at most 7 ASCII bytes, strings without escapes or non-ASCII bytes, numbers without
/// exponents, arrays of numbers only — is decoded here eight bytes at a time.
///
/// It validates everything it accepts exactly as the general path does; at the first byte it
/// does not expect it gives up without side effects and the general path (``FrameDecoder``)
/// decodes the object from its start, so every other input gets the general path's answer.
extension FrameDecoder {
    /// Packed keys (``ByteWord/prefix(_:count:)`` of the key's bytes).
    enum PackedKey {
        static let ev: UInt64 = 0x7665
        static let sym: UInt64 = 0x6D_7973
        static let pair: UInt64 = 0x7269_6170
        static let status: UInt64 = 0x7375_7461_7473
        static let message: UInt64 = 0x65_6761_7373_656D
        static let `true`: UInt64 = 0x6575_7274
        static let null: UInt64 = 0x6C6C_756E
        static let fals: UInt64 = 0x736C_6166
    }

    /// Decodes the object at `s.index` if it is plain; returns false, with `s.index` unchanged
    /// and nothing appended, if it is not.
    @inline(__always)
    mutating func decodePlainObject(
        _ s: inout JSONScanner, into records: inout [EventRecord], statuses: inout [ProviderStatus]
    ) -> Bool {
        let bytes = s.bytes
        let end = bytes.count
        let objectStart = s.index
        var p = objectStart &+ 1
        var fields = Fields()
        while true {
            // A key: `"k":` with k plain and shorter than 8 bytes. The 16 bytes also cover the
            // first word of a short value below.
            guard p &+ 16 <= end, bytes[p] == UInt8(ascii: "\"") else { return false }
            let keyWord = s.word(at: p &+ 1)
            let keyLength = ByteWord.firstStringSpecial(keyWord)
            guard keyLength < 8, bytes[p &+ 1 &+ keyLength] == UInt8(ascii: "\""), bytes[p &+ 2 &+ keyLength] == UInt8(ascii: ":")
            else { return false }
            let key = ByteWord.prefix(keyWord, count: keyLength)
            p = p &+ 3 &+ keyLength
            let value: JSONSpan
            switch bytes[p] {
            case UInt8(ascii: "\""):
                var q = p &+ 1
                while true {
                    guard q &+ 8 <= end else { return false }
                    let special = ByteWord.firstStringSpecial(s.word(at: q))
                    q &+= special
                    if special < 8 { break }
                }
                guard bytes[q] == UInt8(ascii: "\"") else { return false }
                value = JSONSpan(kind: .string, start: p &+ 1, length: q &- p &- 1, hasEscape: false)
                p = q &+ 1
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
                guard let next = Self.plainNumberEnd(s, from: p) else { return false }
                value = JSONSpan(kind: .number, start: p, length: next &- p, hasEscape: false)
                p = next
            case UInt8(ascii: "["):
                guard let next = Self.plainNumberArrayEnd(s, from: p) else { return false }
                value = JSONSpan(kind: .container, start: p, length: next &- p, hasEscape: false)
                p = next
            case UInt8(ascii: "t"), UInt8(ascii: "n"):
                guard p &+ 8 <= end else { return false }
                let literal = ByteWord.prefix(s.word(at: p), count: 4)
                guard literal == PackedKey.true || literal == PackedKey.null else { return false }
                value = JSONSpan(kind: .literal, start: p, length: 4, hasEscape: false)
                p &+= 4
            case UInt8(ascii: "f"):
                guard p &+ 8 <= end, ByteWord.prefix(s.word(at: p), count: 4) == PackedKey.fals, bytes[p &+ 4] == UInt8(ascii: "e") else { return false }
                value = JSONSpan(kind: .literal, start: p, length: 5, hasEscape: false)
                p &+= 5
            default:
                return false  // an object, or not JSON: the general path decides
            }
            Self.assign(packedKey: key, length: keyLength, value: value, to: &fields)
            guard p < end else { return false }
            let separator = bytes[p]
            p &+= 1
            if separator == UInt8(ascii: ",") { continue }
            guard separator == UInt8(ascii: "}") else { return false }
            break
        }
        s.index = p
        emit(fields, objectStart: objectStart, end: p, scanner: s, into: &records, statuses: &statuses)
        return true
    }

    /// Stores a value under the field its packed key names (unknown keys are skipped).
    @inline(__always)
    static func assign(packedKey key: UInt64, length: Int, value: JSONSpan, to fields: inout Fields) {
        switch length {
        case 1:
            switch UInt8(truncatingIfNeeded: key) {
            case UInt8(ascii: "p"): fields.p = value
            case UInt8(ascii: "q"): fields.q = value
            case UInt8(ascii: "i"): fields.i = value
            case UInt8(ascii: "t"): fields.t = value
            case UInt8(ascii: "s"): fields.s = value
            case UInt8(ascii: "T"): fields.ticker = value
            default: break
            }
        case 2: if key == PackedKey.ev { fields.ev = value }
        case 3: if key == PackedKey.sym { fields.sym = value }
        case 4: if key == PackedKey.pair { fields.pair = value }
        case 6: if key == PackedKey.status { fields.status = value }
        case 7: if key == PackedKey.message { fields.message = value }
        default: break
        }
    }

    /// The end of a plain number at `start` (`-?(0|[1-9][0-9]*)(\.[0-9]+)?`), or nil when the
    /// number is anything else (exponent, leading zeros, very long, or too near the frame's end).
    @inline(__always)
    static func plainNumberEnd(_ s: JSONScanner, from start: Int) -> Int? {
        let bytes = s.bytes
        let end = bytes.count
        var q = start
        if bytes[q] == UInt8(ascii: "-") { q &+= 1 }
        guard q &+ 8 <= end else { return nil }
        let first = bytes[q]
        guard first &- UInt8(ascii: "0") < 10 else { return nil }
        if first == UInt8(ascii: "0") {
            q &+= 1
            guard bytes[q] &- UInt8(ascii: "0") >= 10 else { return nil }
        } else {
            guard let next = plainDigitsEnd(s, from: q) else { return nil }
            q = next
        }
        if bytes[q] == UInt8(ascii: ".") {
            q &+= 1
            guard q &+ 8 <= end, bytes[q] &- UInt8(ascii: "0") < 10, let next = plainDigitsEnd(s, from: q) else { return nil }
            q = next
        }
        let next = bytes[q]
        guard next != UInt8(ascii: "e"), next != UInt8(ascii: "E"), q &- start <= 300 else { return nil }
        return q
    }

    /// The end of a run of digits at `start`, eight at a time; nil when the frame ends first.
    @inline(__always)
    static func plainDigitsEnd(_ s: JSONScanner, from start: Int) -> Int? {
        let end = s.bytes.count
        var q = start
        while q &+ 8 <= end {
            let run = ByteWord.firstNonDigit(s.word(at: q))
            q &+= run
            if run < 8 { return q }
        }
        return nil
    }

    /// The end of an array of plain numbers at `start` (`[]`, `[12]`, `[14,41]`), or nil.
    @inline(__always)
    static func plainNumberArrayEnd(_ s: JSONScanner, from start: Int) -> Int? {
        let bytes = s.bytes
        let end = bytes.count
        var q = start &+ 1
        guard q < end else { return nil }
        if bytes[q] == UInt8(ascii: "]") { return q &+ 1 }
        while true {
            guard q < end, let next = plainNumberEnd(s, from: q) else { return nil }
            q = next
            let separator = bytes[q]
            q &+= 1
            if separator == UInt8(ascii: "]") { return q }
            guard separator == UInt8(ascii: ",") else { return nil }
        }
    }
}
