import Yams

/// A node of a composed YAML document together with where it came from: its file, its key path
/// (`sinks[1].path`) and the position of its first character.
///
/// Nodes are immutable snapshots. Read a mapping with ``reader(diagnostics:environment:)``.
///
/// - Important: `Yams.Node` holds a non-`Sendable` tag class that is never mutated after
///   composition, which is why this wrapper is `@unchecked Sendable`.
public struct ConfigNode: @unchecked Sendable {
    /// The composed YAML node.
    public let yaml: Node
    /// The key path from the document root, `(root)` for the document itself.
    public var keyPath: String
    /// Where the node starts.
    public var location: ConfigLocation
    /// Keys of this mapping that an earlier reader already consumed (e.g. a sink's `type`), so
    /// a plugin's reader over the same mapping does not report them as unknown.
    var consumedKeys: Set<String> = []

    /// Wraps a composed node.
    ///
    /// - Parameters:
    ///   - yaml: the composed node.
    ///   - file: the file it was read from.
    ///   - keyPath: its key path, `(root)` for a document root.
    ///   - fallback: the location to use when the node has no mark.
    public init(_ yaml: Node, file: String, keyPath: String = "(root)", fallback: ConfigLocation? = nil) {
        self.yaml = yaml
        self.keyPath = keyPath
        if let mark = yaml.mark {
            self.location = ConfigLocation(file: file, line: max(mark.line, 1), column: max(mark.column, 1))
        } else {
            self.location = fallback ?? ConfigLocation(file: file)
        }
    }

    /// The file this node was read from.
    public var file: String { location.file }

    /// Whether the node is a mapping.
    public var isMapping: Bool { if case .mapping = yaml { true } else { false } }
    /// Whether the node is a sequence.
    public var isSequence: Bool { if case .sequence = yaml { true } else { false } }
    /// Whether the node is a scalar (including null).
    public var isScalar: Bool { if case .scalar = yaml { true } else { false } }

    /// Whether the node is a plain null scalar (`~`, `null`, or nothing at all).
    public var isNull: Bool {
        guard case let .scalar(scalar) = yaml, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// The scalar's text exactly as written (no `${VAR}` interpolation), or nil for other nodes.
    public var scalarString: String? {
        if case let .scalar(scalar) = yaml { scalar.string } else { nil }
    }

    /// How to name this node's kind in an error message: "a mapping", "the value 'x'", ...
    var kindDescription: String {
        switch yaml {
        case .mapping: return "a mapping"
        case .sequence: return "a sequence"
        case .alias: return "an alias"
        case let .scalar(scalar):
            if isNull { return "nothing (null)" }
            if scalar.string.contains("${") { return "an interpolated value" }
            return "'\(ConfigNode.clip(scalar.string))'"
        }
    }

    /// Shortens long values quoted in messages.
    static func clip(_ text: String) -> String {
        text.count <= 40 ? text : String(text.prefix(37)) + "..."
    }

    /// The key path of a child under `key`.
    func path(forKey key: String) -> String {
        keyPath == "(root)" ? key : "\(keyPath).\(key)"
    }

    /// The entries of a mapping with their key nodes, in document order; empty for other nodes.
    var entries: [(key: String, keyNode: ConfigNode, value: ConfigNode)] {
        guard case let .mapping(mapping) = yaml else { return [] }
        return mapping.map { pair in
            let name = pair.key.string ?? ""
            let childPath = path(forKey: name)
            let keyNode = ConfigNode(pair.key, file: file, keyPath: childPath, fallback: location)
            let value = ConfigNode(pair.value, file: file, keyPath: childPath, fallback: keyNode.location)
            return (name, keyNode, value)
        }
    }

    /// The items of a sequence, with key paths `path[i]`; empty for other nodes.
    var items: [ConfigNode] {
        guard case let .sequence(sequence) = yaml else { return [] }
        return sequence.enumerated().map { index, item in
            ConfigNode(item, file: file, keyPath: "\(keyPath)[\(index)]", fallback: location)
        }
    }

    /// The value under `key` in a mapping, without reading or interpolating it.
    func value(forKey key: String) -> ConfigNode? {
        entries.first { $0.key == key }?.value
    }

    /// A reader over this mapping that records problems in `diagnostics`.
    ///
    /// - Parameters:
    ///   - diagnostics: where problems are recorded.
    ///   - environment: variables for `${VAR}` interpolation.
    public func reader(diagnostics: ConfigDiagnostics, environment: [String: String]) -> OptionsReader {
        OptionsReader(self, diagnostics: diagnostics, environment: environment)
    }
}

extension ConfigNode {
    /// The node as canonical YAML text: equal for equal content, whatever its layout or position.
    /// Used to tell whether a section changed between two loads of a config.
    public var canonicalText: String {
        (try? Yams.serialize(node: yaml, sortKeys: true)) ?? ""
    }
}
