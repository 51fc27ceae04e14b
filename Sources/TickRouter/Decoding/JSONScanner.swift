/// Where a JSON value sits in the frame. For strings the span covers the content without quotes.
struct JSONSpan {
    enum Kind: UInt8 { case absent, string, number, literal, container }

    private var _start: UInt32
    private var _length: UInt32
    var kind: Kind
    var hasEscape: Bool

    @inline(__always) var start: Int { Int(_start) }
    @inline(__always) var length: Int { Int(_length) }

    @inline(__always)
    init(kind: Kind, start: Int, length: Int, hasEscape: Bool) {
        // Frames are limited to less than 4 GiB before scanning starts.
        _start = UInt32(truncatingIfNeeded: start)
        _length = UInt32(truncatingIfNeeded: length)
        self.kind = kind
        self.hasEscape = hasEscape
    }

    /// Computed, not stored: a stored static costs a once-check on every read, and every object
    /// starts with eleven of them.
    @inline(__always) static var absent: JSONSpan { JSONSpan(kind: .absent, start: 0, length: 0, hasEscape: false) }
}

/// Byte classes inside a JSON string: 0 ordinary, 1 quote, 2 backslash, 3 control, 4 non-ASCII.
/// Allocated once and never freed, so the scanner reads it through a plain pointer.
private nonisolated(unsafe) let stringByteClass: UnsafePointer<UInt8> = {
    let table = UnsafeMutablePointer<UInt8>.allocate(capacity: 256)
    for byte in 0..<256 {
        table[byte] =
            switch byte {
            case 0x22: 1
            case 0x5C: 2
            case 0..<0x20: 3
            case 0x80...: 4
            default: 0
            }
    }
    return UnsafePointer(table)
}()

/// A strict JSON (RFC 8259) scanner over bytes in place. It validates everything it passes over,
/// but materialises nothing: callers get spans and decide what to read.
struct JSONScanner {
    let bytes: UnsafeRawBufferPointer
    var index = 0

    static let maxDepth = 64

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    var atEnd: Bool { index >= bytes.count }

