import Foundation
import Yams

/// Composes YAML text into a ``ConfigNode`` tree, turning Yams errors into positioned diagnostics.
enum YAMLDocument {
    /// The document's root, or nil when the text is not valid YAML (reported) or empty (reported
    /// as `emptyMessage` when given).
    static func parse(_ text: String, file: String, diagnostics: ConfigDiagnostics, emptyMessage: String?) -> ConfigNode? {
        do {
            guard let root = try Yams.compose(yaml: text) else {
                if let emptyMessage {
                    diagnostics.report(.init(location: .init(file: file), message: emptyMessage))
                }
                return nil
            }
            return ConfigNode(root, file: file, fallback: .init(file: file))
        } catch let error as YamlError {
            diagnostics.report(diagnostic(for: error, text: text, file: file))
        } catch {
            diagnostics.report(.init(location: .init(file: file), message: "cannot parse YAML: \(error)"))
        }
        return nil
    }

    /// A `(root)` diagnostic for a Yams error, at its mark when it has one.
    static func diagnostic(for error: YamlError, text: String, file: String) -> ConfigDiagnostic {
        func located(_ mark: Mark, _ message: String, _ hint: String? = nil) -> ConfigDiagnostic {
            at((mark.line, mark.column), message, hint)
        }
        func at(_ position: (line: Int, column: Int), _ message: String, _ hint: String? = nil) -> ConfigDiagnostic {
            .init(location: .init(file: file, line: max(position.line, 1), column: max(position.column, 1)),
                  message: message, hint: hint)
        }
        switch error {
        case let .scanner(context, problem, mark, _), let .parser(context, problem, mark, _),
             let .composer(context, problem, mark, _):
            let detail = context.map { " (\($0.text))" } ?? ""
            return located(mark, "invalid YAML: \(problem)\(detail)", "check indentation, quotes and brackets here")
        case let .duplicatedKeysInMapping(duplicates, context):
            let key = duplicates.first ?? ""
            let position = secondOccurrence(of: key, after: context.mark, in: text)
                ?? (context.mark.line, context.mark.column)
            return at(position, "duplicate key '\(ConfigNode.clip(key))'", "a key may appear only once in a mapping; merge or remove one")
        case let .reader(problem, offset, _, _):
            return .init(location: .init(file: file), message: "cannot read YAML: \(problem)" + (offset.map { " at byte \($0)" } ?? ""))
        default:
            return .init(location: .init(file: file), message: "invalid YAML: \(error)")
        }
    }

    /// Best effort: where a duplicated key appears again after its first occurrence (same
    /// column in block style, or later on the same line in flow style).
    static func secondOccurrence(of key: String, after first: Mark, in text: String) -> (line: Int, column: Int)? {
        guard !key.isEmpty else { return nil }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { Array($0.unicodeScalars) }
        let needle = Array(key.unicodeScalars)
        func isKey(at column: Int, in line: [Unicode.Scalar]) -> Bool {
            guard column + needle.count <= line.count, Array(line[column..<column + needle.count]) == needle else { return false }
            if column > 0, !" \t{,-".unicodeScalars.contains(line[column - 1]) { return false }
            var index = column + needle.count
            while index < line.count, line[index] == " " { index += 1 }
            return index < line.count && line[index] == ":"
        }
        let firstLine = first.line - 1
        guard firstLine >= 0, firstLine < lines.count else { return nil }
        let line = lines[firstLine]
        var column = first.column - 1 + needle.count
        while column < line.count {
            if isKey(at: column, in: line) { return (first.line, column + 1) }
            column += 1
        }
        for index in (firstLine + 1)..<lines.count {
            if isKey(at: first.column - 1, in: lines[index]) { return (index + 1, first.column) }
        }
        return nil
    }
}
