import Foundation

/// Decoding of the `universe` section and universe files.
struct UniverseDecoder {
    let context: OptionsContext
    var symbols: [String] = []
    var names: [String: [String]] = [:]
    private var seen: Set<String> = []

    init(context: OptionsContext) { self.context = context }

    /// Reads `universe`: either a list of symbols, or `{symbols: [...], files: [paths], named:
    /// {name: [...]}}`. Files are YAML: a list of symbols or `{symbols: [...]}`. The resolved
    /// universe is symbols, then files, then named universes, deduplicated in order.
    mutating func decode(root: OptionsReader) {
        let hint = "list symbols under universe.symbols or files under universe.files"
        guard let node = root.child("universe") else {
            root.missing("universe", hint: hint)
            return
        }
        let errorsBefore = context.diagnostics.errors.count
        if node.isSequence || node.isScalar && !node.isNull {
            if let list = root.stringList(of: node) { add(list, items: node.isSequence ? node.items : [node], root) }
        } else if node.isMapping {
            let r = OptionsReader(node, diagnostics: root.diagnostics, environment: root.environment)
            if let list = r.child("symbols"), !list.isNull, let values = r.stringList(of: list) {
                add(values, items: list.isSequence ? list.items : [list], r)
            }
            for item in r.sequence("files") ?? (r.child("files").flatMap { $0.isScalar && !$0.isNull ? [$0] : nil } ?? []) {
                if let path = r.scalar(item, expected: "a file path")?.text { loadFile(path, at: item, r) }
            }
            if let named = r.mapping("named") {
                for entry in named.mappingEntries() {
                    guard let values = named.stringList(of: entry.value) else { continue }
                    add(values, items: entry.value.isSequence ? entry.value.items : [entry.value], named)
                    names[entry.key] = values.filter(isValidSymbol)
                }
            }
            r.finish()
        } else if !node.isNull {
            root.diagnostics.error("expected a list of symbols or a mapping, found \(node.kindDescription)", at: node)
            return
        }
        if symbols.isEmpty, context.diagnostics.errors.count == errorsBefore {
            root.diagnostics.error("the universe is empty", at: node, hint: hint)
        }
    }

    private mutating func add(_ values: [String], items: [ConfigNode], _ r: OptionsReader) {
        for (index, symbol) in values.enumerated() {
            guard isValidSymbol(symbol) else {
                let node = index < items.count ? items[index] : r.node
                r.diagnostics.error("invalid symbol '\(ConfigNode.clip(symbol))'", at: node,
                                    hint: "a symbol is one word without spaces or commas, e.g. AAPL or X:BTCUSD")
                continue
            }
            if seen.insert(symbol).inserted { symbols.append(symbol) }
        }
    }

    private func isValidSymbol(_ symbol: String) -> Bool {
        !symbol.isEmpty && !symbol.contains { $0.isWhitespace || $0 == "," }
    }

    private mutating func loadFile(_ path: String, at item: ConfigNode, _ r: OptionsReader) {
        let resolved = context.resolvePath(path)
        guard context.fileExists(resolved) else {
            r.diagnostics.error("universe file '\(ConfigNode.clip(path))' does not exist", at: item,
                                hint: "paths are relative to the config file's directory (\(context.baseDirectory)) or the working directory")
            return
        }
        guard let data = FileManager.default.contents(atPath: resolved), let text = String(data: data, encoding: .utf8) else {
            r.diagnostics.error("cannot read universe file '\(ConfigNode.clip(path))' as UTF-8 text", at: item)
            return
        }
        guard let root = YAMLDocument.parse(text, file: resolved, diagnostics: r.diagnostics,
                                            emptyMessage: "universe file is empty") else { return }
        let fileReader = OptionsReader(root, diagnostics: r.diagnostics, environment: r.environment)
        if root.isMapping {
            guard let list = fileReader.child("symbols"), !list.isNull else {
                fileReader.missing("symbols", hint: "a universe file is a list of symbols or {symbols: [...]}")
                return
            }
            if let values = fileReader.stringList(of: list) { add(values, items: list.items, fileReader) }
            fileReader.finish()
        } else if let values = fileReader.stringList(of: root) {
            add(values, items: root.items, fileReader)
        }
    }
}
