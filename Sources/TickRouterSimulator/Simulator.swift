import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A stand-in for the market-data provider: a WebSocket server that speaks the provider
/// protocol (provider-protocol.md §2–§4) for every market: `/stocks`, `/options`, `/forex`,
/// `/crypto`, `/indices`, `/futures` (and `/futures/cme`, ...), each also as `/delayed/<market>`,
/// and `/business/<market>` (FMV) and `/launchpad/<market>` (AM, LV) where the provider has them.
/// It generates a synthetic market per asset class (or replays a stocks recording).
///
/// Run it as a `ServiceLifecycle.Service` or call `run()` in a task; cancel the task or trigger
/// graceful shutdown to stop it.
public final class Simulator: Service, Sendable {
    /// Thrown by `waitUntilListening()` if the server stopped before it bound its port.
    public struct NotListening: Error {}

    private enum Listening {
        case pending([CheckedContinuation<Int, any Error>])
        case bound(Int)
        case stopped
    }

    private let core: SimulatorCore
    private let listening = Mutex(Listening.pending([]))

    /// Creates a simulator; nothing is bound until `run()`.
    public init(configuration: SimulatorConfiguration, logger: Logger) {
        core = SimulatorCore(configuration: configuration, logger: logger)
    }

    /// Fault injection handle.
    public var faults: SimulatorFaults { SimulatorFaults(core: core) }

    /// WebSocket upgrades accepted so far: every connection attempt that reached the protocol.
    public var connectionsAccepted: Int { core.connectionsAccepted }

    /// Every client action received so far, in arrival order.
    public var recordedActions: [RecordedAction] { core.recordedActions }

    /// Serves until the task is cancelled or graceful shutdown is triggered.
    public func run() async throws {
        let core = self.core
        let configuration = core.configuration
        let router = Router()  // no HTTP routes: anything that is not a known WebSocket path is a 404
        let plain = HTTPServerBuilder.http1WebSocketUpgrade(
            configuration: .init(ws: .init(maxFrameSize: 1 << 20, autoPing: .disabled))
        ) { request, channel, _ in
            guard let path = FeedPath(requestPath: request.path ?? ""), core.acceptsUpgrades else { return .dontUpgrade }
            return .upgrade([:]) { inbound, outbound, _ in
                try await core.serve(path: path, channel: channel, inbound: inbound, outbound: outbound)
            }
        }
        let server = try configuration.tlsServerConfiguration().map { try HTTPServerBuilder.tls(plain, tlsConfiguration: $0) } ?? plain
        let app = Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            onServerRunning: { [weak self] channel in self?.markListening(port: channel.localAddress?.port ?? 0) },
            logger: core.logger
        )
        defer { markStopped() }
        // Cancellation ends the server; closing the sessions first lets its connections end too,
        // so nothing waits on a client that is still attached.
        try await withTaskCancellationHandler {
          try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await app.run() }
                group.addTask {
                    if let replay = configuration.replay {
                        try await ReplaySource(path: replay, speed: configuration.speed).run(core: core)
                        // Keep serving after the recording ends; the server task decides when to stop.
                        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
                    } else {
                        await core.runGenerator()
                    }
                }
                defer { group.cancelAll() }
                _ = try await group.next()
            }
          } onGracefulShutdown: {
            core.closeAll()
          }
        } onCancel: {
            core.closeAll()
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
        let waiters = listening.withLock { state -> [CheckedContinuation<Int, any Error>] in
            guard case .pending(let waiters) = state else { return [] }
            state = .bound(port)
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: port) }
    }

    private func markStopped() {
        let waiters = listening.withLock { state -> [CheckedContinuation<Int, any Error>] in
            guard case .pending(let waiters) = state else {
                state = .stopped
                return []
            }
            state = .stopped
            return waiters
        }
        for waiter in waiters { waiter.resume(throwing: NotListening()) }
    }
}
