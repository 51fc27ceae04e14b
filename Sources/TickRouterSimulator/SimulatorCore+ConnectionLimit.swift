import NIOWebSocket
import Synchronization

/// The account's connection budget (provider-protocol.md §2.3): past `maxConnectionsPerKey`
/// sessions on one key, one of them gets `max_connections` and a 1008 close.
extension SimulatorCore {
    static let maxConnectionsMessage =
        "Maximum number of websocket connections exceeded. You have reached the connection limit for your account."

    /// Called after `session` authenticated with `key`.
    func enforceConnectionLimit(after session: ClientSession, key: String) {
        guard let limit = configuration.maxConnectionsPerKey else { return }
        let sameKey = activeSessions
            .filter { other in other.state.withLock { $0.authenticated && !$0.closing && $0.apiKey == key } }
            .sorted { $0.id < $1.id }
        let excess = sameKey.count - max(0, limit)
        guard excess > 0 else { return }
        let frame = StatusFrame.make("max_connections", Self.maxConnectionsMessage)
        switch configuration.connectionLimitPolicy {
        case .evictOldest:
            for victim in sameKey.filter({ $0.id != session.id }).prefix(excess) {
                victim.close(after: frame, code: .policyViolation)
            }
        case .refuseNewest:
            session.close(after: frame, code: .policyViolation)
        }
    }
}
