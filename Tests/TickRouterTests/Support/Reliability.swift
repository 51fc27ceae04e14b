import Foundation
import Testing

/// The long fault-matrix variants (minutes each): off in the normal suite, on in `scripts/reliability`.
enum LongReliabilityTests {
    static let enabled = ProcessInfo.processInfo.environment["TICKROUTER_RELIABILITY_TESTS"] == "1"
    static let reason: Comment = "long fault-matrix variant: set TICKROUTER_RELIABILITY_TESTS=1 (scripts/reliability does)"
}

/// Writes `yaml` to a config file in a fresh temporary directory and returns its path.
func writeTemporaryConfig(_ yaml: String, prefix: String = "tr-rel") throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent("c.yaml").path
    try yaml.write(toFile: path, atomically: true, encoding: .utf8)
    return path
}

/// Two round-robin connections on T and Q of six symbols against the in-process simulator, with a
/// quick reconnect (so repeated kills exercise many sessions) and the socket at `$TICKROUTER_SOCKET`.
func twoConnectionConfig(rate: Int = 4000, extraFeed: String = "", failbackAfter: String = "30s") -> String {
    """
    feed:
      provider: simulator
      market: stocks
      max_connections: 2
      simulator: { symbols: 20, rate: \(rate) }
      reconnect: { initial: 200ms, max: 2s, healthy_after: 1s }
    \(extraFeed)
    connections:
      - { name: primary, feed: realtime, channels: [T, Q] }
      - { name: secondary, feed: realtime, channels: [T, Q] }
    universe: { symbols: [AAPL, MSFT, NVDA, TSLA, AMD, JPM] }
    routing: { strategy: round-robin, failback_after: \(failbackAfter) }
    sinks:
      - { type: unix-socket, path: "${TICKROUTER_SOCKET}" }
    """
}
