/// Positions and messages produced while loading a configuration.

/// A position in a configuration file: 1-based line and column (columns count Unicode scalars).
public struct ConfigLocation: Sendable, Hashable, CustomStringConvertible {
    /// The file the position is in, as given to the loader.
    public var file: String
    /// 1-based line number.
    public var line: Int
    /// 1-based column number.
    public var column: Int

    /// Creates a location; every parameter has a default so `.init()` is valid.
    ///
    /// - Parameters:
    ///   - file: the file the position is in.
    ///   - line: 1-based line number.
    ///   - column: 1-based column number.
    public init(file: String = "", line: Int = 1, column: Int = 1) {
        self.file = file
        self.line = line
        self.column = column
    }

    /// `PATH:LINE:COL`.
    public var description: String { "\(file):\(line):\(column)" }
}

/// One problem (or a warning) found in a configuration, with where it is and how to fix it.
///
/// Its description is the compiler-style line `tickrouter validate` prints:
/// ```
/// config/x.yaml:12:7: error: sinks[1].path: duplicate path 'a.sock' (already used by sinks[0])
/// ```
public struct ConfigDiagnostic: Sendable, Hashable, CustomStringConvertible {
    /// How serious a diagnostic is: errors stop the load, warnings do not.
    public enum Severity: String, Sendable {
        case error, warning
    }

    /// Error or warning.
    public var severity: Severity
    /// Where the offending node starts (for unknown keys: the key itself).
    public var location: ConfigLocation
    /// The key path of the offending node, e.g. `sinks[1].path`; `(root)` for document-level problems.
    public var keyPath: String
    /// What is wrong. Never contains a secret value.
    public var message: String
    /// What to do about it, if there is a useful suggestion.
    public var hint: String?

    /// Creates a diagnostic.
    ///
    /// - Parameters:
    ///   - severity: error or warning.
    ///   - location: where the offending node starts.
    ///   - keyPath: the offending node's key path, `(root)` for the document.
    ///   - message: what is wrong.
    ///   - hint: what to do about it.
    public init(
        severity: Severity = .error,
        location: ConfigLocation = .init(),
        keyPath: String = "(root)",
        message: String = "",
        hint: String? = nil
    ) {
        self.severity = severity
        self.location = location
        self.keyPath = keyPath
        self.message = message
        self.hint = hint
    }

    /// `PATH:LINE:COL: error: key.path: message (hint)`; the hint part is omitted when there is none.
    public var description: String {
        var text = "\(location): \(severity.rawValue): \(keyPath): \(message)"
        if let hint { text += " (\(hint))" }
        return text
    }
}

/// The error thrown when a configuration cannot be used: every diagnostic found, errors first.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    /// All diagnostics, errors first (in the order found), then warnings.
    public var diagnostics: [ConfigDiagnostic]

    /// Creates an error over some diagnostics; they are reordered errors first, then warnings.
    ///
    /// - Parameter diagnostics: the problems found.
    public init(diagnostics: [ConfigDiagnostic] = []) {
        self.diagnostics = diagnostics.filter { $0.severity == .error } + diagnostics.filter { $0.severity == .warning }
    }

    /// Only the errors.
    public var errors: [ConfigDiagnostic] { diagnostics.filter { $0.severity == .error } }

    /// One diagnostic per line, errors first.
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}

/// Collects diagnostics while a configuration (and its plugins' options) is being read.
///
/// Load-time only and not thread-safe: create one per load, share it between readers, then turn
/// it into a ``ConfigError`` if ``hasErrors``.
public final class ConfigDiagnostics {
    /// Everything reported so far, in order.
    public private(set) var all: [ConfigDiagnostic] = []

    /// Creates an empty collector.
    public init() {}

    /// Whether any error (not warning) was reported.
    public var hasErrors: Bool { all.contains { $0.severity == .error } }

    /// The errors reported so far.
    public var errors: [ConfigDiagnostic] { all.filter { $0.severity == .error } }

    /// The warnings reported so far.
    public var warnings: [ConfigDiagnostic] { all.filter { $0.severity == .warning } }

    /// Reports an error at a node (its key path and the position of its first character).
    public func error(_ message: String, at node: ConfigNode, hint: String? = nil) {
        report(.init(severity: .error, location: node.location, keyPath: node.keyPath, message: message, hint: hint))
    }

    /// Reports a warning at a node.
    public func warning(_ message: String, at node: ConfigNode, hint: String? = nil) {
        report(.init(severity: .warning, location: node.location, keyPath: node.keyPath, message: message, hint: hint))
    }

    /// Reports an already-built diagnostic; exact duplicates are ignored.
    public func report(_ diagnostic: ConfigDiagnostic) {
        guard !all.contains(diagnostic) else { return }
        all.append(diagnostic)
    }

    /// A ``ConfigError`` carrying everything reported so far.
    public var asError: ConfigError { ConfigError(diagnostics: all) }
}
