/// Lifecycle of one provider connection, as shown in stats and plans.
public enum FeedConnectionState: Int, Sendable, CustomStringConvertible {
    case idle, connecting, authenticating, subscribing, streaming, backingOff, coolingDown, failed, stopped

    public var description: String {
        switch self {
        case .idle: "idle"
        case .connecting: "connecting"
        case .authenticating: "authenticating"
        case .subscribing: "subscribing"
        case .streaming: "streaming"
        case .backingOff: "backing-off"
        case .coolingDown: "cooling-down"
        case .failed: "failed"
        case .stopped: "stopped"
        }
    }
}

/// How a session with the provider ended.
public enum SessionEnd: Equatable, Sendable {
    /// `auth_failed` / `auth_timeout`: the key is wrong; retrying cannot help.
    case authFailed(String)
    /// `max_connections`: the account's budget is used by someone else; reconnecting would evict them.
    case maxConnections(String)
    /// `slow_consumer`: the provider dropped us for reading too slowly.
    case slowConsumer(String)
    /// `force_disconnect` or any other close by the server or the network.
    case closed(String)
}

/// The handshake and status handling of one session, as a pure value: feed it status messages,
/// it returns what to do (provider-protocol.md §2). No I/O, no clock.
public struct FeedSessionStateMachine: Sendable {
    public enum Phase: Sendable, Equatable { case awaitingConnected, authenticating, streaming, ended(SessionEnd) }

    public enum Action: Equatable, Sendable {
        case none
        case sendAuth
        case sendSubscriptions
        case end(SessionEnd)
        case warn(String)
    }

    public private(set) var phase: Phase = .awaitingConnected

    public init() {}

    public mutating func received(_ status: ProviderStatus) -> Action {
        if case .ended = phase { return .none }
        switch status.status {
        case "connected":
            guard phase == .awaitingConnected else { return .none }
            phase = .authenticating
            return .sendAuth
        case "auth_success":
            guard phase == .authenticating else { return .warn("unexpected auth_success") }
            phase = .streaming
            return .sendSubscriptions
        case "auth_failed", "auth_timeout":
            return end(.authFailed(status.message.isEmpty ? status.status : status.message))
        case "max_connections":
            return end(.maxConnections(status.message))
        case "slow_consumer":
            return end(.slowConsumer(status.message))
        case "force_disconnect":
            return end(.closed("force_disconnect: \(status.message)"))
        case "success":
            return .none
        case "auth_required":
            return .warn("provider says auth_required: \(status.message)")
        default:
            return .warn("provider status \(status.status): \(status.message)")
        }
    }

    /// The socket closed; returns how the session ended.
    public mutating func closed(reason: String) -> SessionEnd {
        if case .ended(let end) = phase { return end }
        let end = SessionEnd.closed(reason)
        phase = .ended(end)
        return end
    }

    private mutating func end(_ end: SessionEnd) -> Action {
        phase = .ended(end)
        return .end(end)
    }
}
