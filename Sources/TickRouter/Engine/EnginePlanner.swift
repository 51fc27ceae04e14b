public import TickRouterConfig

/// Turns a loaded configuration into an ``EnginePlan``: decodes the strategy and sink options through
/// their plugins (same diagnostics, same positions), routes the universe onto the connections and
/// resolves endpoints. Nothing connects.
public struct EnginePlanner {
    public let registry: PluginRegistry

    public init(registry: PluginRegistry) {
        self.registry = registry
    }

    /// Loads, validates and plans a config file. Throws every problem found, with positions.
    ///
    /// - Parameter previous: the routing in force (reload); strategies keep symbols where they are.
    public func plan(file path: String, environment: [String: String], previous: RoutingTable? = nil) throws(ConfigError) -> EnginePlan {
        let loader = ConfigurationLoader(environment: environment, plugins: registry.names)
        let (configuration, context) = try loader.load(file: path)
        return try plan(configuration, context: context, previous: previous)
    }

    /// Plans an already loaded configuration.
    public func plan(
        _ configuration: TickRouterConfiguration, context: OptionsContext, previous: RoutingTable? = nil
    ) throws(ConfigError) -> EnginePlan {
        let pluginContext = PluginContext(configuration: configuration, options: context)
        let diagnostics = context.diagnostics

        var strategy: (any RoutingStrategy)?
        if let plugin = registry.strategies[configuration.routing.strategy] {
            let reader = configuration.routing.options.map { OptionsReader($0, diagnostics: diagnostics, environment: context.environment) }
            strategy = plugin.decode(reader, pluginContext)
            reader?.finish(allowed: plugin.options.map(\.name))
        }

        var sinks: [SinkPlan] = []
        for sink in configuration.sinks {
            guard let plugin = registry.sinks[sink.type] else { continue }
            let reader = OptionsReader(sink.options, diagnostics: diagnostics, environment: context.environment)
            for key in ["type", "name", "channels", "symbols"] { _ = reader.child(key) }
            let spec = plugin.decode(reader, pluginContext)
            reader.finish(allowed: ["type", "name", "channels", "symbols"] + plugin.options.map(\.name))
            if let spec {
                sinks.append(
                    SinkPlan(
                        name: sink.name, type: sink.type, channels: sink.channels, symbols: sink.symbols, spec: spec,
                        fingerprint: sink.options.canonicalText
                    )
                )
            }
        }

        var rebalance: RebalancePolicy?
        if let node = configuration.routing.rebalance {
            let reader = OptionsReader(node, diagnostics: diagnostics, environment: context.environment)
            rebalance = RebalancePolicy(every: reader.duration("every") ?? .seconds(30), minGain: reader.percentage("min_gain") ?? 0.1)
            reader.finish(allowed: ["every", "min_gain"])
        }
        var routing: RoutingTable?
        if let strategy { routing = Self.route(configuration, strategy: strategy, previous: previous, diagnostics: diagnostics) }
        if strategy == nil || routing == nil, !diagnostics.hasErrors {
            // A plugin that gave up without saying why: still an error with a position, never a silent exit.
            diagnostics.report(
                ConfigDiagnostic(
                    severity: .error, location: configuration.routing.strategyLocation, keyPath: "routing.strategy",
                    message: "the \(configuration.routing.strategy) strategy could not be built from its options",
                    hint: "tickrouter plugins lists its options"
                )
            )
        }
        try context.finish()
        guard let routing, let strategy else { throw diagnostics.asError }

        let connections = configuration.connections.enumerated().map { index, connection in
            ConnectionPlan(
                index: index, name: connection.name, feed: connection.feed, channels: connection.channels,
                symbols: routing.symbols(on: index), endpoint: Self.endpoint(feed: configuration.feed, kind: connection.feed)
            )
        }
        var policies: [FeedChannel: ChannelPolicy] = [:]
        for channel in configuration.carriedChannels {
            let policy = configuration.processors[channel].map(ChannelPolicy.init) ?? ChannelPolicy()
            if let processor = configuration.processors[channel], let node = processor.node {
                if processor.emitEvery == nil, processor.overflow != .dropOldest {
                    diagnostics.warning(
                        "overflow '\(processor.overflow.rawValue)' has no effect without emit_every: events are emitted as they arrive, so the buffer never fills",
                        at: node, hint: "add emit_every: 100ms to buffer this channel, or remove overflow"
                    )
                }
                if !processor.priority.isEmpty, processor.throttle == nil, processor.maxRate == nil {
                    diagnostics.warning(
                        "priority has no effect without throttle or max_rate", at: node,
                        hint: "priority symbols bypass the throttle and the rate cap"
                    )
                }
            }
            policies[channel] = policy
        }

        return EnginePlan(
            configuration: configuration, connections: connections, routing: routing, strategy: configuration.routing.strategy,
            routingStrategy: strategy, policies: policies, sinks: sinks, warnings: diagnostics.all.filter { $0.severity == .warning },
            rebalance: rebalance
        )
    }

