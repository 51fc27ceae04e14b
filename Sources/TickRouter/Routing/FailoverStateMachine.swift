/// Decides which connections are out of service for routing: a connection that stops streaming
/// is excluded at once; it is included again only after streaming for `returnAfter` without a
/// break, so a flapping connection does not drag symbols back and forth. A pure value with an
/// injected clock.
public struct FailoverStateMachine<Instant: InstantProtocol>: Sendable where Instant.Duration == Duration {
    public let returnAfter: Duration
    /// Connections currently excluded from routing.
    public private(set) var excluded: Set<Int> = []
    private var upSince: [Int: Instant] = [:]

    public init(returnAfter: Duration) {
        self.returnAfter = returnAfter
    }

    /// Observes which connections are streaming now and which have ever streamed (a connection that
    /// never streamed is starting, not failing); returns the new excluded set when it changed.
    public mutating func observe(streaming: [Bool], hasStreamed: [Bool], now: Instant) -> Set<Int>? {
        var next = excluded
        for (index, isStreaming) in streaming.enumerated() {
            if isStreaming {
                let since = upSince[index] ?? now
                upSince[index] = since
                if next.contains(index), since.duration(to: now) >= returnAfter { next.remove(index) }
            } else {
                upSince[index] = nil
                if index < hasStreamed.count, hasStreamed[index] { next.insert(index) }
            }
        }
        guard next != excluded else { return nil }
        excluded = next
        return next
    }
}
