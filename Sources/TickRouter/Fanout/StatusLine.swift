/// Provider-shaped status objects sent to downstream clients: `{"ev":"status","status":...,"message":...}`.
public enum StatusLine {
    /// The JSON object (no trailing newline, no array brackets).
    public static func json(status: String, message: String, extra: [(String, Int)] = []) -> String {
        var text = #"{"ev":"status","status":"# + ProviderActions.jsonString(status) + #","message":"# + ProviderActions.jsonString(message)
        for (key, value) in extra { text += ",\(ProviderActions.jsonString(key)):\(value)" }
        return text + "}"
    }
}