    /// Routes the universe group by group: connections with the same feed and channels form a group;
    /// a group of one takes every symbol, larger groups ask the strategy.
    ///
    /// - Parameters:
    ///   - excluded: connections out of service (failover); their symbols go to the rest of their group.
    ///     A group with no connection left keeps its assignment.
    ///   - previous: the table being replaced, so strategies can keep symbols where they are.
    public static func route(
        _ configuration: TickRouterConfiguration, strategy: any RoutingStrategy, excluded: Set<Int> = [], previous: RoutingTable? = nil,
        weights: [String: Double] = [:], diagnostics: ConfigDiagnostics? = nil
    ) -> RoutingTable {
        let symbols = configuration.universe
        var assignment = [[Int]](repeating: [], count: symbols.count)
        var groups: [[Int]] = []
        var groupKeys: [String] = []
        for (index, connection) in configuration.connections.enumerated() {
            let key = connection.feed.rawValue + ":" + connection.channels.sorted().map(\.code).joined(separator: ",")
            if let position = groupKeys.firstIndex(of: key) {
                groups[position].append(index)
            } else {
                groupKeys.append(key)
                groups.append([index])
            }
        }
        for fullGroup in groups {
            let healthy = fullGroup.filter { !excluded.contains($0) }
            let group = healthy.isEmpty ? fullGroup : healthy
            if group.count == 1 {
                for symbol in symbols.indices { assignment[symbol].append(group[0]) }
                continue
            }
            var previousHome: [String: String] = [:]
            if let previous {
                for (index, symbol) in previous.symbols.enumerated() {
                    if let home = previous.connectionsBySymbol[index].first(where: { group.contains($0) }) {
                        previousHome[symbol] = configuration.connections[home].name
                    }
                }
            }
            let request = RoutingRequest(
                symbols: symbols, slots: group.map { configuration.connections[$0].name }, universes: configuration.universeNames,
                previous: previousHome, weights: weights
            )
            let slots = strategy.assign(request)
            var unassigned: [String] = []
            var load = [Int](repeating: 0, count: group.count)
            for symbol in slots { for slot in symbol where group.indices.contains(slot) { load[slot] += 1 } }
            for symbol in symbols.indices {
                var chosen = symbol < slots.count ? slots[symbol].filter { group.indices.contains($0) } : []
                if chosen.isEmpty, group.count < fullGroup.count, let slot = load.indices.min(by: { load[$0] < load[$1] }) {
                    // Failover: the rule's connection is down; the least-loaded healthy one carries it meanwhile.
                    chosen = [slot]
                    load[slot] += 1
                }
                if chosen.isEmpty { unassigned.append(symbols[symbol]) }
                for slot in chosen where !assignment[symbol].contains(group[slot]) { assignment[symbol].append(group[slot]) }
            }
            if !unassigned.isEmpty, let diagnostics, let node = configuration.routing.options ?? nil {
                let names = request.slots.joined(separator: ", ")
                let shown = unassigned.prefix(5).joined(separator: ", ") + (unassigned.count > 5 ? ", …" : "")
                diagnostics.error(
                    "\(unassigned.count) symbol(s) have no connection among \(names): \(shown)", at: node,
                    hint: "assign them to a connection or name a default connection"
                )
            }
        }
        return RoutingTable(symbols: symbols, connectionsBySymbol: assignment, connectionCount: configuration.connections.count)
    }

    /// The endpoint of a connection of kind `kind`.
    static func endpoint(feed: FeedConfiguration, kind: FeedKind) -> FeedEndpoint {
        let market = "/" + feed.market.path
        if let url = feed.url {
            let base = url.hasSuffix("/") ? String(url.dropLast()) : url
            return FeedEndpoint(base: base, path: kind == .realtime ? market : "/\(kind.rawValue)\(market)")
        }
        switch feed.provider {
        case .simulator: return FeedEndpoint(base: nil, path: kind == .realtime ? market : "/\(kind.rawValue)\(market)")
        case .massive: return FeedEndpoint(base: "wss://" + kind.massiveHost, path: market)
        case .polygon: return FeedEndpoint(base: "wss://" + kind.polygonHost, path: market)
        }
    }
}
