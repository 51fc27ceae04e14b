/// Decoding of the `connections` section.
extension ConnectionConfiguration {
    /// Reads `connections`: a non-empty list of `{name, feed: realtime|delayed|business|launchpad,
    /// channels: [...]}`. Names are unique; each channel must exist on the market and be served
    /// by the connection's feed. Returns nil when the section is missing or not a list.
    static func decodeAll(root: OptionsReader, market: Market) -> [ConnectionConfiguration]? {
        let example = "e.g. connections: [{ name: primary, feed: realtime, channels: [T, Q] }]"
        guard root.child("connections") != nil else {
            root.missing("connections", hint: example)
            return nil
        }
        guard let items = root.sequence("connections") else {
            if root.child("connections")?.isNull == true {
                root.error("no connections", key: "connections", hint: example)
            }
            return nil
        }
        if items.isEmpty {
            root.error("no connections", key: "connections", hint: example)
            return nil
        }
        var result: [ConnectionConfiguration] = []
        var firstUse: [String: String] = [:]
        for item in items {
            let r = OptionsReader(item, diagnostics: root.diagnostics, environment: root.environment)
            guard item.isMapping else { continue }
            let name = r.requiredString("name", hint: "every connection needs a unique name, e.g. primary")
            if let name {
                if name.isEmpty {
                    r.error("connection name is empty", key: "name", hint: "every connection needs a unique name, e.g. primary")
                } else if let first = firstUse[name] {
                    r.error("duplicate connection name '\(name)'", key: "name", hint: "already used by \(first); names must be unique")
                } else {
                    firstUse[name] = item.keyPath
                }
            }
            let feeds: KeyValuePairs<String, FeedKind> = [
                "realtime": .realtime, "delayed": .delayed, "business": .business, "launchpad": .launchpad,
            ]
            let feed = r.choice("feed", feeds) ?? .realtime
            let channels = decodeChannels(r, market: market, feed: feed)
            r.finish()
            result.append(.init(name: name ?? "", feed: feed, channels: channels, location: item.location))
        }
        return result
    }

    private static func decodeChannels(_ r: OptionsReader, market: Market, feed: FeedKind) -> [FeedChannel] {
        guard let list = r.child("channels"), !list.isNull else {
            r.missing("channels", hint: "the \(feed.rawValue) feed serves " + codes(market.channels(on: feed)))
            return []
        }
        let items = list.isScalar ? [list] : list.items
        if !list.isScalar, !list.isSequence {
            r.diagnostics.error("expected a list of channels, found \(list.kindDescription)", at: list)
            return []
        }
        if items.isEmpty {
            r.error("connection has no channels", key: "channels", hint: "the \(feed.rawValue) feed serves " + codes(market.channels(on: feed)))
        }
        var channels: [FeedChannel] = []
        for item in items {
            guard let channel = ChannelParsing.channel(item, reader: r, market: market) else { continue }
            if !market.channels(on: feed).contains(channel) {
                let serving = market.feeds(serving: channel).map(\.rawValue)
                let hint = serving.isEmpty ? nil
                    : "\(channel.code) is served by the \(serving.joined(separator: " or ")) feed"
                r.diagnostics.error("channel \(channel.code) is not served by the \(feed.rawValue) feed", at: item, hint: hint)
            } else if channels.contains(channel) {
                r.diagnostics.warning("channel \(channel.code) is listed twice", at: item)
            } else {
                channels.append(channel)
            }
        }
        return channels
    }

    private static func codes(_ channels: [FeedChannel]) -> String {
        channels.isEmpty ? "no channels" : channels.map(\.code).joined(separator: ", ")
    }
}

/// Parsing of channel codes in lists (connections, processors, sink filters).
enum ChannelParsing {
    /// The channel a scalar names, checked against the market; reports unknown codes with a
    /// did-you-mean among the market's channels, and codes of other markets.
    static func channel(_ node: ConfigNode, reader r: OptionsReader, market: Market) -> FeedChannel? {
        guard let text = r.scalar(node, expected: "a channel code") else { return nil }
        return channel(named: text.text, at: node, diagnostics: r.diagnostics, market: market)
    }

    /// Like ``channel(_:reader:market:)`` for a name already read (e.g. a mapping key).
    static func channel(named code: String, at node: ConfigNode, diagnostics: ConfigDiagnostics, market: Market) -> FeedChannel? {
        let valid = market.allChannels.map(\.code)
        guard let channel = FeedChannel(code: code) else {
            diagnostics.error("unknown channel '\(ConfigNode.clip(code))'", at: node,
                              hint: suggestion(for: code, among: valid, noun: "\(market.rawValue) channels"))
            return nil
        }
        guard market.allChannels.contains(channel) else {
            diagnostics.error("channel \(code) does not exist on the \(market.rawValue) market", at: node,
                              hint: "\(market.rawValue) channels: " + valid.joined(separator: ", "))
            return nil
        }
        return channel
    }
}
