/// Decoding of the `routing`, `processors` and `admin` sections.
extension RoutingConfiguration {
    /// Reads `routing`: `strategy` (a registered strategy, default round-robin), `options`
    /// (mapping, for the plugin), `failover` (bool, default true), `failback_after` (duration, default 30s),
    /// `rebalance` (mapping, for the plugin).
    init(root: OptionsReader, strategies: [String]) {
        self.init(location: root.node.location, strategyLocation: root.node.location)
        guard let r = root.mapping("routing") else { return }
        location = r.node.location
        strategyLocation = r.node.location
        if let value = r.child("strategy"), !value.isNull, let name = r.string("strategy") {
            strategyLocation = value.location
            if strategies.isEmpty || strategies.contains(name) {
                strategy = name
            } else {
                r.diagnostics.error("unknown routing strategy '\(ConfigNode.clip(name))'", at: value,
                                    hint: suggestion(for: name, among: strategies, noun: "registered strategies"))
            }
        }
        options = Self.optionalMapping("options", r)
        failover = r.bool("failover") ?? true
        failbackAfter = r.duration("failback_after") ?? failbackAfter
        rebalance = Self.optionalMapping("rebalance", r)
        r.finish()
    }

    private static func optionalMapping(_ key: String, _ r: OptionsReader) -> ConfigNode? {
        guard let value = r.child(key), !value.isNull else { return nil }
        guard value.isMapping else {
            r.diagnostics.error("expected a mapping, found \(value.kindDescription)", at: value)
            return nil
        }
        return value
    }
}

extension ProcessorConfiguration {
    /// Reads `processors.X`: `buffer` (1...10 000 000, default 1000), `overflow` (drop-oldest |
    /// drop-newest | conflate | block), `dedup` (bool), `throttle` `{per_symbol: duration, mode:
    /// conflate|sample}`, `priority` (symbols), `bars` (upsert|append), `late_after`,
    /// `emit_every` (durations), `max_rate` (events/s ≥ 1).
    init(reader r: OptionsReader) {
        self.init(node: r.node)
        buffer = r.int("buffer", range: 1...10_000_000) ?? buffer
        overflow = r.choice("overflow", [
            "drop-oldest": OverflowPolicy.dropOldest, "drop-newest": .dropNewest, "conflate": .conflate, "block": .block,
        ]) ?? overflow
        dedup = r.bool("dedup") ?? false
        if let t = r.mapping("throttle") {
            var settings = ThrottleSettings()
            if let interval = t.duration("per_symbol") {
                settings.perSymbol = interval
            } else if !t.has("per_symbol") {
                t.missing("per_symbol", hint: "e.g. per_symbol: 100ms")
            }
            settings.mode = t.choice("mode", ["conflate": ThrottleMode.conflate, "sample": .sample]) ?? .conflate
            t.finish()
            throttle = settings
        }
        priority = r.stringList("priority") ?? []
        bars = r.choice("bars", ["upsert": BarsPolicy.upsert, "append": .append])
        lateAfter = r.duration("late_after")
        emitEvery = r.duration("emit_every")
        maxRate = r.int("max_rate", range: 1...Int.max)
        r.finish()
    }

    /// Reads `processors`: a mapping from channel code to processor settings. Every carried
    /// channel gets a processor (defaults when not configured); configuring a channel no
    /// connection carries is an error.
    /// `carried` is nil when the connections could not be read; nothing is then reported as uncarried.
    static func decodeAll(root: OptionsReader, market: Market, carried: Set<FeedChannel>?) -> [FeedChannel: ProcessorConfiguration] {
        var result: [FeedChannel: ProcessorConfiguration] = [:]
        if let section = root.mapping("processors") {
            for entry in section.mappingEntries() {
                let settings = ProcessorConfiguration(reader: OptionsReader(entry.value, diagnostics: root.diagnostics, environment: root.environment))
                guard let channel = ChannelParsing.channel(named: entry.key, at: entry.keyNode, diagnostics: root.diagnostics, market: market) else {
                    continue
                }
                guard carried?.contains(channel) ?? true else {
                    root.diagnostics.error("no connection carries \(channel.code)", at: entry.keyNode,
                                           hint: "add \(channel.code) to a connection's channels, or remove processors.\(channel.code)")
                    continue
                }
                result[channel] = settings
            }
        }
        for channel in carried ?? [] where result[channel] == nil {
            result[channel] = ProcessorConfiguration()
        }
        return result
    }
}

extension AdminConfiguration {
    /// Reads `admin`: `listen` (`host:port`, default 127.0.0.1:9464), `token` (secret, use `${VAR}`).
    init(reader r: OptionsReader) {
        self.init()
        if let listen = r.string("listen") {
            if ListenAddress.port(of: listen) != nil {
                self.listen = listen
            } else {
                r.error("expected host:port, found '\(ConfigNode.clip(listen))'", key: "listen", hint: "e.g. 127.0.0.1:9464")
            }
        }
        if let value = r.interpolated("token") {
            token = Secret(value.text)
            if !value.usedEnvironment {
                r.warning("admin token is written in the file", key: "token", hint: "write token: ${TICKROUTER_ADMIN_TOKEN}")
            }
        }
        if token == nil, !ListenAddress.isLoopback(listen) {
            r.warning(
                "the admin plane listens beyond loopback without a token: anyone who reaches it can POST /api/reload and /api/rebalance",
                key: "listen", hint: "keep 127.0.0.1, or set token: ${TICKROUTER_ADMIN_TOKEN}"
            )
        }
        r.finish()
    }
}

/// `host:port` parsing for listeners.
enum ListenAddress {
    /// The port of `host:port`, `:port` or a bare port, if valid (1...65535).
    static func port(of text: String) -> Int? {
        let portText = text.split(separator: ":", omittingEmptySubsequences: false).last.map(String.init) ?? text
        guard let port = Int(portText), (1...65_535).contains(port) else { return nil }
        return port
    }

    /// Whether `host:port` binds loopback only (an empty host means loopback, as the admin server reads it).
    static func isLoopback(_ text: String) -> Bool {
        guard let colon = text.lastIndex(of: ":") else { return true }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty || host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
