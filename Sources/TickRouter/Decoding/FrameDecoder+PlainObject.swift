/// The decoder's fast path: an event object in the provider's plain shape — no whitespace, keys
/// of at most 7 ASCII bytes, strings without escapes or non-ASCII bytes, numbers without
/// exponents, arrays of numbers only — is decoded here eight bytes at a time.
///
/// It validates everything it accepts exactly as the general path does; at the first byte it
/// does not expect it gives up without side effects and the general path (``FrameDecoder``)
/// decodes the object from its start, so every other input gets the general path's answer.
///
/// Keys are predicted: events of one `ev` carry the same keys in the same order, so the decoder
/// remembers (``KeyMemo``) the keys of the last plain event of each kind and checks the next
/// event's key at the same position with one masked compare of `"key":`. A miss scans the key
/// and remembers it. A hit is exact whatever was predicted: the bytes are a key the scanner
/// already accepted once.
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
        let memo = keyMemo.keys
        // The memo row: the first key's until `ev` has been read, then that kind's.
        var row = memo
        var position = 0
        // Bytes are read out of words already loaded wherever they can be: a load whose address
        // depends on the word before it is what bounds this loop, not the arithmetic.
        while true {
            // A key: `"k":`. The 16 bytes also cover the first word of a short value below.
            guard p &+ 16 <= end else { return false }
            let word = s.word(at: p)
            let predicted = row[position]
            let field: FieldSlot
            let first: UInt8
            if (word ^ predicted.bytes) & predicted.mask == 0 {
                let advance = Int(truncatingIfNeeded: predicted.advance)
                p &+= advance
                first = advance < 8 ? UInt8(truncatingIfNeeded: word >> UInt64(truncatingIfNeeded: 8 &* advance)) : bytes[p]
                field = predicted.field
            } else {
                // `"k":` with k plain and at most 6 bytes (every provider key but `message`).
                guard UInt8(truncatingIfNeeded: word) == UInt8(ascii: "\"") else { return false }
                let keyWord = s.word(at: p &+ 1)
                let keyLength = ByteWord.firstStringSpecial(keyWord)
                guard keyLength <= 6 else { return false }
                let afterKey = keyWord >> UInt64(truncatingIfNeeded: 8 &* keyLength)  // `":` then the value
                guard afterKey & 0xFFFF == 0x3A22 else { return false }
                field = FieldSlot(packedKey: ByteWord.prefix(keyWord, count: keyLength), length: keyLength)
                if keyLength <= 5 { row[position] = PredictedKey(word, advance: keyLength &+ 3, field: field) }
                p = p &+ 3 &+ keyLength
                first = keyLength <= 5 ? UInt8(truncatingIfNeeded: afterKey >> 16) : bytes[p]
            }
            position = (position &+ 1) & (KeyMemo.positions &- 1)  // a long object wraps round: a miss, never a wrong key
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
            switch field {
            case .other: break
            case .ev:
                fields.ev = value
                // From the next key on, predict with this kind's row.
                if value.kind == .string, value.length <= 8, value.start &+ 8 <= end {
                    row = memo + KeyMemo.row(ofEventType: ByteWord.prefix(s.word(at: value.start), count: value.length))
                }
            case .sym: fields.sym = value
            case .ticker: fields.ticker = value
            case .pair: fields.pair = value
            case .p: fields.p = value
            case .q: fields.q = value
            case .i: fields.i = value
            case .t: fields.t = value
            case .s: fields.s = value
            case .status: fields.status = value
            case .message: fields.message = value
            }
            if separator == UInt8(ascii: ",") { continue }
            guard separator == UInt8(ascii: "}") else { return false }
            break
        }
        s.index = p
        emit(fields, objectStart: objectStart, end: p, scanner: s, into: &records, statuses: &statuses)
        return true
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
        if UInt8(truncatingIfNeeded: word) == UInt8(ascii: "-") {
            q &+= 1
            guard q &+ 8 <= end else { return nil }
            word = s.word(at: q)
        }
        var run = ByteWord.firstNonDigit(word)
        // A digit at least, and a leading 0 stands alone (`01` is for the general path to reject).
        guard run > 0, run == 1 || UInt8(truncatingIfNeeded: word) != UInt8(ascii: "0") else { return nil }
        while run == 8 {
            q &+= 8
            guard q &+ 8 <= end else { return nil }
            word = s.word(at: q)
            run = ByteWord.firstNonDigit(word)
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
        // `next` is not a digit (the runs end at one); an exponent is for the general path.
        guard next != UInt8(ascii: "e"), next != UInt8(ascii: "E"), q &- start <= 300 else { return nil }
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
