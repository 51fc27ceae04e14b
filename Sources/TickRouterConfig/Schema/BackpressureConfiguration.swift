/// How a full sink queue sheds load (`backpressure`): events of the least important channels go
/// first, so a halt (LULD) or a trade outlives a quote or a fair-value tick.
public struct BackpressureConfiguration: Sendable, Equatable {
    /// Channels from the most to the least important (`class_order`). Channels not listed are less
    /// important than every listed one. Router status lines are never shed.
    public var classOrder: [FeedChannel]

    /// LULD > NOI > T > AM > A > Q > FMV, with every other market's channels in the same spirit
    /// (trades before bars before quotes before values).
    public static let defaultClassOrder: [FeedChannel] = [
        .LULD, .NOI, .T, .XT, .AM, .XA, .CA, .A, .XAS, .CAS, .V, .Q, .XQ, .C, .FMV, .LV, .XL2,
    ]

    /// Creates a backpressure configuration.
    public init(classOrder: [FeedChannel] = BackpressureConfiguration.defaultClassOrder) {
        self.classOrder = classOrder
    }

    /// Channel codes from the first to shed to the last: unlisted channels first, then the listed
    /// ones from the least important up.
    public var shedOrder: [UInt8] {
        let unlisted = FeedChannel.allCases.filter { !classOrder.contains($0) }
        return unlisted.map(\.rawValue) + classOrder.reversed().map(\.rawValue)
    }
}
