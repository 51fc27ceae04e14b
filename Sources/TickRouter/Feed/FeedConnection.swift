import Logging
public import NIOCore
import NIOSSL
import NIOWebSocket
import ServiceLifecycle
public import TickRouterConfig
import Synchronization
import WSClient

/// One provider connection: connects, authenticates, subscribes to its planned symbols and streams
/// frames into its ``ConnectionPipeline``, reconnecting by its ``ReconnectPolicy`` for as long as
/// the engine runs.
///
/// The read loop only decodes, processes and enqueues; it never waits on a sink.
public final class FeedConnection: Sendable {
    /// Thrown when the connection cannot go on (authentication failed): the engine stops.
    public struct FatalError: Error, CustomStringConvertible {
        public var connection: String
        public var reason: String
        public var description: String { "connection \(connection): \(reason)" }
    }

    public let plan: ConnectionPlan
    private let feed: FeedConfiguration
    private let url: String
    private let stats: ConnectionStats
    private let logger: Logger
    private let makePipeline: @Sendable () -> ConnectionPipeline
    private let subscriptions: SubscriptionController
    /// Set by ``unsubscribeAndClose()``: the run loop returns instead of reconnecting.
    private let stopRequested = Atomic<Bool>(false)
    /// Told, before the reconnect, when a session that streamed ends: consumers get a `gap` line.
    private let onSessionLost: @Sendable (GapNotice) -> Void

    public init(
        plan: ConnectionPlan, feed: FeedConfiguration, url: String, stats: ConnectionStats, logger: Logger,
        onSessionLost: @escaping @Sendable (GapNotice) -> Void = { _ in },
        makePipeline: @escaping @Sendable () -> ConnectionPipeline
    ) {
        self.onSessionLost = onSessionLost
        self.plan = plan
        self.feed = feed
        self.url = url
        self.stats = stats
        var logger = logger
        logger[metadataKey: "connection"] = .string(plan.name)
        self.logger = logger
        self.makePipeline = makePipeline
        self.subscriptions = SubscriptionController(symbols: plan.symbols, channels: plan.channels, stats: stats, logger: logger)
    }

    /// Changes what this connection carries. On a live session only the difference is sent
    /// (`subscribe` first, then `unsubscribe`); otherwise the next session subscribes it all.
    @discardableResult
    public func update(symbols: [String], channels: [FeedChannel]) async -> (added: Int, removed: Int) {
        await subscriptions.update(symbols: symbols, channels: channels)
    }

    /// Graceful stop: sends the provider's `unsubscribe` for everything this connection carries
    /// on the live session, closes it normally, and makes ``run()`` return instead of reconnecting.
    /// Returns false when no session was streaming (nothing to unsubscribe).
    @discardableResult
    public func unsubscribeAndClose() async -> Bool {
        stopRequested.store(true, ordering: .relaxed)
        let closed = await subscriptions.unsubscribeAllAndClose()
        if closed { logger.info("unsubscribed and closed the session") }
        return closed
    }

    private func setState(_ state: FeedConnectionState) { stats.stateCode.set(state.rawValue) }

    /// Runs sessions until cancelled. Throws ``FatalError`` when authentication fails.
    public func run() async throws {
        let session = SessionBox(pipeline: makePipeline())
        var policy = ReconnectPolicy(settings: feed.reconnect, seed: UInt64(plan.index + 1) &* 0x9E37_79B9)
        var first = true
        defer { setState(.stopped) }
        while !Task.isCancelled, !stopRequested.load(ordering: .relaxed) {
            if !first { stats.reconnects.add(1) }
            first = false
            setState(.connecting)
            session.reset()
            var end: SessionEnd?
            do {
                try await runSession(session)
                end = session.end ?? .closed("connection closed")
            } catch is CancellationError {
                return
            } catch {
                if Task.isCancelled { return }
                end = session.end ?? (session.opened ? .closed("\(error)") : nil)
                if !session.opened { logger.warning("cannot connect to \(url): \(error)") }
            }
            if Task.isCancelled || stopRequested.load(ordering: .relaxed) { return }
            let healthy = session.streamingSince.map { ContinuousClock.now - $0 } ?? .zero
            switch policy.next(after: end, healthyFor: healthy) {
            case .stop(let reason):
                setState(.failed)
                logger.error("\(reason); not retrying (check the API key)")
                throw FatalError(connection: plan.name, reason: reason)
            case .retry(let delay):
                if session.streamingSince != nil {
                    // Events the provider sends until the next session streams are lost: say so
                    // before any event of that session can reach a consumer.
                    let (symbols, channels) = await subscriptions.current
                    if !symbols.isEmpty {
                        onSessionLost(
                            GapNotice(
                                connection: plan.name, channels: channels, symbols: symbols,
                                message: "connection \(plan.name) lost its session (\(end.map { "\($0)" } ?? "closed")): \(channels.map(\.code).joined(separator: ",")) of its \(symbols.count) symbols may miss data until it is back (retry in \(delay))"
                            )
                        )
                    }
                }
                if case .maxConnections(let message) = end {
                    setState(.coolingDown)
                    logger.error(
                        "provider refused the connection: max_connections (\(message)). Another client uses this account's budget; waiting \(delay) before trying again"
                    )
                } else {
                    setState(.backingOff)
                    if case .slowConsumer = end { logger.error("provider dropped us as a slow consumer; reconnecting in \(delay)") }
                    logger.info("session ended (\(end.map { "\($0)" } ?? "connect failed")); reconnecting in \(delay)")
                }
                try await Task.sleep(for: delay)
            }
        }
    }

