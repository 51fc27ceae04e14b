/// A growable byte array with hand-written JSON formatting for numbers and strings.
///
/// The generator renders every event exactly once through this type, so it avoids `String`,
/// `Codable` and `Foundation` on purpose.
struct ByteWriter {
    var bytes: [UInt8]

    init(capacity: Int = 4096) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    var count: Int { bytes.count }

    mutating func removeAll() { bytes.removeAll(keepingCapacity: true) }

    @inline(__always) mutating func append(_ byte: UInt8) { bytes.append(byte) }

    @inline(__always) mutating func append(_ literal: StaticString) {
        literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    @inline(__always) mutating func append(_ other: [UInt8]) { bytes.append(contentsOf: other) }

    /// Appends an unsigned decimal integer (digits formed on the stack, then one append).
    mutating func appendUInt(_ value: UInt64) {
        if value < 10 {
            bytes.append(48 &+ UInt8(truncatingIfNeeded: value))
            return
        }
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes: UInt64.max has 20 digits
        withUnsafeMutableBytes(of: &digits) { buffer in
            var index = 20
            var v = value
            repeat {
                let (q, r) = v.quotientAndRemainder(dividingBy: 10)
                index &-= 1
                buffer[index] = 48 &+ UInt8(truncatingIfNeeded: r)
                v = q
            } while v > 0
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[index..<20]))
        }
    }

    /// Appends a signed decimal integer.
    mutating func appendInt(_ value: Int64) {
        if value < 0 {
            bytes.append(UInt8(ascii: "-"))
            appendUInt(value.magnitude)
        } else {
            appendUInt(UInt64(value))
        }
    }

    /// Appends a fixed-point number `value / 10^decimals` with exactly `decimals` decimals.
    mutating func appendFixed(_ value: Int64, decimals: Int) {
        var magnitude = value.magnitude
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        var scale: UInt64 = 1
        for _ in 0..<decimals { scale &*= 10 }
        let (whole, fraction) = magnitude.quotientAndRemainder(dividingBy: scale)
        appendUInt(whole)
        guard decimals > 0 else { return }
        bytes.append(UInt8(ascii: "."))
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(48, count: decimals))
        magnitude = fraction
        bytes.withUnsafeMutableBufferPointer { buffer in
            var index = start + decimals - 1
            while magnitude > 0 {
                let (q, r) = magnitude.quotientAndRemainder(dividingBy: 10)
                buffer[index] = 48 &+ UInt8(truncatingIfNeeded: r)
                index &-= 1
                magnitude = q
            }
        }
    }

    /// Appends `"text"` with JSON escaping.
    mutating func appendJSONString(_ text: String) {
        bytes.append(contentsOf: ByteWriter.jsonString(text))
    }

    /// The JSON string literal (with quotes) for `text`.
    static func jsonString(_ text: String) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "\"")]
        let hex = Array("0123456789abcdef".utf8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [92, 34])
            case UInt8(ascii: "\\"): out.append(contentsOf: [92, 92])
            case UInt8(ascii: "\n"): out.append(contentsOf: [92, UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): out.append(contentsOf: [92, UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): out.append(contentsOf: [92, UInt8(ascii: "t")])
            case 0..<0x20:
                out.append(contentsOf: Array("\\u00".utf8))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0xF)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
        return out
    }
}
