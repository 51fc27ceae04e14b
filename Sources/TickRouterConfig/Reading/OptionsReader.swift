/// Reads one YAML mapping, key by key, recording every problem with its exact position.
///
/// Every accessor returns nil when the key is absent (or null) or its value is invalid; invalid
/// values are reported to the shared ``ConfigDiagnostics`` at the value's position. Keys asked
/// for are remembered, so ``finish(allowed:)`` can report the rest as unknown with a
/// did-you-mean hint.
///
/// ```swift
/// let reader = node.reader(diagnostics: diagnostics, environment: env)
/// let path = reader.requiredString("path")
/// let queue = reader.int("queue", range: 1...1_000_000) ?? 65_536
/// reader.finish()
/// ```
public final class OptionsReader {
    /// The mapping being read.
    public var node: ConfigNode
    /// Where problems go.
    public let diagnostics: ConfigDiagnostics
    /// Variables for `${VAR}` interpolation.
    public let environment: [String: String]
    /// Keys asked for (present or not), in order: the vocabulary for did-you-mean.
    private(set) var knownKeys: [String] = []
    /// Whether ``finish(allowed:)`` already ran.
    private var finished = false
    /// Whether the node was not a mapping (already reported).
    private let invalid: Bool

    /// Creates a reader over a mapping. A null node reads as an empty mapping; any other
    /// non-mapping node is reported as a type error and reads as empty.
    ///
    /// - Parameters:
    ///   - node: the mapping to read.
    ///   - diagnostics: where problems are recorded.
    ///   - environment: variables for `${VAR}` interpolation.
    public init(_ node: ConfigNode, diagnostics: ConfigDiagnostics, environment: [String: String]) {
        self.node = node
        self.diagnostics = diagnostics
        self.environment = environment
        if node.isMapping || node.isNull {
            invalid = false
        } else {
            invalid = true
            diagnostics.error("expected a mapping, found \(node.kindDescription)", at: node)
        }
        for entry in node.entries {
            if entry.keyNode.isScalar { continue }
            diagnostics.error("mapping keys must be plain names, found \(entry.keyNode.kindDescription)", at: entry.keyNode)
        }
    }

    // MARK: Presence and raw access

    /// Whether the key is present with a non-null value. Counts as reading it.
    public func has(_ key: String) -> Bool {
        guard let value = child(key) else { return false }
        return !value.isNull
    }

    /// The raw value under `key` (null included), or nil if absent. Counts as reading it.
    public func child(_ key: String) -> ConfigNode? {
        remember(key)
        return node.value(forKey: key)
    }

    /// The value under `key`, nil when absent or null.
    func present(_ key: String) -> ConfigNode? {
        guard let value = child(key), !value.isNull else { return nil }
        return value
    }

    private func remember(_ key: String) {
        if !knownKeys.contains(key) { knownKeys.append(key) }
    }

    // MARK: Scalars

    /// The interpolated text of a scalar node, or nil (reported) for other nodes and bad `${...}`.
    public func scalar(_ value: ConfigNode, expected: String) -> InterpolatedValue? {
        guard value.isScalar, let raw = value.scalarString else {
            diagnostics.error("expected \(expected), found \(value.kindDescription)", at: value)
            return nil
        }
        let (result, problems) = Interpolation.apply(raw, environment: environment)
        for problem in problems {
            diagnostics.error(problem.message, at: value, hint: problem.hint)
        }
        return problems.isEmpty ? result : nil
    }

    /// Quotes a value for a message, unless it came from a secret variable.
    func quoted(_ value: InterpolatedValue) -> String {
        value.isSecret ? "a secret value from the environment" : "'\(ConfigNode.clip(value.text))'"
    }

    /// A string (any scalar; numbers are kept as written).
    public func string(_ key: String) -> String? {
        guard let value = present(key) else { return nil }
        return scalar(value, expected: "a string")?.text
    }

    /// A string that must be present; a missing key is reported at the mapping.
    public func requiredString(_ key: String, hint: String? = nil) -> String? {
        guard let value = child(key) else {
            missing(key, hint: hint)
            return nil
        }
        if value.isNull {
            diagnostics.error("key '\(key)' has no value", at: value, hint: hint)
            return nil
        }
        return scalar(value, expected: "a string")?.text
    }

    /// A string together with whether it is secret (came from a KEY/TOKEN/SECRET/PASSWORD variable).
    public func interpolated(_ key: String) -> InterpolatedValue? {
        guard let value = present(key) else { return nil }
        return scalar(value, expected: "a string")
    }

    /// Reports a missing required key at the mapping (key path = the missing key's path).
    public func missing(_ key: String, hint: String? = nil) {
        var diagnostic = ConfigDiagnostic(
            severity: .error, location: node.location, keyPath: node.path(forKey: key),
            message: "missing required key '\(key)'", hint: hint
        )
        if node.keyPath == "(root)" { diagnostic.keyPath = key }
        diagnostics.report(diagnostic)
    }

    /// An integer (`65536`, `50_000`), optionally limited to a range.
    public func int(_ key: String, range: ClosedRange<Int>? = nil) -> Int? {
        guard let value = present(key), let text = scalar(value, expected: "an integer") else { return nil }
        guard let number = ScalarParsing.int(text.text) else {
            diagnostics.error("expected an integer, found \(quoted(text))", at: value)
            return nil
        }
        if let range, !range.contains(number) {
            diagnostics.error(
                "\(number) is out of range", at: value,
                hint: "\(key) must be between \(range.lowerBound) and \(range.upperBound)"
            )
            return nil
        }
        return number
    }