    @inline(__always)
    func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }

    @inline(__always)
    mutating func skipWhitespace() {
        while index < bytes.count {
            let byte = bytes[index]
            // Every structural byte and value start is above 0x20; whitespace is at or below it.
            guard byte <= 0x20, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 else { return }
            index += 1
        }
    }

    @inline(__always)
    func slice(_ span: JSONSpan) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[span.start..<span.start + span.length])
    }

    /// Scans a string starting at its opening quote; returns the span of its content.
    @inline(__always)
    mutating func scanString() throws(FrameError) -> JSONSpan {
        index += 1  // opening quote
        let start = index
        let count = bytes.count
        // Eight bytes at a time while they are plain content; provider strings are short and plain.
        while index &+ 8 <= count {
            let special = ByteWord.firstStringSpecial(word(at: index))
            index &+= special
            guard special == 8 else {
                if bytes[index] == UInt8(ascii: "\"") {
                    let span = JSONSpan(kind: .string, start: start, length: index &- start, hasEscape: false)
                    index &+= 1
                    return span
                }
                break
            }
        }
        return try scanStringSlowly(start: start)
    }

    /// The unaligned little-endian word of the 8 bytes at `offset` (`offset + 8 <= bytes.count`).
    @inline(__always)
    func word(at offset: Int) -> UInt64 {
        UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// The rest of a string from `index` byte by byte: escapes, UTF-8 and the frame's last bytes.
    private mutating func scanStringSlowly(start: Int) throws(FrameError) -> JSONSpan {
        var hasEscape = false
        let count = bytes.count
        let table = stringByteClass
        while index < count {
            // One table load per byte; ordinary bytes take the first branch.
            let byteClass = table[Int(bytes[index])]
            if byteClass == 0 {
                index += 1
                continue
            }
            switch byteClass {
            case 1:
                let span = JSONSpan(kind: .string, start: start, length: index - start, hasEscape: hasEscape)
                index += 1
                return span
            case 2:
                hasEscape = true
                try scanEscape()
            case 3:
                throw FrameError(.invalidString, at: index)
            default:
                try scanUTF8Sequence()
            }
        }
        throw FrameError(.unexpectedEnd, at: index)
    }

    private mutating func scanEscape() throws(FrameError) {
        index += 1
        guard index < bytes.count else { throw FrameError(.unexpectedEnd, at: index) }
        switch bytes[index] {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
            UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
            index += 1
        case UInt8(ascii: "u"):
            let unit = try hex4(at: index + 1)
            index += 5
            if (0xD800...0xDBFF).contains(unit) {
                // A high surrogate must be followed by an escaped low surrogate.
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw FrameError(.invalidString, at: index)
                }
                let low = try hex4(at: index + 2)
                guard (0xDC00...0xDFFF).contains(low) else { throw FrameError(.invalidString, at: index) }
                index += 6
            } else if (0xDC00...0xDFFF).contains(unit) {
                throw FrameError(.invalidString, at: index)
            }
        default:
            throw FrameError(.invalidString, at: index)
        }
    }

    private func hex4(at position: Int) throws(FrameError) -> UInt32 {
        guard position + 4 <= bytes.count else { throw FrameError(.unexpectedEnd, at: position) }
        var value: UInt32 = 0
        for offset in 0..<4 {
            let byte = bytes[position + offset]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw FrameError(.invalidString, at: position + offset)
            }
            value = value << 4 | digit
        }
        return value
    }

    /// Validates one multi-byte UTF-8 sequence (no overlongs, no surrogates, at most U+10FFFF).
    private mutating func scanUTF8Sequence() throws(FrameError) {
        let lead = bytes[index]
        let count: Int
        var lower: UInt8 = 0x80
        var upper: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: count = 1
        case 0xE0: count = 2; lower = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: count = 2
        case 0xED: count = 2; upper = 0x9F
        case 0xF0: count = 3; lower = 0x90
        case 0xF1...0xF3: count = 3
        case 0xF4: count = 3; upper = 0x8F
        default: throw FrameError(.invalidUTF8, at: index)
        }
        guard index + count < bytes.count else { throw FrameError(.unexpectedEnd, at: index) }
        let second = bytes[index + 1]
        guard second >= lower, second <= upper else { throw FrameError(.invalidUTF8, at: index + 1) }
        if count > 1 {
            for offset in 2...count where !(0x80...0xBF).contains(bytes[index + offset]) {
                throw FrameError(.invalidUTF8, at: index + offset)
            }
        }
        index += count + 1
    }

    /// Scans any value at the current position and returns its span.
    @inline(__always)
    mutating func scanValue() throws(FrameError) -> JSONSpan {
        guard let byte = peek() else { throw FrameError(.unexpectedEnd, at: index) }
        switch byte {
        case UInt8(ascii: "\""):
            return try scanString()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let start = index
            try scanNumber()
            return JSONSpan(kind: .number, start: start, length: index - start, hasEscape: false)
        case UInt8(ascii: "["):
            let start = index
            if try !skipNumberArray() {
                index = start
                try skipValue(depth: 2)
            }
            return JSONSpan(kind: .container, start: start, length: index - start, hasEscape: false)
        case UInt8(ascii: "{"):
            let start = index
            try skipValue(depth: 2)
            return JSONSpan(kind: .container, start: start, length: index - start, hasEscape: false)
        default:
            let start = index
            try scanLiteral()
            return JSONSpan(kind: .literal, start: start, length: index - start, hasEscape: false)
        }
    }

    /// Skips an array of numbers without whitespace (trade conditions, quote indicators), the
    /// common case; returns false, with `index` anywhere, when the array is something else.
    @inline(__always)
    private mutating func skipNumberArray() throws(FrameError) -> Bool {
        index &+= 1  // '['
        let count = bytes.count
        guard index < count else { return false }
        if bytes[index] == UInt8(ascii: "]") {
            index &+= 1
            return true
        }
        while index < count {
            let byte = bytes[index]
            guard isDigit(byte) || byte == UInt8(ascii: "-") else { return false }
            try scanNumber()
            guard index < count else { return false }
            let next = bytes[index]
            index &+= 1
            if next == UInt8(ascii: "]") { return true }
            guard next == UInt8(ascii: ",") else { return false }
        }
        return false
    }

    /// Skips any value, validating it, with nested containers up to ``maxDepth``.
    mutating func skipValue(depth: Int) throws(FrameError) {
        guard depth <= Self.maxDepth else { throw FrameError(.tooDeep, at: index) }
        guard let byte = peek() else { throw FrameError(.unexpectedEnd, at: index) }
        switch byte {
        case UInt8(ascii: "\""):
            _ = try scanString()
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try scanNumber()
        case UInt8(ascii: "{"):
            index += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "}") { index += 1; return }
            while true {
                skipWhitespace()
                guard peek() == UInt8(ascii: "\"") else { throw FrameError(atEnd ? .unexpectedEnd : .unexpectedByte, at: index) }
                _ = try scanString()
                skipWhitespace()
                guard peek() == UInt8(ascii: ":") else { throw FrameError(atEnd ? .unexpectedEnd : .unexpectedByte, at: index) }
                index += 1
                skipWhitespace()
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard let next = peek() else { throw FrameError(.unexpectedEnd, at: index) }
                index += 1
                if next == UInt8(ascii: "}") { return }
                guard next == UInt8(ascii: ",") else { throw FrameError(.unexpectedByte, at: index - 1) }
            }
        case UInt8(ascii: "["):
            index += 1
            skipWhitespace()
            if peek() == UInt8(ascii: "]") { index += 1; return }
            while true {
                skipWhitespace()
                try skipValue(depth: depth + 1)
                skipWhitespace()
                guard let next = peek() else { throw FrameError(.unexpectedEnd, at: index) }
                index += 1
                if next == UInt8(ascii: "]") { return }
                guard next == UInt8(ascii: ",") else { throw FrameError(.unexpectedByte, at: index - 1) }
            }
        default:
            try scanLiteral()
        }
    }

    private mutating func scanLiteral() throws(FrameError) {
        for literal in ["true", "false", "null"] as [StaticString] {
            let count = literal.utf8CodeUnitCount
            if index + count <= bytes.count,
                UnsafeRawBufferPointer(start: literal.utf8Start, count: count).elementsEqual(bytes[index..<index + count])
            {
                index += count
                return
            }
        }
        throw FrameError(atEnd ? .unexpectedEnd : .invalidLiteral, at: index)
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`
    @inline(__always)
    private mutating func scanNumber() throws(FrameError) {
        let start = index
        let count = bytes.count
        if bytes[index] == UInt8(ascii: "-") { index &+= 1 }
        guard index < count, isDigit(bytes[index]) else { throw FrameError(.invalidNumber, at: start) }
        // A leading 0 stands alone; a digit after it is then an unexpected byte for the caller.
        if bytes[index] == UInt8(ascii: "0") { index &+= 1 } else { _ = skipDigits() }
        guard index < count else { return }
        var next = bytes[index]
        if next == UInt8(ascii: ".") {
            index &+= 1
            guard skipDigits() > 0 else { throw FrameError(.invalidNumber, at: start) }
            guard index < count else { return }
            next = bytes[index]
        }
        if next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
            index &+= 1
            if index < count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index &+= 1 }
            guard skipDigits() > 0 else { throw FrameError(.invalidNumber, at: start) }
            try checkFinite(from: start)
        } else if index &- start > 300 {
            try checkFinite(from: start)
        }
    }

    /// Moves past a run of digits, eight at a time where the frame allows; returns its length.
    @inline(__always)
    private mutating func skipDigits() -> Int {
        let start = index
        let count = bytes.count
        while index &+ 8 <= count {
            let run = ByteWord.firstNonDigit(word(at: index))
            index &+= run
            if run < 8 { return index &- start }
        }
        while index < count, isDigit(bytes[index]) { index &+= 1 }
        return index &- start
    }

    /// Numbers beyond the range of a double (`1e400`) are rejected, as `JSONSerialization` does.
    /// Only numbers with an exponent or hundreds of digits get here; provider data has neither.
    private func checkFinite(from start: Int) throws(FrameError) {
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw FrameError(.invalidNumber, at: start) }
    }

    @inline(__always)
    private func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }

    /// The value of an integer literal (no fraction, no exponent, fits in Int64), else nil.
    @inline(__always)
    func integer(_ span: JSONSpan) -> Int64? {
        guard span.kind == .number else { return nil }
        let start = span.start
        let length = span.length
        // Up to 16 digits in two words (every sequence number and timestamp), when the frame has
        // the bytes; a sign, a fraction or an exponent takes the general way.
        if length <= 16, start &+ 16 <= bytes.count {
            let high = word(at: start)
            let highDigits = ByteWord.firstNonDigit(high)
            if length <= 8 {
                if highDigits >= length { return Int64(ByteWord.digitsValue(high, count: length)) }
            } else if highDigits == 8 {
                let low = word(at: start &+ 8)
                let rest = length &- 8
                if ByteWord.firstNonDigit(low) >= rest {
                    return Int64(ByteWord.digitsValue(high, count: 8) &* ByteWord.powerOfTen(rest) &+ ByteWord.digitsValue(low, count: rest))
                }
            }
        }
        return integerDigitByDigit(span)
    }

    /// ``integer(_:)`` for every other number: negative, long, not an integer, near the end.
    @inline(never)
    func integerDigitByDigit(_ span: JSONSpan) -> Int64? {
        var position = span.start
        let end = span.start &+ span.length
        let negative = bytes[position] == UInt8(ascii: "-")
        if negative { position &+= 1 }
        guard position < end else { return nil }
        var value: Int64 = 0
        while position < end {
            let digit = bytes[position] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = negative ? times10.subtractingReportingOverflow(Int64(digit)) : times10.addingReportingOverflow(Int64(digit))
            guard !overflow1, !overflow2 else { return nil }
            value = sum
            position &+= 1
        }
        return value
    }

    /// The decoded bytes of a string span (escapes resolved). Slow path: allocates.
    func unescaped(_ span: JSONSpan) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(span.length)
        var position = span.start
        let end = span.start + span.length
        while position < end {
            let byte = bytes[position]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                position += 1
                continue
            }
            let kind = bytes[position + 1]
            position += 2
            switch kind {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = (try? hex4(at: position)) ?? 0xFFFD
                position += 4
                if (0xD800...0xDBFF).contains(scalar), position + 6 <= end, let low = try? hex4(at: position + 2) {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    position += 6
                }
                out.append(contentsOf: String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8)
            default: out.append(kind)
            }
        }
        return out
    }

    /// A string span as `String` (for rare control-plane values such as status messages).
    func text(_ span: JSONSpan) -> String {
        guard span.kind == .string else { return "" }
        if span.hasEscape { return String(decoding: unescaped(span), as: UTF8.self) }
        return String(decoding: slice(span), as: UTF8.self)
    }
}
