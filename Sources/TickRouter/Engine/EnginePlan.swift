public import TickRouterConfig

/// One feed connection as planned: where it connects, which channels and symbols it carries.
public struct ConnectionPlan: Sendable {
    public var index: Int
    public var name: String
    public var feed: FeedKind
    public var channels: [FeedChannel]
    /// The symbols routed to this connection, in universe order.
    public var symbols: [String]
    /// The endpoint; for the in-process simulator the port is chosen at start (`ws://127.0.0.1:0/...`).
    public var endpoint: FeedEndpoint

    /// The subscription parameters (`T.AAPL,Q.AAPL,...`), split into messages of at most `maxItems` items.
    public func subscriptionParams(maxItems: Int = 2000) -> [String] {
        var items: [String] = []
        items.reserveCapacity(channels.count * symbols.count)
        for symbol in symbols {
            for channel in channels { items.append("\(channel.code).\(symbol)") }
        }
        return stride(from: 0, to: items.count, by: maxItems).map { items[$0..<min($0 + maxItems, items.count)].joined(separator: ",") }
    }
}

/// Where a connection connects.
public struct FeedEndpoint: Sendable, Equatable {
    /// `ws` or `wss` base with no path, e.g. `wss://socket.massive.com`; nil means the in-process simulator.
    public var base: String?
    /// URL path: `/stocks` on a provider host; `/business/stocks` (feed first) on a single-host server.
    public var path: String

    /// The full URL given the simulator's port when ``base`` is nil.
    public func url(simulatorPort: Int?) -> String {
        (base ?? "ws://127.0.0.1:\(simulatorPort ?? 0)") + path
    }

    /// Text for plans: no credentials are ever part of an endpoint.
    public var display: String { base == nil ? "simulator (in-process)\(path)" : (base ?? "") + path }
}

/// A configured sink: its name, filter and decoded settings.
public struct SinkPlan: Sendable {
    public var name: String
    public var type: String
    public var channels: [FeedChannel]?
    public var symbols: [String]?
    public var spec: any SinkSpec
}

/// The resolved graph of an engine: what `tickrouter plan` prints and `run` builds. Deterministic.
public struct EnginePlan: Sendable {
    public var configuration: TickRouterConfiguration
    public var connections: [ConnectionPlan]
    public var routing: RoutingTable
    public var strategy: String
    /// Every channel some connection carries, with its policy.
    public var policies: [FeedChannel: ChannelPolicy]
    public var sinks: [SinkPlan]
    /// Warnings found while planning (printed by `validate`, `plan` and `run`).
    public var warnings: [ConfigDiagnostic]
}
