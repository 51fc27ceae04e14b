/// The event channels (`ev` codes) the simulator serves, across all markets.
///
/// The raw value is a dense index used for bitmasks and per-channel arrays. A code is read within
/// a market (`T` is an equity trade on stocks, a futures trade on futures): events are fanned out
/// per market, so the same channel index never mixes markets.
enum SimChannel: Int, CaseIterable, Sendable {
    case T, Q, A, AM, LULD, NOI, FMV, LV, C, CA, CAS, XT, XQ, XA, XAS, XL2, V

    static let count = SimChannel.allCases.count

    /// The `ev` code as the provider spells it.
    var code: String {
        switch self {
        case .T: "T"
        case .Q: "Q"
        case .A: "A"
        case .AM: "AM"
        case .LULD: "LULD"
        case .NOI: "NOI"
        case .FMV: "FMV"
        case .LV: "LV"
        case .C: "C"
        case .CA: "CA"
        case .CAS: "CAS"
        case .XT: "XT"
        case .XQ: "XQ"
        case .XA: "XA"
        case .XAS: "XAS"
        case .XL2: "XL2"
        case .V: "V"
        }
    }

    /// Bit of this channel in a channel mask.
    var bit: UInt32 { 1 << UInt32(rawValue) }

    init?(code: Substring) {
        guard let match = SimChannel.allCases.first(where: { $0.code == code }) else { return nil }
        self = match
    }

    /// The mask of a list of channels.
    static func mask(_ channels: SimChannel...) -> UInt32 { channels.reduce(0) { $0 | $1.bit } }
}

/// The provider's asset-class clusters the simulator serves (provider-protocol.md §1.2).
enum SimMarket: String, CaseIterable, Sendable {
    case stocks, options, forex, crypto, indices, futures

    /// Channels a host of this market serves (provider-protocol.md §3.1); 0 = the host does not serve it.
    func channelMask(on feed: SimFeed) -> UInt32 {
        switch (self, feed) {
        case (.stocks, .realtime), (.stocks, .delayed): SimChannel.mask(.T, .Q, .A, .AM, .LULD, .NOI)
        case (.options, .realtime), (.options, .delayed), (.futures, .realtime), (.futures, .delayed):
            SimChannel.mask(.T, .Q, .A, .AM)
        case (.forex, .realtime), (.forex, .delayed): SimChannel.mask(.C, .CA, .CAS)
        case (.crypto, .realtime), (.crypto, .delayed): SimChannel.mask(.XT, .XQ, .XA, .XAS, .XL2)
        case (.indices, .realtime), (.indices, .delayed): SimChannel.mask(.V, .A, .AM)
        case (.indices, .business), (.futures, .business), (.indices, .launchpad), (.futures, .launchpad): 0
        case (_, .business): SimChannel.FMV.bit
        case (_, .launchpad): SimChannel.mask(.AM, .LV)
        }
    }

    /// Bit of this market in a set of markets.
    var bit: UInt8 { 1 << UInt8(Self.allCases.firstIndex(of: self)!) }
}

/// Which provider host a path stands for; the simulator serves them all on one port as a path prefix.
enum SimFeed: String, CaseIterable, Sendable {
    case realtime, delayed, business, launchpad

    /// The path prefix (`/delayed/stocks`, ...); empty for the real-time host (`/stocks`).
    var prefix: String { self == .realtime ? "" : "/" + rawValue }
}

/// A WebSocket path the simulator serves: a feed host and a market, e.g. `/stocks`,
/// `/delayed/forex`, `/business/crypto`, `/launchpad/options`, `/futures/cme`.
struct FeedPath: Hashable, Sendable {
    let market: SimMarket
    let feed: SimFeed
    /// The path as served (without query string or trailing slash).
    let rawValue: String

    /// Futures venues served as `/futures/<venue>` (provider-protocol.md §1.2).
    static let futuresVenues: Set<Substring> = ["cme", "cbot", "nymex", "comex"]

    /// Channels a client may subscribe to on this path.
    var channelMask: UInt32 { market.channelMask(on: feed) }

    /// Parses a request path, ignoring a query string and one trailing slash; nil for a path the
    /// provider does not serve (unknown market, or a host that does not carry the market).
    init?(requestPath: String) {
        var path = Substring(requestPath)
        if let query = path.firstIndex(of: "?") { path = path[..<query] }
        if path.count > 1, path.hasSuffix("/") { path = path.dropLast() }
        var segments = path.split(separator: "/", omittingEmptySubsequences: false)
        guard segments.first == "", segments.count >= 2 else { return nil }
        segments.removeFirst()
        var feed = SimFeed.realtime
        if let first = segments.first, let named = SimFeed(rawValue: String(first)), named != .realtime {
            feed = named
            segments.removeFirst()
        }
        guard let name = segments.first, let market = SimMarket(rawValue: String(name)) else { return nil }
        segments.removeFirst()
        if market == .futures, let venue = segments.first, Self.futuresVenues.contains(venue) { segments.removeFirst() }
        guard segments.isEmpty, market.channelMask(on: feed) != 0 else { return nil }
        self.market = market
        self.feed = feed
        self.rawValue = String(path)
    }
}
