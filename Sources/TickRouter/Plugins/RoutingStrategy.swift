public import TickRouterConfig

/// One routing decision to make: place a universe of symbols onto a group of connections that
/// carry the same channels from the same feed.
public struct RoutingRequest: Sendable {
    /// The symbols, in universe order.
    public var symbols: [String]
    /// The connections of the group, by name, in configuration order.
    public var slots: [String]
    /// Named universes from the configuration (`universe.named`).
    public var universes: [String: [String]]
    /// Where each symbol was placed by the table being replaced (reload, failover), if any.
    public var previous: [String: String]
    /// Measured messages per second per symbol (rebalance); empty at start.
    public var weights: [String: Double]

    public init(
        symbols: [String], slots: [String], universes: [String: [String]] = [:], previous: [String: String] = [:],
        weights: [String: Double] = [:]
    ) {
        self.symbols = symbols
        self.slots = slots
        self.universes = universes
        self.previous = previous
        self.weights = weights
    }
}

/// A routing strategy maps symbols onto connection slots.
///
/// It returns, for each symbol of the request in order, the positions in `request.slots` of the
/// connections that carry it: usually one; two for redundancy; none means unassigned (an error
/// the planner reports). Strategies are pure functions of the request, so plans are deterministic.
public protocol RoutingStrategy: Sendable {
    func assign(_ request: RoutingRequest) -> [[Int]]
}

/// A closure-backed strategy for tests and one-offs.
public struct ClosureRoutingStrategy: RoutingStrategy {
    private let body: @Sendable (RoutingRequest) -> [[Int]]

    public init(_ body: @escaping @Sendable (RoutingRequest) -> [[Int]]) {
        self.body = body
    }

    public func assign(_ request: RoutingRequest) -> [[Int]] { body(request) }
}

/// A routing strategy as registered by name: how to build it from its `routing.options` section.
public struct StrategyPlugin: Sendable {
    /// The name used in `routing.strategy`.
    public var name: String
    public var summary: String
    public var options: [PluginOption]
    /// Decodes `routing.options` (nil when absent), reporting problems through the reader's diagnostics.
    /// Returns nil when the options are invalid.
    public var decode: @Sendable (_ options: OptionsReader?, _ context: PluginContext) -> (any RoutingStrategy)?

    public init(
        name: String, summary: String, options: [PluginOption],
        decode: @escaping @Sendable (_ options: OptionsReader?, _ context: PluginContext) -> (any RoutingStrategy)?
    ) {
        self.name = name
        self.summary = summary
        self.options = options
        self.decode = decode
    }
}
