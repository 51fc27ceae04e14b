/// Decoding of the `sinks` section (the common keys; plugins read the rest).
extension SinkConfiguration {
    /// Keys the loader reads from every sink; a plugin's reader over ``options`` accepts them.
    static let commonKeys: Set<String> = ["type", "name", "channels", "symbols"]

    /// Reads `sinks`: a list of mappings with `type` (a registered sink), optional `name`
    /// (unique; default the type, or `type-index` when the type is repeated), `channels` (a
    /// filter of carried channels) and `symbols` (a filter).
    static func decodeAll(root: OptionsReader, market: Market, carried: Set<FeedChannel>?, sinkTypes: [String], unavailable: [String: String] = [:]) -> [SinkConfiguration] {
        guard let section = root.child("sinks"), !section.isNull else {
            root.warning("no sinks: events are routed nowhere", key: "sinks", hint: "add e.g. sinks: [{ type: stdout, format: summary }]")
            return []
        }
        guard let items = root.sequence("sinks") else { return [] }
        var types: [String: Int] = [:]
        for item in items { if let type = item.value(forKey: "type")?.scalarString { types[type, default: 0] += 1 } }
        var result: [SinkConfiguration] = []
        var firstUse: [String: String] = [:]
        for (index, item) in items.enumerated() {
            let r = OptionsReader(item, diagnostics: root.diagnostics, environment: root.environment)
            guard item.isMapping else { continue }
            guard let type = r.requiredString("type", hint: "registered sinks: " + sinkTypes.joined(separator: ", ")) else { continue }
            if !sinkTypes.isEmpty, !sinkTypes.contains(type) {
                let hint = unavailable[type] ?? suggestion(for: type, among: sinkTypes, noun: "registered sinks")
                r.error("unknown sink type '\(ConfigNode.clip(type))'", key: "type", hint: hint)
                continue
            }
            var name = (types[type] ?? 0) > 1 ? "\(type)-\(index)" : type
            if let given = r.string("name") {
                if given.isEmpty { r.error("sink name is empty", key: "name") } else { name = given }
            }
            if let first = firstUse[name] {
                r.error("duplicate sink name '\(name)'", key: "name", hint: "already used by \(first); give each sink a unique name")
            } else {
                firstUse[name] = item.keyPath
            }
            var channels: [FeedChannel]?
            if let list = r.child("channels"), !list.isNull {
                channels = decodeFilter(list, r, market: market, carried: carried)
            }
            let symbols = r.stringList("symbols")
            var options = item
            options.consumedKeys = commonKeys
            result.append(.init(type: type, name: name, channels: channels, symbols: symbols, options: options, location: item.location))
        }
        return result
    }

    private static func decodeFilter(_ list: ConfigNode, _ r: OptionsReader, market: Market, carried: Set<FeedChannel>?) -> [FeedChannel] {
        if !list.isScalar, !list.isSequence {
            r.diagnostics.error("expected a list of channels, found \(list.kindDescription)", at: list)
            return []
        }
        var channels: [FeedChannel] = []
        for item in list.isScalar ? [list] : list.items {
            guard let channel = ChannelParsing.channel(item, reader: r, market: market) else { continue }
            if carried?.contains(channel) ?? true {
                if !channels.contains(channel) { channels.append(channel) }
            } else {
                r.diagnostics.error("no connection carries \(channel.code)", at: item,
                                    hint: "add \(channel.code) to a connection's channels, or remove it from this sink's filter")
            }
        }
        return channels
    }
}
