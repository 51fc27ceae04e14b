public import TickRouterConfig

/// Decides what to do after a session ends: exponential backoff with jitter, reset only after a
/// healthy period; a long cooldown for `max_connections`; stop for `auth_failed`. A pure value:
/// durations in, decision out; randomness from a seeded generator so tests are exact.
public struct ReconnectPolicy: Sendable {
    public enum Decision: Equatable, Sendable {
        case retry(after: Duration)
        case stop(reason: String)
    }

    public let settings: ReconnectSettings
    public private(set) var attempt = 0
    private var random: SplitMix64

    public init(settings: ReconnectSettings, seed: UInt64 = 0x5EED) {
        self.settings = settings
        self.random = SplitMix64(seed: seed)
    }

    /// - Parameters:
    ///   - end: how the session ended (nil: the connection could not be opened at all).
    ///   - healthyFor: how long the session streamed before it ended.
    public mutating func next(after end: SessionEnd?, healthyFor: Duration) -> Decision {
        if healthyFor >= settings.healthyAfter { attempt = 0 }
        switch end {
        case .authFailed(let message):
            return .stop(reason: "authentication failed: \(message)")
        case .maxConnections:
            attempt += 1
            return .retry(after: settings.maxConnectionsCooldown)
        default:
            let base = Double(settings.initial.components.seconds) + Double(settings.initial.components.attoseconds) / 1e18
            let cap = Double(settings.max.components.seconds) + Double(settings.max.components.attoseconds) / 1e18
            let exponential = min(cap, base * pow(settings.multiplier, attempt))
            attempt += 1
            let spread = exponential * settings.jitter
            let jittered = max(0, exponential - spread + random.nextUnit() * 2 * spread)
            return .retry(after: .milliseconds(Int64((jittered * 1000).rounded())))
        }
    }

    private func pow(_ base: Double, _ exponent: Int) -> Double {
        var result = 1.0
        for _ in 0..<min(exponent, 64) { result *= base }
        return result
    }
}
