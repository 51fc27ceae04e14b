import Foundation

/// `${VAR}` and `${VAR:-default}` interpolation of scalar values.
///
/// Interpolation happens when a scalar is read, not on the file text, so every position stays
/// exact. `$${` writes a literal `${`. A value is secret when any variable it used has a name
/// containing KEY, TOKEN, SECRET or PASSWORD; secret values are never quoted in diagnostics.
public struct InterpolatedValue: Sendable, Hashable {
    /// The text after substitution.
    public var text: String
    /// Whether a variable with a secret-looking name contributed to the text.
    public var isSecret: Bool
    /// Whether any `${...}` was substituted.
    public var usedEnvironment: Bool
}

/// A problem found while interpolating one scalar.
struct InterpolationProblem: Equatable {
    var message: String
    var hint: String?
}

enum Interpolation {
    /// Substrings of variable names that mark a value as secret.
    static let secretMarkers = ["KEY", "TOKEN", "SECRET", "PASSWORD"]

    /// Whether a variable name looks like it holds a secret.
    static func isSecretName(_ name: String) -> Bool {
        let upper = name.uppercased()
        return secretMarkers.contains { upper.contains($0) }
    }

    /// Substitutes every `${VAR}` / `${VAR:-default}` in `text`.
    static func apply(
        _ text: String,
        environment: [String: String]
    ) -> (value: InterpolatedValue, problems: [InterpolationProblem]) {
        guard text.contains("${") else {
            return (InterpolatedValue(text: text, isSecret: false, usedEnvironment: false), [])
        }
        var output = ""
        var problems: [InterpolationProblem] = []
        var secret = false
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            let before = rest[rest.startIndex..<start.lowerBound]
            if before.hasSuffix("$") {  // `$${` is a literal `${`
                output += before.dropLast() + "${"
                rest = rest[start.upperBound...]
                continue
            }
            output += before
            guard let close = rest[start.upperBound...].firstIndex(of: "}") else {
                problems.append(.init(message: "unterminated '${' in value", hint: "write ${VAR} or ${VAR:-default}"))
                output += rest[start.lowerBound...]
                rest = rest[rest.endIndex...]
                break
            }
            let body = rest[start.upperBound..<close]
            rest = rest[rest.index(after: close)...]
            let name: Substring
            let fallback: Substring?
            if let separator = body.range(of: ":-") {
                name = body[body.startIndex..<separator.lowerBound]
                fallback = body[separator.upperBound...]
            } else {
                name = body
                fallback = nil
            }
            guard isValidName(name) else {
                problems.append(.init(
                    message: "invalid environment variable name '\(ConfigNode.clip(String(name)))'",
                    hint: "names are letters, digits and '_', not starting with a digit"
                ))
                continue
            }
            let variable = String(name)
            if let value = environment[variable] {
                output += value
                if isSecretName(variable) { secret = true }
            } else if let fallback {
                output += fallback
            } else {
                problems.append(.init(
                    message: "environment variable \(variable) is not set",
                    hint: "set \(variable) or write ${\(variable):-default}"
                ))
            }
        }
        output += rest
        return (InterpolatedValue(text: output, isSecret: secret, usedEnvironment: true), problems)
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`.
    static func isValidName(_ name: Substring) -> Bool {
        guard let first = name.unicodeScalars.first, !name.isEmpty else { return false }
        func isLetter(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("A"..."Z").contains(c) || c == "_" }
        guard isLetter(first) else { return false }
        return name.unicodeScalars.allSatisfy { isLetter($0) || ("0"..."9").contains($0) }
    }
}
