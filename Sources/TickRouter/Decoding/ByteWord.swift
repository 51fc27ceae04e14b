/// Eight frame bytes in one register, and the bit tricks the scanner uses to classify them at once
/// (SWAR: SIMD within a register). Byte 0 of the word is the first byte in the frame.
///
/// Every "first position" function relies on the same property: a borrow or carry only moves
/// toward later bytes, and only out of a byte that is itself a hit, so the lowest flagged byte is
/// always exact even when bytes after it are flagged spuriously.
enum ByteWord {
    static let ones: UInt64 = 0x0101_0101_0101_0101
    static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// Index (0...7) of the first byte that ends plain string content — a quote, a backslash, a
    /// control byte or a non-ASCII byte — or 8 when there is none.
    @inline(__always)
    static func firstStringSpecial(_ word: UInt64) -> Int {
        let quote = word ^ (ones &* 0x22)
        let backslash = word ^ (ones &* 0x5C)
        let special = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((word &- ones &* 0x20) & ~word) | word
        return (special & highBits).trailingZeroBitCount >> 3
    }

    /// Index (0...7) of the first byte that is not an ASCII digit, or 8 when all are digits.
    @inline(__always)
    static func firstNonDigit(_ word: UInt64) -> Int {
        let nibbles = word ^ (ones &* 0x30)  // a digit becomes 0...9 with a zero high nibble
        let notDigit = (nibbles & 0xF0F0_F0F0_F0F0_F0F0) | ((nibbles &+ ones &* 0x06) & (ones &* 0x10))
        return notDigit.trailingZeroBitCount >> 3
    }

    /// The value of the first `count` (1...8) bytes of `word`, all ASCII digits.
    @inline(__always)
    static func digitsValue(_ word: UInt64, count: Int) -> UInt64 {
        // Shift the digits to the top so the missing leading digits read as zeros.
        var value = (word << (64 &- 8 &* UInt64(truncatingIfNeeded: count))) & 0x0F0F_0F0F_0F0F_0F0F
        value = (value &* 10 &+ (value >> 8)) & 0x00FF_00FF_00FF_00FF
        value = (value &* 100 &+ (value >> 16)) & 0x0000_FFFF_0000_FFFF
        value = (value &* 10_000 &+ (value >> 32)) & 0xFFFF_FFFF
        return value
    }

    /// The first `count` (0...8) bytes of `word`, the rest zeroed: a key packed for a `switch`.
    @inline(__always)
    static func prefix(_ word: UInt64, count: Int) -> UInt64 {
        count >= 8 ? word : word & ((1 &<< UInt64(truncatingIfNeeded: 8 &* count)) &- 1)
    }

    /// An ASCII literal of up to 8 bytes packed like ``prefix(_:count:)`` packs frame bytes.
    static func pack(_ literal: StaticString) -> UInt64 {
        precondition(literal.utf8CodeUnitCount <= 8)
        var value: UInt64 = 0
        for index in (0..<literal.utf8CodeUnitCount).reversed() { value = value << 8 | UInt64(literal.utf8Start[index]) }
        return value
    }

    /// 10^exponent for 0...19 (a switch compiles to a constant table; a stored static would cost a
    /// once-check per read).
    @inline(__always)
    static func powerOfTen(_ exponent: Int) -> UInt64 {
        switch exponent {
        case 0: 1
        case 1: 10
        case 2: 100
        case 3: 1_000
        case 4: 10_000
        case 5: 100_000
        case 6: 1_000_000
        case 7: 10_000_000
        case 8: 100_000_000
        case 9: 1_000_000_000
        case 10: 10_000_000_000
        case 11: 100_000_000_000
        case 12: 1_000_000_000_000
        case 13: 10_000_000_000_000
        case 14: 100_000_000_000_000
        case 15: 1_000_000_000_000_000
        case 16: 10_000_000_000_000_000
        case 17: 100_000_000_000_000_000
        case 18: 1_000_000_000_000_000_000
        default: 10_000_000_000_000_000_000
        }
    }
}
