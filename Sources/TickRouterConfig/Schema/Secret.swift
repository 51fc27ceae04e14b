/// A secret (API key, token) that prints as `<redacted>` everywhere: description, debug
/// description, `dump`, string interpolation. Only ``value`` reveals it.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The secret itself. Never log it.
    public var value: String

    /// Wraps a secret value.
    ///
    /// - Parameter value: the secret.
    public init(_ value: String) { self.value = value }

    /// Always `<redacted>`.
    public var description: String { "<redacted>" }
    /// Always `<redacted>`.
    public var debugDescription: String { "<redacted>" }
    /// A mirror without children, so `dump` shows nothing.
    public var customMirror: Mirror { Mirror(self, children: [:]) }
}
