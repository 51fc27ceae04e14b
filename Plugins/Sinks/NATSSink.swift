#if NATS
import Dispatch
import Synchronization
import Logging
import TickRouter
import TickRouterConfig

/// `nats`: publishes every event to a NATS server or cluster through libnats (Debian's
/// libnats-dev), on subject `md.{market}.{channel}.{symbol}` by default.
///
/// The payload is the provider's JSON object unchanged (`payload: event`), or one JSON array per
/// subject per drained set of batches (`payload: batch`). Symbols are escaped into one subject
/// token with ``SubjectEscaping`` (`BRK.B` → `BRK%2EB`).
///
/// Publishing runs on the sink's own serial dispatch queue: `natsConnection_Publish` may write to
/// the socket (and block while the server pushes back), which must not hold a NIO event loop or a
/// thread of Swift's cooperative pool. The sink task hands each drained set over and waits for it,
/// so while NATS is slow the sink's byte-bounded inlet absorbs (and, when full, drops) events, and
/// the feed never waits.
///
/// While disconnected libnats keeps publishes in a bounded reconnect buffer
/// (`reconnect.buffer`) and sends them on reconnect; when it is full, events are dropped and
/// counted as `reconnect_buffer_full`. Connection events and asynchronous errors (slow consumer,
/// permission violations) are counted in ``SinkLinkStats`` and logged.
///
/// Built only with the package trait `NATS` (`swift build --traits NATS`).
public struct NATSSink: Sink {
    public struct Spec: SinkSpec {
        var connection: NATSConnectionSettings
        var template: SubjectTemplate
        var payload: NATSPublisher.Payload
        var jetstream: JetStreamSettings?
        /// Subjects the stream captures (resolved at plan time from the template and market).
        var streamSubjects: [String]
        var flushTimeout: Duration
        public var queueBytes: Int

        public var planDetails: [(key: String, value: String)] {
            var details: [(key: String, value: String)] = [
                ("servers", connection.servers.joined(separator: ", ")), ("subject", template.text), ("payload", payload.rawValue),
                ("connection_name", connection.connectionName),
                ("reconnect", "wait \(connection.reconnectWait), buffer \(connection.reconnectBufferBytes) bytes, "
                    + (connection.maxReconnects < 0 ? "forever" : "\(connection.maxReconnects) attempts")),
            ]
            if connection.token != nil { details.append(("auth", "token <redacted>")) }
            if let file = connection.credentialsFile { details.append(("auth", "credentials \(file)")) }
            if let tls = connection.tls { details.append(("tls", "verify \(tls.verify)" + (tls.caFile.map { ", ca \($0)" } ?? ""))) }
            if let jetstream {
                details.append((
                    "jetstream",
                    "stream \(jetstream.stream) over \(streamSubjects.joined(separator: ",")), \(jetstream.storage.rawValue), "
                        + "max_msgs_per_subject \(jetstream.maxMessagesPerSubject), max_age \(jetstream.maxAge.map { "\($0)" } ?? "unlimited")"
                ))
            }
            return details
        }

        public func makeSink(_ runtime: SinkRuntime) throws -> any Sink { NATSSink(spec: self, runtime: runtime) }
    }

    let spec: Spec
    let runtime: SinkRuntime

    public func run() async throws {
        let queue = DispatchQueue(label: "tickrouter.nats.\(runtime.name)")
        let monitor = NATSLinkMonitor(stats: runtime.stats, logger: runtime.logger)
        let settings = spec.connection
        let connection = try await onQueue(queue) { () throws(NATSError) in try NATSConnection.connect(settings, monitor: monitor) }
        let publisher = NATSPublisher(
            connection: connection, payload: spec.payload,
            subjects: SubjectCache(template: spec.template, market: runtime.market, symbols: runtime.symbols)
        )
        let loop = PublishLoop(spec: spec, runtime: runtime, publisher: publisher, monitor: monitor)
        while let batches = await runtime.inlet.drain() {
            await onQueue(queue) { loop.publish(batches) }
            runtime.stats.recordHandoff(batches)
        }
        let timeout = spec.flushTimeout
        await onQueue(queue) { connection.close(timeout: timeout) }
        runtime.logger.info(
            "nats: closed after \(runtime.stats.link.messagesPublished.load) messages, \(runtime.stats.delivered.load) events"
        )
    }

