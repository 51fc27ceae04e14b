/// Decoding of the `feed` section.
extension FeedConfiguration {
    /// Reads `feed`:
    ///
    /// | key | type | default |
    /// |---|---|---|
    /// | `provider` | massive \| polygon \| simulator | required |
    /// | `market` | stocks \| options \| forex \| crypto \| indices \| futures | stocks |
    /// | `api_key` | string, usually `${MASSIVE_API_KEY}` | required unless simulator |
    /// | `url` | `ws://…` or `wss://…` | provider hosts |
    /// | `max_connections` | int ≥ 1 | 1 |
    /// | `simulator` | `{symbols: 500, rate: 50000, events_per_frame: 50, seed: 1}` | |
    /// | `frame_limit` | byte size ≥ 1 MiB | 16MiB |
    /// | `tls` | `{verify: true, ca_file: path}` | verify |
    /// | `reconnect` | `{initial: 500ms, max: 30s, multiplier: 2.0, jitter: 0.2, healthy_after: 10s, max_connections_cooldown: 5m}` | |
    init(reader r: OptionsReader, context: OptionsContext) {
        self.init()
        let providers: KeyValuePairs<String, Provider> = ["massive": .massive, "polygon": .polygon, "simulator": .simulator]
        if r.has("provider") {
            provider = r.choice("provider", providers) ?? .simulator
        } else {
            r.missing("provider", hint: "provider: massive | polygon | simulator")
        }
        let markets: KeyValuePairs<String, Market> = [
            "stocks": .stocks, "options": .options, "forex": .forex,
            "crypto": .crypto, "indices": .indices, "futures": .futures,
        ]
        market = r.choice("market", markets) ?? .stocks
        readAPIKey(r)
        if let url = r.string("url") {
            let lower = url.lowercased()
            let scheme = lower.hasPrefix("wss://") ? "wss://" : lower.hasPrefix("ws://") ? "ws://" : nil
            if scheme == "wss://", Self.hostIsIPAddress(url.dropFirst(6)) {
                // TLS sends the host name in SNI, which may not be an IP address; the TLS library
                // refuses the connection outright, so say it here rather than in a reconnect loop.
                r.error(
                    "feed.url: wss:// needs a host name, not an IP address (TLS server name indication cannot carry one)", key: "url",
                    hint: "use the name in the server's certificate, e.g. wss://localhost:8765 (add it to /etc/hosts if needed)"
                )
            } else if let scheme, url.count > scheme.count {
                self.url = url
            } else {
                r.error("feed.url must be a ws:// or wss:// URL", key: "url", hint: "e.g. ws://127.0.0.1:8765 or wss://socket.massive.com")
            }
        }
        if let budget = r.int("max_connections") {
            if budget >= 1 {
                maxConnections = budget
            } else {
                r.error("max_connections must be at least 1, found \(budget)", key: "max_connections",
                        hint: "the account's connection budget per cluster; most plans allow 1")
            }
        }
        if let settings = r.mapping("simulator") { simulator = SimulatorSettings(reader: settings) }
        if let limit = r.byteSize("frame_limit") {
            if limit >= 1 << 20 {
                frameLimit = limit
            } else {
                r.error("frame_limit must be at least 1MiB", key: "frame_limit", hint: "the provider sends frames of several MiB")
            }
        }
        if let settings = r.mapping("tls") { tls = TLSSettings(reader: settings, context: context) }
        if let settings = r.mapping("reconnect") { reconnect = ReconnectSettings(reader: settings) }
        r.finish()
    }

    private mutating func readAPIKey(_ r: OptionsReader) {
        let needsKey = provider == .massive || provider == .polygon
        let keyHint = "set MASSIVE_API_KEY in the environment and write api_key: ${MASSIVE_API_KEY}"
        guard r.has("api_key") else {
            if needsKey, r.child("api_key") == nil {
                r.error("provider '\(provider.rawValue)' needs an api_key", key: "api_key", hint: keyHint)
            } else if needsKey {
                r.error("api_key has no value", key: "api_key", hint: keyHint)
            }
            return
        }
        guard let value = r.interpolated("api_key") else { return }
        if value.text.isEmpty {
            r.error("api_key is empty", key: "api_key", hint: keyHint)
            return
        }
        apiKey = Secret(value.text)
        if !value.usedEnvironment {
            r.warning("api_key is written in the file", key: "api_key", hint: "keep keys out of files: \(keyHint)")
        }
    }
}

extension SimulatorSettings {
    /// Reads `feed.simulator`: `symbols` (1...1 000 000, default 500), `rate` events/s
    /// (1...100 000 000, default 50 000), `events_per_frame` (1...100 000, default 50), `seed` (default 1).
    init(reader r: OptionsReader) {
        self.init()
        symbols = r.int("symbols", range: 1...1_000_000) ?? symbols
        rate = r.int("rate", range: 1...100_000_000) ?? rate
        eventsPerFrame = r.int("events_per_frame", range: 1...100_000) ?? eventsPerFrame
        seed = r.int("seed") ?? seed
        r.finish()
    }
}

extension TLSSettings {
    /// Reads `feed.tls`: `verify` (bool, default true), `ca_file` (an existing file).
    init(reader r: OptionsReader, context: OptionsContext) {
        self.init()
        verify = r.bool("verify") ?? true
        if let file = r.string("ca_file") {
            let resolved = context.resolvePath(file)
            if context.fileExists(resolved) {
                caFile = resolved
            } else {
                r.error("CA file '\(file)' does not exist", key: "ca_file",
                        hint: "paths are relative to the config file's directory (\(context.baseDirectory))")
            }
        }
        if !verify {
            r.warning("TLS certificate verification is off", key: "verify", hint: "only for local test servers")
        }
        r.finish()
    }
}

extension ReconnectSettings {
    /// Reads `feed.reconnect`: `initial` (500ms), `max` (30s), `multiplier` (≥ 1, 2.0),
    /// `jitter` (0...1, 0.2), `healthy_after` (10s), `max_connections_cooldown` (5m).
    init(reader r: OptionsReader) {
        self.init()
        initial = r.duration("initial") ?? initial
        max = r.duration("max") ?? max
        if initial > max {
            r.error("initial delay is longer than max", key: "initial", hint: "initial must not exceed max (\(max))")
        }
        if let factor = r.double("multiplier") {
            if factor >= 1 { multiplier = factor } else {
                r.error("multiplier must be at least 1.0, found \(factor)", key: "multiplier")
            }
        }
        if let spread = r.percentage("jitter") {
            if (0...1).contains(spread) { jitter = spread } else {
                r.error("jitter must be between 0 and 1, found \(spread)", key: "jitter", hint: "a fraction of the delay, e.g. 0.2")
            }
        }
        healthyAfter = r.duration("healthy_after") ?? healthyAfter
        maxConnectionsCooldown = r.duration("max_connections_cooldown") ?? maxConnectionsCooldown
        r.finish()
    }
}

extension FeedConfiguration {
    /// Whether the authority of a URL (after the scheme) names an IPv4 or bracketed IPv6 address.
    static func hostIsIPAddress(_ rest: Substring) -> Bool {
        let authority = rest.prefix { $0 != "/" && $0 != "?" }
        if authority.hasPrefix("[") { return true }
        let host = authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in !part.isEmpty && part.allSatisfy(\.isNumber) && (UInt8(part) != nil) }
    }
}
