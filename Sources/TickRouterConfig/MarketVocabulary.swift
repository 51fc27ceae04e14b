/// The provider's asset-class clusters. Each has its own WebSocket path (`/stocks`, `/options`, ...)
/// and its own meaning for each `ev` code.
public enum Market: String, Sendable, CaseIterable, Hashable, Codable {
    case stocks, options, forex, crypto, indices, futures

    /// The URL path segment the provider serves this market on.
    public var path: String { rawValue }
}

/// Which of the provider's hosts a connection uses. The hosts of one market share the account's
/// connection budget (provider-protocol.md §2.3).
public enum FeedKind: String, Sendable, CaseIterable, Hashable, Codable {
    case realtime, delayed, business, launchpad

    /// Host name on the current (massive.com) domain.
    public var massiveHost: String {
        switch self {
        case .realtime: "socket.massive.com"
        case .delayed: "delayed.massive.com"
        case .business: "business.massive.com"
        case .launchpad: "launchpad.massive.com"
        }
    }

    /// Host name on the legacy (polygon.io) domain.
    public var polygonHost: String {
        switch self {
        case .realtime: "socket.polygon.io"
        case .delayed: "delayed.polygon.io"
        case .business: "business.polygon.io"
        case .launchpad: "launchpad.polygon.io"
        }
    }
}

/// A channel is the provider's `ev` code. Codes are unique only within a market (`T` is an equity
/// trade on stocks, a futures trade on futures), so a channel is always read together with the
/// configuration's market. The raw value is a dense index used on the hot path.
public enum FeedChannel: UInt8, Sendable, CaseIterable, Hashable, Comparable, CustomStringConvertible {
    case T, Q, A, AM, LULD, NOI, FMV, LV, C, CA, CAS, XT, XQ, XA, XAS, XL2, V

    /// Number of channel codes; arrays indexed by `rawValue` have this many slots.
    public static let count = FeedChannel.allCases.count

    /// The `ev` code as the provider spells it.
    public var code: String {
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

    public var description: String { code }

    /// Aggregate bars (second or minute), which the provider re-sends when late trades correct them.
    public var isBar: Bool {
        switch self {
        case .A, .AM, .CA, .CAS, .XA, .XAS: true
        default: false
        }
    }

    /// Parses an `ev` code as the provider spells it.
    public init?(code: String) {
        guard let match = FeedChannel.allCases.first(where: { $0.code == code }) else { return nil }
        self = match
    }

    public static func < (lhs: FeedChannel, rhs: FeedChannel) -> Bool { lhs.rawValue < rhs.rawValue }
}

extension Market {
    /// The channels a feed host serves for this market (provider-protocol.md §3.1).
    public func channels(on feed: FeedKind) -> [FeedChannel] {
        switch (self, feed) {
        case (.stocks, .realtime), (.stocks, .delayed): [.T, .Q, .A, .AM, .LULD, .NOI]
        case (.options, .realtime), (.options, .delayed): [.T, .Q, .A, .AM]
        case (.forex, .realtime), (.forex, .delayed): [.C, .CA, .CAS]
        case (.crypto, .realtime), (.crypto, .delayed): [.XT, .XQ, .XA, .XAS, .XL2]
        case (.indices, .realtime), (.indices, .delayed): [.V, .A, .AM]
        case (.futures, .realtime), (.futures, .delayed): [.T, .Q, .A, .AM]
        case (.indices, .business), (.futures, .business): []
        case (_, .business): [.FMV]
        case (.indices, .launchpad), (.futures, .launchpad): []
        case (_, .launchpad): [.AM, .LV]
        }
    }

    /// Every channel some feed of this market can serve.
    public var allChannels: [FeedChannel] {
        var seen = Set<FeedChannel>()
        for feed in FeedKind.allCases { seen.formUnion(channels(on: feed)) }
        return seen.sorted()
    }

    /// The feeds that serve a channel in this market, for hints in validation errors.
    public func feeds(serving channel: FeedChannel) -> [FeedKind] {
        FeedKind.allCases.filter { channels(on: $0).contains(channel) }
    }
}