    /// Runs `body` on the sink's publishing queue and waits for it without holding a cooperative thread.
    private func onQueue<T: Sendable, E: Error>(_ queue: DispatchQueue, _ body: @escaping @Sendable () throws(E) -> T) async throws(E) -> T {
        let result: Result<T, E> = await withCheckedContinuation { continuation in
            queue.async {
                do throws(E) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }

    private func onQueue(_ queue: DispatchQueue, _ body: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                body()
                continuation.resume()
            }
        }
    }

    public static let plugin = SinkPlugin(
        type: "nats",
        summary: "publishes every event to NATS (libnats) on md.{market}.{channel}.{symbol}; optional JetStream last-value stream",
        options: NATSSinkOptions.all,
        decode: NATSSinkOptions.decode
    )
}

/// The per-set work on the publishing queue: JetStream set-up when due, publish, count, report.
private final class PublishLoop: @unchecked Sendable {
    let spec: NATSSink.Spec
    let runtime: SinkRuntime
    let publisher: NATSPublisher
    let monitor: NATSLinkMonitor
    /// Connect events already handled: a new one means the stream must be checked again.
    private var seenConnects = 0
    private var streamReady = false
    private var nextStreamAttempt = ContinuousClock.now
    private var lastFailureLog: ContinuousClock.Instant?
    private var unreportedFailures = 0

    init(spec: NATSSink.Spec, runtime: SinkRuntime, publisher: NATSPublisher, monitor: NATSLinkMonitor) {
        self.spec = spec
        self.runtime = runtime
        self.publisher = publisher
        self.monitor = monitor
    }

    func publish(_ batches: [EventBatch]) {
        if spec.jetstream != nil { ensureStream() }
        let reconnecting = publisher.connection.isReconnecting
        let outcome = publisher.publish(batches)
        let stats = runtime.stats
        stats.delivered.add(outcome.delivered)
        stats.link.messagesPublished.add(outcome.messages)
        stats.link.bytesPublished.add(outcome.bytes)
        if reconnecting { stats.link.bufferedWhileDisconnected.add(outcome.delivered) }
        if outcome.reconnectBufferFull > 0 { stats.drop(.reconnectBufferFull, outcome.reconnectBufferFull) }
        if outcome.closed > 0 { stats.drop(.disconnected, outcome.closed) }
        if outcome.failed > 0 { stats.drop(.publishFailed, outcome.failed) }
        let lost = outcome.reconnectBufferFull + outcome.closed + outcome.failed
        guard lost > 0 else { return }
        unreportedFailures += lost
        let now = ContinuousClock.now
        if let last = lastFailureLog, now - last < .seconds(5) { return }
        lastFailureLog = now
        runtime.logger.warning("nats: \(unreportedFailures) events not published: \(NATSError(outcome.lastFailure, "publish").detail)")
        unreportedFailures = 0
    }

    private func ensureStream() {
        let connects = monitor.connectedEvents.load(ordering: .acquiring)
        if connects != seenConnects {
            seenConnects = connects
            streamReady = false
        }
        guard !streamReady, let settings = spec.jetstream, !publisher.connection.isReconnecting, runtime.stats.link.connected.load == 1,
            ContinuousClock.now >= nextStreamAttempt
        else { return }
        do {
            let line = try JetStreamBinding.ensure(settings, subjects: spec.streamSubjects, on: publisher.connection)
            runtime.logger.info("nats: \(line)")
            streamReady = true
        } catch {
            runtime.logger.warning("nats: \(error); retrying in 5 s (events are still published, but not stored until the stream exists)")
            nextStreamAttempt = .now + .seconds(5)
        }
    }
}
#endif
