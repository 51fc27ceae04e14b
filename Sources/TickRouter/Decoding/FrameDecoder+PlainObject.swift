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
        // Bytes are read out of words already loaded wherever they can be: a load whose address
        // depends on the word before it is what bounds this loop, not the arithmetic.
        while true {
            // A key: `"k":` with k plain and at most 6 bytes (every provider key but `message`).
            // The 16 bytes also cover the first word of a short value below.
            guard p &+ 16 <= end, bytes[p] == UInt8(ascii: "\"") else { return false }
            let keyWord = s.word(at: p &+ 1)
            let keyLength = ByteWord.firstStringSpecial(keyWord)
            guard keyLength <= 6 else { return false }
            let afterKey = keyWord >> UInt64(truncatingIfNeeded: 8 &* keyLength)  // `":` then the value
            guard afterKey & 0xFFFF == 0x3A22 else { return false }
            let key = ByteWord.prefix(keyWord, count: keyLength)
            p = p &+ 3 &+ keyLength
            let first = keyLength <= 5 ? UInt8(truncatingIfNeeded: afterKey >> 16) : bytes[p]
            let value: JSONSpan
            let separator: UInt8
            switch first {
            case UInt8(ascii: "\""):
                var q = p &+ 1
                var word: UInt64
                var special: Int
                repeat {
                    guard q &+ 8 <= end else { return false }
                    word = s.word(at: q)
                    special = ByteWord.firstStringSpecial(word)
                    q &+= special
                } while special == 8
                guard UInt8(truncatingIfNeeded: word >> UInt64(truncatingIfNeeded: 8 &* special)) == UInt8(ascii: "\""), q &+ 1 < end else {
                    return false
                }
                value = JSONSpan(kind: .string, start: p &+ 1, length: q &- p &- 1, hasEscape: false)
                separator = special < 7 ? UInt8(truncatingIfNeeded: word >> UInt64(truncatingIfNeeded: 8 &* (special &+ 1))) : bytes[q &+ 1]
                p = q &+ 2
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"):
                guard let (numberEnd, next) = Self.plainNumber(s, from: p) else { return false }
                value = JSONSpan(kind: .number, start: p, length: numberEnd &- p, hasEscape: false)
                separator = next
                p = numberEnd &+ 1
            case UInt8(ascii: "["):
                guard let next = Self.plainNumberArrayEnd(s, from: p), next < end else { return false }
                value = JSONSpan(kind: .container, start: p, length: next &- p, hasEscape: false)
                separator = bytes[next]
                p = next &+ 1
            case UInt8(ascii: "t"), UInt8(ascii: "n"):
                guard p &+ 8 <= end else { return false }
                let literal = s.word(at: p)
                let packed = ByteWord.prefix(literal, count: 4)
                guard packed == PackedKey.true || packed == PackedKey.null else { return false }
                value = JSONSpan(kind: .literal, start: p, length: 4, hasEscape: false)
                separator = UInt8(truncatingIfNeeded: literal >> 32)
                p &+= 5
            case UInt8(ascii: "f"):
                guard p &+ 8 <= end else { return false }
                let literal = s.word(at: p)
                guard ByteWord.prefix(literal, count: 4) == PackedKey.fals, UInt8(truncatingIfNeeded: literal >> 32) == UInt8(ascii: "e") else {
                    return false
                }
                value = JSONSpan(kind: .literal, start: p, length: 5, hasEscape: false)
                separator = UInt8(truncatingIfNeeded: literal >> 40)
                p &+= 6
            default:
                return false  // an object, or not JSON: the general path decides
            }
            Self.assign(packedKey: key, length: keyLength, value: value, to: &fields)
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

    /// The end of a plain number at `start` (`-?(0|[1-9][0-9]*)(\.[0-9]+)?`) and the byte after
    /// it, or nil when the number is anything else (exponent, leading zeros, very long, or too
    /// near the frame's end).
    @inline(__always)
    static func plainNumber(_ s: JSONScanner, from start: Int) -> (end: Int, next: UInt8)? {
        let end = s.bytes.count
        var q = start
        guard q &+ 8 <= end else { return nil }
        var word = s.word(at: q)
        var first = UInt8(truncatingIfNeeded: word)
        if first == UInt8(ascii: "-") {
            q &+= 1
            guard q &+ 8 <= end else { return nil }
            word = s.word(at: q)
            first = UInt8(truncatingIfNeeded: word)
        }
        guard first &- UInt8(ascii: "0") < 10 else { return nil }
        var run: Int
        if first == UInt8(ascii: "0") {
            run = 1  // a leading 0 stands alone; a digit after it is for the general path to reject
        } else {
            run = ByteWord.firstNonDigit(word)
            while run == 8 {
                q &+= 8
                guard q &+ 8 <= end else { return nil }
                word = s.word(at: q)
                run = ByteWord.firstNonDigit(word)
            }
        }
        var next = UInt8(truncatingIfNeeded: word >> UInt64(truncatingIfNeeded: 8 &* run))
        q &+= run
        if next == UInt8(ascii: ".") {
            q &+= 1
            guard q &+ 8 <= end else { return nil }
            word = s.word(at: q)
            run = ByteWord.firstNonDigit(word)
            guard run > 0 else { return nil }
            while run == 8 {
                q &+= 8
                guard q &+ 8 <= end else { return nil }
                word = s.word(at: q)
                run = ByteWord.firstNonDigit(word)
            }
            next = UInt8(truncatingIfNeeded: word >> UInt64(truncatingIfNeeded: 8 &* run))
            q &+= run
        }
        guard next &- UInt8(ascii: "0") >= 10, next != UInt8(ascii: "e"), next != UInt8(ascii: "E"), q &- start <= 300 else { return nil }
        return (q, next)
    }

    /// The end of an array of plain numbers at `start` (`[]`, `[12]`, `[14,41]`), or nil.
    @inline(__always)
    static func plainNumberArrayEnd(_ s: JSONScanner, from start: Int) -> Int? {
        let bytes = s.bytes
        var q = start &+ 1
        guard q < bytes.count else { return nil }
        if bytes[q] == UInt8(ascii: "]") { return q &+ 1 }
        while true {
            guard let (numberEnd, next) = plainNumber(s, from: q) else { return nil }
            if next == UInt8(ascii: "]") { return numberEnd &+ 1 }
            guard next == UInt8(ascii: ",") else { return nil }
            q = numberEnd &+ 1
        }
    }
}
