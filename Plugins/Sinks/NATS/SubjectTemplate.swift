/// A NATS subject with placeholders, parsed and checked once: `{market}`, `{channel}`, `{symbol}`.
///
/// The default, `md.{market}.{channel}.{symbol}`, gives `md.stocks.T.AAPL`, so a consumer
/// subscribes to `md.stocks.T.>` (every trade) or `md.stocks.*.AAPL` (everything about AAPL).
/// Symbols are escaped with ``SubjectEscaping`` so that `BRK.B` stays one token (`BRK%2EB`).
/// Events whose `ev` the market does not define use the channel token `_`.
///
/// Pure Swift, no libnats: it builds without the `NATS` trait and is tested in the default build.
public struct SubjectTemplate: Sendable, Equatable, CustomStringConvertible {
    /// One piece of the template.
    enum Part: Sendable, Equatable {
        case literal(String)
        case market, channel, symbol
    }

    /// The template as written.
    public let text: String
    let parts: [Part]

    /// The default template.
    public static let defaultText = "md.{market}.{channel}.{symbol}"

    /// The channel token for events with an `ev` the market does not define.
    public static let unknownChannelToken = "_"

    /// Why a template is invalid.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
        public var hint: String?
    }

    /// Parses `text`, rejecting unknown placeholders, unbalanced braces, wildcards, whitespace and empty tokens.
    public init(parsing text: String) throws(Problem) {
        var parts: [Part] = []
        var literal = ""
        var rest = Substring(text)
        while let character = rest.first {
            if character == "{" {
                guard let close = rest.firstIndex(of: "}") else {
                    throw Problem(description: "unbalanced '{' in subject template", hint: "placeholders are {market}, {channel}, {symbol}")
                }
                let name = rest[rest.index(after: rest.startIndex)..<close]
                let part: Part
                switch name {
                case "market": part = .market
                case "channel": part = .channel
                case "symbol": part = .symbol
                default:
                    throw Problem(description: "unknown placeholder {\(name)} in subject template", hint: "placeholders are {market}, {channel}, {symbol}")
                }
                if !literal.isEmpty { parts.append(.literal(literal)) }
                literal = ""
                parts.append(part)
                rest = rest[rest.index(after: close)...]
                continue
            }
            if character == "}" {
                throw Problem(description: "unbalanced '}' in subject template", hint: nil)
            }
            if character == "*" || character == ">" || character.isWhitespace || !character.isASCII {
                throw Problem(
                    description: "subject template may not contain wildcards, whitespace or non-ASCII characters",
                    hint: "publish subjects are literal; subscribers use * and >"
                )
            }
            literal.append(character)
            rest = rest.dropFirst()
        }
        if !literal.isEmpty { parts.append(.literal(literal)) }
        guard !parts.isEmpty else { throw Problem(description: "subject template is empty", hint: "e.g. \(Self.defaultText)") }
        // Every '.'-separated token must be non-empty once placeholders are filled in.
        let probe = Self.render(parts, market: "m", channel: "c", symbol: "s")
        if probe.split(separator: ".", omittingEmptySubsequences: false).contains(where: \.isEmpty) {
            throw Problem(description: "subject template has an empty token (a leading, trailing or doubled '.')", hint: "e.g. \(Self.defaultText)")
        }
        self.text = text
        self.parts = parts
    }

    public var description: String { text }

    /// Whether the subject depends on the symbol (one subject per symbol and channel).
    public var containsSymbol: Bool { parts.contains(.symbol) }

    /// The subject of one (channel, symbol); `symbol` is escaped here.
    public func subject(market: String, channel: String, symbol: String) -> String {
        Self.render(parts, market: market, channel: channel, symbol: SubjectEscaping.escape(symbol))
    }

    /// The subject filter that matches every subject this template produces for `market`
    /// (`md.stocks.*.*` for the default): tokens with `{channel}` or `{symbol}` become `*`.
    public func wildcardSubject(market: String) -> String {
        let rendered = Self.render(parts, market: market, channel: "\u{1}", symbol: "\u{1}")
        return rendered.split(separator: ".", omittingEmptySubsequences: false)
            .map { $0.contains("\u{1}") ? "*" : String($0) }
            .joined(separator: ".")
    }

    private static func render(_ parts: [Part], market: String, channel: String, symbol: String) -> String {
        var result = ""
        for part in parts {
            switch part {
            case .literal(let text): result += text
            case .market: result += market
            case .channel: result += channel
            case .symbol: result += symbol
            }
        }
        return result
    }
}

/// Reversible escaping of a symbol into one NATS subject token.
///
/// NATS splits subjects at `.`, treats `*` and `>` tokens as wildcards and forbids whitespace, so
/// those bytes, and `/` (forex and crypto pairs), `%` itself, control bytes and non-ASCII bytes are
/// written as `%` and two upper-case hex digits: `BRK.B` → `BRK%2EB`, `EUR/USD` → `EUR%2FUSD`,
/// `A%B` → `A%25B`. Every other byte stays as it is (`O:AAPL250117C00150000`, `X:BTCUSD`, `I:SPX`).
/// ``unescape(_:)`` reverses it exactly.
public enum SubjectEscaping {
    /// Whether `byte` must be escaped in a subject token.
    @inline(__always)
    public static func needsEscape(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "."), UInt8(ascii: "*"), UInt8(ascii: ">"), UInt8(ascii: "/"), UInt8(ascii: "%"): true
        case 0...0x20, 0x7F...0xFF: true
        default: false
        }
    }

    /// The token for `symbol`.
    public static func escape(_ symbol: String) -> String {
        let bytes = Array(symbol.utf8)
        guard bytes.contains(where: needsEscape) else { return symbol }
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 8)
        for byte in bytes {
            if needsEscape(byte) {
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            } else {
                out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The symbol of a token made by ``escape(_:)``; nil for a malformed `%` sequence.
    public static func unescape(_ token: String) -> String? {
        let bytes = Array(token.utf8)
        guard bytes.contains(UInt8(ascii: "%")) else { return token }
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "%") else {
                out.append(byte)
                index += 1
                continue
            }
            guard index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) else { return nil }
            out.append(high << 4 | low)
            index += 3
        }
        return String(validating: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        default: nil
        }
    }
}
