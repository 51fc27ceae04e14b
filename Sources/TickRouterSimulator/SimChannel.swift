/// The event channels (`ev` codes) the simulator serves on the stocks market.
///
/// The raw value is a dense index used for bitmasks and per-channel arrays.
enum SimChannel: Int, CaseIterable, Sendable {
    case T, Q, A, AM, LULD, NOI, FMV, LV

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
        }
    }

    /// Bit of this channel in a channel mask.
    var bit: UInt16 { 1 << UInt16(rawValue) }

    init?(code: Substring) {
        guard let match = SimChannel.allCases.first(where: { $0.code == code }) else { return nil }
        self = match
    }
}

/// The WebSocket paths the simulator serves and the channels each one offers
/// (provider-protocol.md §3.1, stocks column).
enum FeedPath: String, CaseIterable, Sendable {
    case realtime = "/stocks"
    case delayed = "/delayed/stocks"
    case business = "/business/stocks"
    case launchpad = "/launchpad/stocks"

    /// Channels a client may subscribe to on this path.
    var channelMask: UInt16 {
        switch self {
        case .realtime, .delayed:
            SimChannel.T.bit | SimChannel.Q.bit | SimChannel.A.bit | SimChannel.AM.bit
                | SimChannel.LULD.bit | SimChannel.NOI.bit
        case .business: SimChannel.FMV.bit
        case .launchpad: SimChannel.AM.bit | SimChannel.LV.bit
        }
    }

    /// Parses a request path, ignoring a query string and one trailing slash.
    init?(requestPath: String) {
        var path = Substring(requestPath)
        if let query = path.firstIndex(of: "?") { path = path[..<query] }
        if path.count > 1, path.hasSuffix("/") { path = path.dropLast() }
        guard let match = FeedPath(rawValue: String(path)) else { return nil }
        self = match
    }
}
