public import Hummingbird
public import Logging
import NIOCore
public import ServiceLifecycle
import Synchronization

/// Serves ``AdminRoutes`` over HTTP on one address (loopback by default) until graceful shutdown
/// or cancellation. Also feeds the health check a snapshot every second, so a sink stall is
/// noticed whether or not anyone polls `/health`.
public final class AdminServer: Service, Sendable {
    /// Thrown by ``waitUntilListening()`` if the server stopped before it bound its port.
    public struct NotListening: Error, CustomStringConvertible {
        public var description: String { "the admin server is not listening" }
    }

    public let routes: AdminRoutes
    public let host: String
    public let port: Int
    private let logger: Logger
    private let listening = Mutex<Listening>(.pending([]))

    private enum Listening {
        case pending([CheckedContinuation<Int, any Error>])
        case bound(Int)
        case stopped
    }

    /// - Parameters:
    ///   - listen: `host:port` (`admin.listen`); port 0 picks a free port (tests).
    public init(listen: String, routes: AdminRoutes, logger: Logger) {
        let (host, port) = Self.split(listen)
        self.host = host
        self.port = port
        self.routes = routes
        var logger = logger
        logger[metadataKey: "component"] = "admin"
        self.logger = logger
    }

    /// `host:port`, `:port` or a bare port; the host defaults to loopback.
    static func split(_ listen: String) -> (String, Int) {
        guard let colon = listen.lastIndex(of: ":") else { return ("127.0.0.1", Int(listen) ?? 9464) }
        var host = String(listen[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "127.0.0.1" : host, Int(listen[listen.index(after: colon)...]) ?? 9464)
    }

    public func run() async throws {
        let app = Application(
            router: routes.makeRouter(),
            configuration: .init(address: .hostname(host, port: port), serverName: "tickrouter"),
            onServerRunning: { [weak self] channel in self?.markListening(port: channel.localAddress?.port ?? 0) },
            logger: logger
        )
        defer { markStopped() }
        let routes = self.routes
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.run() }
            group.addTask {
                // Health memory (sink progress) advances once a second.
                while !Task.isCancelled {
                    if let engine = await routes.engine() { _ = routes.health.evaluate(AdminSnapshot(engine: engine)) }
                    try? await Task.sleep(for: .seconds(1))
                }
            }
            // The server returns on graceful shutdown or cancellation; the ticker goes with it.
            defer { group.cancelAll() }
            _ = try await group.next()
        }
    }

    /// Waits until the server is bound and returns its port.
    public func waitUntilListening() async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let immediate: Result<Int, any Error>? = listening.withLock { state in
                switch state {
                case .bound(let port): return .success(port)
                case .stopped: return .failure(NotListening())
                case .pending(var waiters):
                    waiters.append(continuation)
                    state = .pending(waiters)
                    return nil
                }
            }
            if let immediate { continuation.resume(with: immediate) }
        }
    }

    private func markListening(port: Int) {
        logger.info("admin plane on http://\(host):\(port)/ (health, metrics, api, dashboard)")
        let waiters = listening.withLock { state -> [CheckedContinuation<Int, any Error>] in
            guard case .pending(let waiters) = state else { return [] }
            state = .bound(port)
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: port) }
    }

    private func markStopped() {
        let waiters = listening.withLock { state -> [CheckedContinuation<Int, any Error>] in
            defer { state = .stopped }
            guard case .pending(let waiters) = state else { return [] }
            return waiters
        }
        for waiter in waiters { waiter.resume(throwing: NotListening()) }
    }
}