    private func runSession(_ session: SessionBox) async throws {
        var configuration = WebSocketClientConfiguration(maxFrameSize: feed.frameLimit, autoPing: .enabled(timePeriod: .seconds(30)))
        configuration.validateUTF8 = false
        var tls: TLSConfiguration?
        if url.hasPrefix("wss://") {
            var settings = TLSConfiguration.makeClientConfiguration()
            if !feed.tls.verify { settings.certificateVerification = .none }
            if let caFile = feed.tls.caFile { settings.trustRoots = .file(caFile) }
            tls = settings
        }
        let plan = self.plan
        let subscriptions = self.subscriptions
        let apiKey = feed.apiKey?.value ?? ""
        let frameLimit = feed.frameLimit
        let client = WebSocketClient(url: url, configuration: configuration, tlsConfiguration: tls, logger: logger) {
            [stats, logger] inbound, outbound, _ in
            session.opened = true
            var machine = FeedSessionStateMachine()
            var fragments: ByteBuffer?
            var iterator = inbound.makeAsyncIterator()
            while let frame = try await iterator.next() {
                let data: ByteBuffer
                switch frame.opcode {
                case .text, .binary:
                    guard frame.fin else {
                        fragments = frame.data
                        continue
                    }
                    data = frame.data
                case .continuation:
                    guard var partial = fragments else { continue }
                    partial.writeImmutableBuffer(frame.data)
                    guard partial.readableBytes <= frameLimit else {
                        try await outbound.close(.messageTooLarge, reason: "frame over \(frameLimit) bytes")
                        return
                    }
                    guard frame.fin else {
                        fragments = partial
                        continue
                    }
                    fragments = nil
                    data = partial
                }
                let statuses = session.pipeline.handle(frame: data, receivedAt: NIODeadline.now().uptimeNanoseconds)
                for status in statuses {
                    if status.status == "success", status.message.hasPrefix("subscribed to") { stats.subscribeAcks.add(1) }
                    switch machine.received(status) {
                    case .none:
                        break
                    case .sendAuth:
                        stats.stateCode.set(FeedConnectionState.authenticating.rawValue)
                        try await outbound.writeTextMessage(ProviderActions.auth(key: apiKey))
                    case .sendSubscriptions:
                        stats.stateCode.set(FeedConnectionState.subscribing.rawValue)
                        try await subscriptions.sessionStarted(outbound)
                        session.streamingSince = .now
                        stats.sessions.add(1)
                        stats.stateCode.set(FeedConnectionState.streaming.rawValue)
                        logger.info("streaming \(stats.subscribedSymbols.load) symbols on \(plan.channels.map(\.code).joined(separator: ","))")
                    case .warn(let message):
                        logger.warning("\(message)")
                    case .end(let end):
                        session.end = end
                        try? await outbound.close(.normalClosure, reason: nil)
                        return
                    }
                }
            }
            session.end = machine.closed(reason: "server closed the connection")
        }
        do {
            try await client.run()
        } catch {
            await subscriptions.sessionEnded()
            throw error
        }
        await subscriptions.sessionEnded()
    }
}

/// State shared between a connection's run loop and its live session handler.
///
/// Confined in practice to the connection's read task: only one session runs at a time and the
/// run loop reads these fields only after that session's handler has returned.
private final class SessionBox: @unchecked Sendable {
    var pipeline: ConnectionPipeline
    var opened = false
    var end: SessionEnd?
    var streamingSince: ContinuousClock.Instant?

    init(pipeline: ConnectionPipeline) { self.pipeline = pipeline }

    func reset() {
        opened = false
        end = nil
        streamingSince = nil
    }
}
