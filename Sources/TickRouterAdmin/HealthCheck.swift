import Synchronization

/// Thresholds for `GET /health`.
public struct HealthPolicy: Sendable {
    /// A streaming connection whose newest event is older than this is `read_lag`.
    public var maxReadLag: Duration
    /// A sink holding queued events whose delivered count has not moved for this long is `sink_stalled`.
    public var sinkStallAfter: Duration

    /// Creates a policy; the defaults suit a live market feed.
    public init(maxReadLag: Duration = .seconds(10), sinkStallAfter: Duration = .seconds(10)) {
        self.maxReadLag = maxReadLag
        self.sinkStallAfter = sinkStallAfter
    }
}

/// The answer of `GET /health`: `ok` (HTTP 200) or `unhealthy` (HTTP 503) with the reasons.
public struct HealthReport: Codable, Sendable, Equatable {
    /// Why the router is unhealthy. ``code`` is one of a closed set (see docs/operations.md).
    public struct Reason: Codable, Sendable, Equatable {
        /// `starting`, `connection_down`, `read_lag` or `sink_stalled`.
        public var code: String
        /// The connection or sink concerned, if any.
        public var subject: String?
        public var message: String

        public init(code: String, subject: String?, message: String) {
            self.code = code
            self.subject = subject
            self.message = message
        }
    }

    public var status: String
    public var reasons: [Reason]

    public init(status: String, reasons: [Reason]) {
        self.status = status
        self.reasons = reasons
    }
    public var healthy: Bool { reasons.isEmpty }
}

/// Evaluates health from snapshots. Remembers, per sink, since when its delivered count has
/// stood still while events were queued, so a stall is judged across checks; the admin server
/// feeds it a snapshot every second so that memory does not depend on who polls `/health`.
public final class HealthCheck: Sendable {
    public let policy: HealthPolicy
    private struct SinkProgress { var delivered: Int; var since: ContinuousClock.Instant }
    private let progress = Mutex<[String: SinkProgress]>([:])

    public init(policy: HealthPolicy = HealthPolicy()) { self.policy = policy }

    /// The report for `snapshot`, or `starting` when the engine is not built yet.
    public func evaluate(_ snapshot: AdminSnapshot?, now: ContinuousClock.Instant = .now) -> HealthReport {
        guard let snapshot else {
            return HealthReport(status: "unhealthy", reasons: [.init(code: "starting", subject: nil, message: "the engine is not running yet")])
        }
        var reasons: [HealthReport.Reason] = []
        let maxLagMillis = Int(policy.maxReadLag.components.seconds * 1000 + policy.maxReadLag.components.attoseconds / 1_000_000_000_000_000)
        for connection in snapshot.connections {
            if connection.state != "streaming" {
                reasons.append(.init(code: "connection_down", subject: connection.name, message: "connection \(connection.name) is \(connection.state)"))
            } else if let lag = connection.readLagMillis, lag > maxLagMillis {
                reasons.append(.init(
                    code: "read_lag", subject: connection.name,
                    message: "connection \(connection.name): newest event is \(lag) ms old (limit \(maxLagMillis) ms)"
                ))
            }
        }
        let stalled = progress.withLock { progress -> [(String, Int)] in
            var stalled: [(String, Int)] = []
            var seen = Set<String>()
            for sink in snapshot.sinks {
                seen.insert(sink.name)
                guard sink.queuedEvents > 0, let previous = progress[sink.name], previous.delivered == sink.delivered else {
                    progress[sink.name] = SinkProgress(delivered: sink.delivered, since: now)
                    continue
                }
                if now - previous.since >= policy.sinkStallAfter { stalled.append((sink.name, sink.queuedEvents)) }
            }
            for name in progress.keys where !seen.contains(name) { progress[name] = nil }
            return stalled
        }
        for (name, queued) in stalled {
            reasons.append(.init(
                code: "sink_stalled", subject: name,
                message: "sink \(name) has \(queued) events queued and delivered nothing for \(policy.sinkStallAfter)"
            ))
        }
        return HealthReport(status: reasons.isEmpty ? "ok" : "unhealthy", reasons: reasons)
    }
}
