/// A file sink's path template: literal text with `{market}`, `{channel}`, `{date}` (UTC
/// `YYYY-MM-DD`), `{hour}` (UTC `HH`) and `{symbol}` placeholders.
struct PathTemplate: Sendable, Equatable {
    enum Part: Sendable, Equatable { case literal(String), market, channel, date, hour, symbol }

    let parts: [Part]
    let text: String

    var usesSymbol: Bool { parts.contains(.symbol) }

    /// Parses a template; the error names the first unknown or unclosed placeholder.
    static func parse(_ text: String) -> Result<PathTemplate, TemplateError> {
        var parts: [Part] = []
        var literal = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{") {
            literal += rest[..<open]
            guard let close = rest[open...].firstIndex(of: "}") else { return .failure(TemplateError("unclosed '{' in path")) }
            let name = rest[rest.index(after: open)..<close]
            let part: Part
            switch name {
            case "market": part = .market
            case "channel": part = .channel
            case "date": part = .date
            case "hour": part = .hour
            case "symbol": part = .symbol
            default: return .failure(TemplateError("unknown placeholder {\(name)}"))
            }
            if !literal.isEmpty { parts.append(.literal(literal)) }
            literal = ""
            parts.append(part)
            rest = rest[rest.index(after: close)...]
        }
        literal += rest
        if !literal.isEmpty { parts.append(.literal(literal)) }
        guard !text.hasSuffix("/") else { return .failure(TemplateError("path names a directory, not a file")) }
        return .success(PathTemplate(parts: parts, text: text))
    }

    /// The path for one file. `symbol` is made safe for a single path component.
    func expand(market: String, channel: String, date: String, hour: String, symbol: String) -> String {
        var path = ""
        for part in parts {
            switch part {
            case .literal(let text): path += text
            case .market: path += market
            case .channel: path += channel
            case .date: path += date
            case .hour: path += hour
            case .symbol: path += Self.safeComponent(symbol)
            }
        }
        return path
    }

    /// Keeps letters, digits, `.`, `-`, `_`, `:`; anything else (a `/`, say) becomes `_`; `.`/`..` become `_`.
    static func safeComponent(_ text: String) -> String {
        if text.isEmpty || text == "." || text == ".." { return "_" }
        let scalars = text.unicodeScalars.map { scalar -> Character in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", ".", "-", "_", ":": Character(scalar)
            default: "_"
            }
        }
        return String(scalars)
    }

    struct TemplateError: Error {
        var message: String
        init(_ message: String) { self.message = message }
    }
}
