import HummingbirdWebSocket
import Logging
import NIOWebSocket
import NIOCore
import Synchronization
import TickRouter
import TickRouterConfig

/// The connected clients of one WebSocket sink: the provider's control protocol (connected,
/// auth, subscribe/unsubscribe with acks) and the per-drain encoding shared between clients.
final class WebSocketHub: Sendable {
    let spec: WebSocketSink.Spec
    let runtime: SinkRuntime
    private let sessions = Mutex<[ObjectIdentifier: WebSocketClientSession]>([:])

    init(spec: WebSocketSink.Spec, runtime: SinkRuntime) {
        self.spec = spec
        self.runtime = runtime
    }

    var sessionCount: Int { sessions.withLock { $0.count } }

    /// Whether a request path is one this sink serves: `/`, `/{market}` or `/{feed}/{market}`.
    func serves(path: String) -> Bool {
        let plain = path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? path
        let parts = plain.split(separator: "/")
        return parts.isEmpty || parts.last.map(String.init) == runtime.market.path && parts.count <= 2
    }

    /// Serves one upgraded connection until either side closes it.
    func serve(channel: any Channel, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        let session = WebSocketClientSession(channel: channel, limits: spec.limits, stats: runtime.stats)
        let id = ObjectIdentifier(session)
        let accepted = sessions.withLock { sessions in
            guard sessions.count < spec.maxClients else { return false }
            sessions[id] = session
            return true
        }
        guard accepted else {
            try await outbound.write(.custom(.init(fin: true, opcode: .text, data: EncodedFrames.status(
                "max_connections", "this sink has reached max_clients (\(spec.maxClients)); try later"
            ))))
            try await outbound.close(.policyViolation, reason: nil)
            return
        }
        runtime.stats.clients.add(1)
        defer {
            sessions.withLock { $0[id] = nil }
            runtime.stats.clients.add(-1)
            let lost = session.discardQueued()
            if lost > 0 { runtime.stats.drop(.disconnected, lost) }
            session.finish()
        }
        session.send(EncodedFrames.status("connected", "Connected Successfully"))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await session.runSender(outbound) }
            group.addTask {
                for try await message in inbound.messages(maxSize: ClientAction.maxLineBytes) {
                    switch message {
                    case .text(let text): self.handle(Array(text.utf8), from: session)
                    case .binary(let buffer): self.handle(Array(buffer.readableBytesView), from: session)
                    }
                }
            }
            _ = try await group.next()
            group.cancelAll()
        }
    }

    /// Handles one client message; never throws or traps on bad input.
    func handle(_ bytes: [UInt8], from session: WebSocketClientSession) {
        switch ClientAction.parse(bytes) {
        case .failure(let error):
            session.send(EncodedFrames.status("error", error.message))
        case .success(let action):
            switch action.kind {
            case .auth:
                if spec.keys == nil || spec.keys?.contains(action.params) == true {
                    session.authenticate()
                    session.send(EncodedFrames.status("auth_success", "authenticated"))
                } else {
                    runtime.logger.warning("websocket client refused: wrong key")  // never the key itself
                    session.close(after: EncodedFrames.status("auth_failed", "authentication failed"))
                }
            case .subscribe, .unsubscribe:
                guard session.isAuthenticated else {
                    session.send(EncodedFrames.status("auth_required", "you must authenticate before subscribing"))
                    return
                }
                let (topics, errors) = action.topics(market: runtime.market, symbols: runtime.symbols)
                let subscribe = action.kind == .subscribe
                // One ack per item, like the provider, and all of this message's acks and errors
                // before its first event: the subscription changes only after they are queued.
                for topic in topics {
                    let verb = subscribe ? "subscribed to" : "unsubscribed to"
                    session.send(EncodedFrames.status("success", "\(verb): \(topic.text)"))
                }
                for error in errors { session.send(EncodedFrames.status("error", error)) }
                session.update { subscription in
                    for topic in topics {
                        if subscribe { subscription.add(topic) } else { subscription.remove(topic) }
                    }
                }
            }
        }
    }

    /// Encodes the batches once per distinct subscription and queues the frames on each client.
    func dispatch(_ batches: [EventBatch]) {
        let all = sessions.withLock { Array($0.values) }
        guard !all.isEmpty else { return }
        var mask: UInt32 = 0
        var bytes = 0
        for batch in batches {
            mask |= batch.channelMask
            bytes += batch.frame.readableBytes
        }
        var encoded: [ClientSubscription: EncodedFrames] = [:]
        for session in all {
            guard let subscription = session.activeSubscription, subscription.mayMatch(channelMask: mask) else { continue }
            let frames: EncodedFrames
            if let cached = encoded[subscription] {
                frames = cached
            } else {
                frames = EncodedFrames.encode(
                    batches, for: subscription, maxEvents: spec.frameEvents, maxBytes: spec.frameBytes,
                    capacity: bytes + batches.count * 64
                )
                encoded[subscription] = frames
            }
            if !frames.frames.isEmpty { session.enqueue(frames) }
        }
    }

    /// Sends what is queued, then closes every client (graceful shutdown).
    func closeAll() {
        let all = sessions.withLock { Array($0.values) }
        for session in all { session.close(after: nil, code: .goingAway) }
    }
}
