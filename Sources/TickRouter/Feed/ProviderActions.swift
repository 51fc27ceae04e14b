/// The client → provider messages, rendered as JSON text.
enum ProviderActions {
    static func auth(key: String) -> String { #"{"action":"auth","params":"# + jsonString(key) + "}" }
    static func subscribe(_ params: String) -> String { #"{"action":"subscribe","params":"# + jsonString(params) + "}" }
    static func unsubscribe(_ params: String) -> String { #"{"action":"unsubscribe","params":"# + jsonString(params) + "}" }

    /// A JSON string literal for `text`.
    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
