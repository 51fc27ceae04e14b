/// Parsing of scalar texts: numbers, booleans, durations, byte sizes, percentages.
///
/// Pure functions over strings; readers call them after interpolation and report failures.
public enum ScalarParsing {
    /// `65536`, `50_000`, `-3`, `+7`; nil for anything else (including overflow).
    public static func int(_ text: String) -> Int? {
        let cleaned = text.trimmingSpaces.replacingUnderscores
        guard !cleaned.isEmpty else { return nil }
        return Int(cleaned)
    }

    /// `2.0`, `0.2`, `3`, `1e3`; nil for anything else, including NaN and infinities.
    public static func double(_ text: String) -> Double? {
        let cleaned = text.trimmingSpaces.replacingUnderscores
        guard !cleaned.isEmpty, let value = Double(cleaned), value.isFinite else { return nil }
        return value
    }

    /// `true`/`false`, `yes`/`no`, `on`/`off` in any case.
    public static func bool(_ text: String) -> Bool? {
        switch text.trimmingSpaces.lowercased() {
        case "true", "yes", "on": true
        case "false", "no", "off": false
        default: nil
        }
    }

    /// Duration units and their length in nanoseconds.
    static let durationUnits: [(suffix: String, nanoseconds: Double)] = [
        ("ns", 1), ("us", 1e3), ("µs", 1e3), ("ms", 1e6), ("s", 1e9), ("m", 60e9), ("h", 3600e9), ("d", 86_400e9),
    ]

    /// `100ms`, `1s`, `1.5s`, `5m`, `1h`, `250us`, `10ns`; a bare number is seconds. Negative
    /// values and durations of more than about 100 years are rejected.
    public static func duration(_ text: String) -> Duration? {
        let cleaned = text.trimmingSpaces
        var number = Substring(cleaned)
        var scale = 1e9
        // Longest suffix first so "ms" wins over "s".
        for unit in durationUnits.sorted(by: { $0.suffix.count > $1.suffix.count }) where cleaned.hasSuffix(unit.suffix) {
            number = cleaned.dropLast(unit.suffix.count)
            scale = unit.nanoseconds
            break
        }
        guard let value = double(String(number).trimmingSpaces), value >= 0 else { return nil }
        let nanoseconds = value * scale
        guard nanoseconds < 3.2e18 else { return nil }
        return .nanoseconds(Int64(nanoseconds.rounded()))
    }

    /// Byte size units (lower-cased) and their multipliers.
    static let sizeUnits: [(suffix: String, bytes: Int)] = [
        ("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30), ("tib", 1 << 40),
        ("kb", 1_000), ("mb", 1_000_000), ("gb", 1_000_000_000), ("tb", 1_000_000_000_000),
        ("k", 1 << 10), ("m", 1 << 20), ("g", 1 << 30), ("b", 1),
    ]

    /// `65536`, `64KiB`, `8MiB`, `1GiB`, `1MB`, `512B` (also `64k` = KiB); non-negative whole bytes.
    public static func byteSize(_ text: String) -> Int? {
        let cleaned = text.trimmingSpaces
        let lower = cleaned.lowercased()
        var number = lower[...]
        var multiplier = 1
        for unit in sizeUnits where lower.hasSuffix(unit.suffix) {
            number = lower.dropLast(unit.suffix.count)
            multiplier = unit.bytes
            break
        }
        guard let value = double(String(number).trimmingSpaces), value >= 0 else { return nil }
        let bytes = value * Double(multiplier)
        guard bytes < 9e18, bytes == bytes.rounded() else { return nil }
        return Int(bytes)
    }

    /// `10%` → 0.10; a bare number is already a fraction (`0.1`).
    public static func percentage(_ text: String) -> Double? {
        let cleaned = text.trimmingSpaces
        if cleaned.hasSuffix("%") {
            return double(String(cleaned.dropLast()).trimmingSpaces).map { $0 / 100 }
        }
        return double(cleaned)
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        var slice = Substring(self)
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }

    /// Digits separated by `_` (as YAML allows), joined.
    var replacingUnderscores: String { split(separator: "_", omittingEmptySubsequences: false).joined() }
}

extension OptionsReader {
    /// A duration: `"100ms"`, `"1s"`, `"30s"`, `"5m"`, `"1h"`, `"250us"`; a bare number is seconds.
    public func duration(_ key: String) -> Duration? {
        guard let value = present(key), let text = scalar(value, expected: "a duration") else { return nil }
        guard let duration = ScalarParsing.duration(text.text) else {
            diagnostics.error(
                "expected a duration, found \(quoted(text))", at: value,
                hint: "write a number with a unit: 250us, 100ms, 1s, 5m, 1h"
            )
            return nil
        }
        return duration
    }

    /// A size in bytes: `65536`, `"64KiB"`, `"8MiB"`, `"1GiB"`, `"1MB"`.
    public func byteSize(_ key: String) -> Int? {
        guard let value = present(key), let text = scalar(value, expected: "a byte size") else { return nil }
        guard let size = ScalarParsing.byteSize(text.text) else {
            diagnostics.error(
                "expected a byte size, found \(quoted(text))", at: value,
                hint: "write bytes or a number with a unit: 65536, 64KiB, 8MiB, 1GiB, 1MB"
            )
            return nil
        }
        return size
    }

    /// A percentage: `"10%"` → 0.10 (a bare number is taken as a fraction).
    public func percentage(_ key: String) -> Double? {
        guard let value = present(key), let text = scalar(value, expected: "a percentage") else { return nil }
        guard let fraction = ScalarParsing.percentage(text.text) else {
            diagnostics.error("expected a percentage, found \(quoted(text))", at: value, hint: "write e.g. 10%")
            return nil
        }
        return fraction
    }
}