    /// A floating-point number.
    public func double(_ key: String) -> Double? {
        guard let value = present(key), let text = scalar(value, expected: "a number") else { return nil }
        guard let number = ScalarParsing.double(text.text) else {
            diagnostics.error("expected a number, found \(quoted(text))", at: value)
            return nil
        }
        return number
    }

    /// A boolean: `true`/`false` (also `yes`/`no`, `on`/`off`).
    public func bool(_ key: String) -> Bool? {
        guard let value = present(key), let text = scalar(value, expected: "a boolean") else { return nil }
        guard let flag = ScalarParsing.bool(text.text) else {
            diagnostics.error("expected a boolean (true or false), found \(quoted(text))", at: value)
            return nil
        }
        return flag
    }

    /// One of a fixed set of names; an unknown name is reported with a did-you-mean hint.
    public func choice<T>(_ key: String, _ choices: KeyValuePairs<String, T>) -> T? {
        guard let value = present(key) else { return nil }
        return choice(of: value, choices)
    }

    /// Like ``choice(_:_:)`` for a node already in hand (a sequence item, say).
    public func choice<T>(of value: ConfigNode, _ choices: KeyValuePairs<String, T>) -> T? {
        let names = choices.map(\.key)
        guard let text = scalar(value, expected: "one of " + names.joined(separator: ", ")) else { return nil }
        if let match = choices.first(where: { $0.key == text.text }) { return match.value }
        diagnostics.error(
            "unknown value \(quoted(text)) for '\(lastComponent(value.keyPath))'", at: value,
            hint: text.isSecret ? nil : suggestion(for: text.text, among: names)
        )
        return nil
    }

    // MARK: Collections

    /// A list of strings: a sequence of scalars, or a single scalar as a one-element list.
    public func stringList(_ key: String) -> [String]? {
        guard let value = present(key) else { return nil }
        return stringList(of: value)
    }

    /// Like ``stringList(_:)`` for a node already in hand.
    public func stringList(of value: ConfigNode) -> [String]? {
        if value.isScalar { return scalar(value, expected: "a list of strings").map { [$0.text] } }
        guard value.isSequence else {
            diagnostics.error("expected a list of strings, found \(value.kindDescription)", at: value)
            return nil
        }
        var result: [String] = []
        var valid = true
        for item in value.items {
            if let text = scalar(item, expected: "a string") { result.append(text.text) } else { valid = false }
        }
        return valid ? result : nil
    }

    /// A child reader for a nested mapping (sharing diagnostics); nil when absent, null or not a mapping.
    public func mapping(_ key: String) -> OptionsReader? {
        guard let value = present(key) else { return nil }
        guard value.isMapping else {
            diagnostics.error("expected a mapping, found \(value.kindDescription)", at: value)
            return nil
        }
        return OptionsReader(value, diagnostics: diagnostics, environment: environment)
    }

    /// The items of a sequence; nil (reported) when the value is not a sequence.
    public func sequence(_ key: String) -> [ConfigNode]? {
        guard let value = present(key) else { return nil }
        guard value.isSequence else {
            diagnostics.error("expected a sequence (a list), found \(value.kindDescription)", at: value)
            return nil
        }
        return value.items
    }

    /// Every entry of a mapping with free keys (e.g. `assign: {primary: [...]}`); marks all as read.
    public func mappingEntries() -> [(key: String, keyNode: ConfigNode, value: ConfigNode)] {
        let entries = node.entries
        for entry in entries { remember(entry.key) }
        return entries
    }

    // MARK: Reporting

    /// Reports an error about `key`, at its value (or at the mapping when the key is absent).
    public func error(_ message: String, key: String, hint: String? = nil) {
        if let value = node.value(forKey: key) {
            diagnostics.error(message, at: value, hint: hint)
        } else {
            diagnostics.report(.init(
                severity: .error, location: node.location, keyPath: node.path(forKey: key), message: message, hint: hint
            ))
        }
    }

    /// Reports a warning about `key`, at its value (or at the mapping when the key is absent).
    public func warning(_ message: String, key: String, hint: String? = nil) {
        let target = node.value(forKey: key) ?? ConfigNode(node.yaml, file: node.file, keyPath: node.path(forKey: key))
        diagnostics.warning(message, at: target, hint: hint)
    }

    /// Reports every key that was not read and is not in `allowed` as unknown, at the key itself,
    /// with a did-you-mean hint (or the list of valid keys). Runs once.
    public func finish(allowed: [String]? = nil) {
        guard !finished, !invalid else { return }
        finished = true
        let accepted = knownKeys + (allowed ?? []) + node.consumedKeys.sorted()
        for entry in node.entries where !accepted.contains(entry.key) {
            let vocabulary = accepted.reduce(into: [String]()) { if !$0.contains($1) { $0.append($1) } }
            diagnostics.error(
                "unknown key '\(ConfigNode.clip(entry.key))'", at: entry.keyNode,
                hint: suggestion(for: entry.key, among: vocabulary, noun: "valid keys")
            )
        }
    }

    private func lastComponent(_ keyPath: String) -> String {
        keyPath.split(separator: ".").last.map(String.init) ?? keyPath
    }
}
