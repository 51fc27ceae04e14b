import DequeModule
import NIOCore
import Synchronization
import TickRouter
import TickRouterConfig

/// One Unix-socket client, confined to its channel's event loop: reads action lines, keeps the
/// client's bounded queue and writes while the socket is writable.
final class SocketClient: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// The thread-safe face of a client, used by the sink's task.
    final class Handle: Sendable {
        private let state: Mutex<ClientSubscription>
        let channel: any NIOCore.Channel
        private let client: NIOLoopBound<SocketClient>

        init(channel: any NIOCore.Channel, client: SocketClient) {
            self.channel = channel
            self.client = NIOLoopBound(client, eventLoop: channel.eventLoop)
            self.state = Mutex(ClientSubscription())
        }

        var subscription: ClientSubscription {
            get { state.withLock { $0 } }
            set { state.withLock { $0 = newValue } }
        }

        /// Set while the client lags under `conflate`/`demote`: it then takes raw batches.
        let wantsBatches = Atomic<Bool>(false)

        /// Set while the client keeps copies of what it is sent (see ``SocketClient/enqueue(_:)``):
        /// the sink hands it each drain after the clients that keep up.
        let keepsCopies = Atomic<Bool>(false)

        /// Queues encoded events; hops to the client's event loop.
        func enqueue(_ lines: EncodedLines) {
            let client = self.client
            // The sink drains on its clients' event loop: then the call is direct.
            if channel.eventLoop.inEventLoop {
                client.value.enqueue(lines)
            } else {
                channel.eventLoop.execute { client.value.enqueue(lines) }
            }
        }

        /// Hands a lagging client one drain's batches (one hop per drain).
        func enqueue(_ batches: [EventBatch]) {
            let client = self.client
            if channel.eventLoop.inEventLoop {
                client.value.enqueue(batches)
            } else {
                channel.eventLoop.execute { client.value.enqueue(batches) }
            }
        }

        /// Graceful end: the client gets everything queued for it, then the socket closes. Waits
        /// until it has (a client that stops reading holds this up); cancellation closes at once.
        func finish() async {
            let client = self.client
            let channel = self.channel
            channel.eventLoop.execute { client.value.finish() }
            await withTaskCancellationHandler {
                try? await channel.closeFuture.get()
            } onCancel: {
                channel.close(promise: nil)
            }
        }
    }

    private let hub: ClientHub
    private var handle: Handle?
    private var pendingInput = ByteBuffer()
    private var discardingLongLine = false
    private var queue = Deque<EncodedLines>()
    private var queuedEvents = 0
    private var queuedBytes = 0
    /// Events dropped since the last `gap` status line.
    private var droppedSinceAnnounce = 0
    private var context: ChannelHandlerContext?
    /// The `conflate`/`demote` state; `.ticks` for a client that keeps up.
    private var lag = LaggingClient()
    /// This client's part of the sink's queue-depth figures (events queued or held in the snapshot).
    private var depth: Counter?
    /// Whether this client keeps copies of what it is queued (it has stopped reading).
    private var keepsCopies = false
    /// Set by ``finish()``: close once the queue is written.
    private var finishing = false
    private var closingOutput = false

    /// Clients alive in this process: one that has gone must be freed, its channel with it.
    static let alive = Atomic<Int>(0)
    /// Drains a stopped client took as a copy of its own (see ``enqueue(_:)``), in this process.
    static let copiedDrains = Atomic<Int>(0)

    init(hub: ClientHub) {
        self.hub = hub
        Self.alive.add(1, ordering: .relaxed)
    }

    deinit { Self.alive.subtract(1, ordering: .relaxed) }

    func channelActive(context: ChannelHandlerContext) {
        self.context = context
        let handle = Handle(channel: context.channel, client: self)
        guard hub.register(handle) else {
            writeStatus("max_clients", "this socket has reached max_clients (\(hub.spec.maxClients)); try later", context: context)
            context.flush()
            context.close(promise: nil)
            return
        }
        self.handle = handle
        depth = hub.runtime.stats.clientQueues.register()
        writeStatus("connected", "Connected Successfully", context: context)
        context.flush()
    }

    func channelInactive(context: ChannelHandlerContext) {
        // The handle holds this client (and through its channel, the pipeline holding this
        // client): letting go of it breaks the cycle, so a closed client is freed.
        if let handle { hub.unregister(handle) }
        handle = nil
        if queuedEvents > 0 { hub.runtime.stats.drop(.disconnected, queuedEvents) }
        queue.removeAll()
        queuedEvents = 0
        queuedBytes = 0
        if let depth { hub.runtime.stats.clientQueues.unregister(depth) }
        depth = nil
        self.context = nil
    }

    /// Publishes the queue depth for `/metrics` (one relaxed store).
    private func publishDepth() {
        depth?.set(queuedEvents + lag.latest.count)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = unwrapInboundIn(data)
        if discardingLongLine {
            // The rest of a refused line is dropped as it arrives, never buffered or refused again.
            guard let newline = input.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else { return }
            input.moveReaderIndex(to: newline + 1)
            discardingLongLine = false
        }
        pendingInput.writeBuffer(&input)
        while let newline = pendingInput.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
            let length = newline - pendingInput.readerIndex
            let line = pendingInput.readSlice(length: length)!
            pendingInput.moveReaderIndex(forwardBy: 1)
            handleLine(line, context: context)
        }
        if pendingInput.readableBytes > ClientAction.maxLineBytes {
            // A line over the limit: refuse it without buffering the rest of it.
            pendingInput.clear()
            discardingLongLine = true
            writeStatus("error", "action longer than \(ClientAction.maxLineBytes) bytes", context: context)
            context.flush()
        }
        pendingInput.discardReadBytes()
    }

    private func handleLine(_ line: ByteBuffer, context: ChannelHandlerContext) {
        let bytes = line.readableBytesView.filter { $0 != UInt8(ascii: "\r") }
        guard !bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) else { return }
        switch ClientAction.parse(bytes) {
        case .failure(let error):
            writeStatus("error", error.message, context: context)
        case .success(let action):
            switch action.kind {
            case .auth:
                // Local sockets are guarded by file permissions; accept any key like the official mock.
                writeStatus("auth_success", "authenticated", context: context)
            case .subscribe, .unsubscribe:
                guard let handle else { return }
                let (topics, errors) = action.topics(market: hub.runtime.market, symbols: hub.runtime.symbols)
                var subscription = handle.subscription
                for topic in topics {
                    if action.kind == .subscribe {
                        subscription.add(topic)
                        writeStatus("success", "subscribed to: \(topic.text)", context: context)
                    } else {
                        subscription.remove(topic)
                        writeStatus("success", "unsubscribed to: \(topic.text)", context: context)
                    }
                }
                for error in errors { writeStatus("error", error, context: context) }
                handle.subscription = subscription
            }
        }
        context.flush()
    }

    /// Adds encoded events to this client's queue, applying the slow-client policy, then writes.
    func enqueue(_ lines: EncodedLines) {
        guard let context else { return }
        let events = lines.events
        defer { publishDepth() }
        if lag.level > .ticks {
            // Encoded before this client fell behind: lines cannot be conflated, so they go as a gap.
            droppedSinceAnnounce += events
            hub.runtime.stats.drop(.slowClient, events)
            return
        }
        // A client that has stopped reading keeps what it is sent for as long as its queue lasts.
        // Holding the sink's shared buffer for that long would make every drain's encoding land in
        // memory out of the cache (the allocator cannot reuse the buffers it holds): for everyone
        // else's latency, it keeps a copy of its own and lets the shared buffer go at once. (A
        // client whose socket is full but whose queue is short is only behind for a moment.)
        let stalled = !context.channel.isWritable && (queuedEvents >= hub.spec.queue / 2 || queuedBytes >= hub.spec.clientQueueBytes / 2)
        if stalled != keepsCopies {
            keepsCopies = stalled
            handle?.keepsCopies.store(stalled, ordering: .relaxed)
        }
        if stalled {
            queue.append(lines.copy(allocator: context.channel.allocator))
            Self.copiedDrains.add(1, ordering: .relaxed)
        } else {
            queue.append(lines)
        }
        queuedEvents += events
        queuedBytes += lines.buffer.readableBytes
        if queuedEvents > hub.spec.queue || queuedBytes > hub.spec.clientQueueBytes {
            switch hub.spec.slowClient {
            case .disconnect:
                hub.runtime.stats.drop(.slowClient, queuedEvents)
                queue.removeAll()
                queuedEvents = 0
                queuedBytes = 0
                writeStatus("slow_consumer", "client fell behind by more than its queue; disconnecting", context: context)
                context.flush()
                context.close(promise: nil)
                return
            case .conflate where context.channel.isWritable, .demote where context.channel.isWritable:
                // One big drain over the limit is not lag: the socket takes it now.
                break
            case .conflate, .demote:
                // Queued lines cannot be conflated: they go (announced as a gap); from now on the
                // client keeps only the latest event per channel and symbol.
                let dropped = queuedEvents
                queue.removeAll()
                queuedEvents = 0
                queuedBytes = 0
                droppedSinceAnnounce += dropped
                hub.runtime.stats.drop(.slowClient, dropped)
                if lag.level == .ticks { transition(to: .conflated, context: context) }
                return
            case .dropOldest:
                var dropped = 0
                while queue.count > 1, queuedEvents > hub.spec.queue || queuedBytes > hub.spec.clientQueueBytes {
                    let oldest = queue.removeFirst()
                    queuedEvents -= oldest.events
                    queuedBytes -= oldest.buffer.readableBytes
                    dropped += oldest.events
                }
                droppedSinceAnnounce += dropped
                hub.runtime.stats.drop(.slowClient, dropped)
            }
        }
        flushQueue(context: context)
    }

    /// One drain's batches for a lagging client: absorbed into its latest-per-symbol snapshot.
    func enqueue(_ batches: [EventBatch]) {
        guard let context, let handle else { return }
        defer { publishDepth() }
        let subscription = handle.subscription
        guard lag.level > .ticks else {
            // Promoted back while these were on their way: encode them like the hub does.
            let lines = ClientHub.encode(batches, for: subscription, capacity: batches.reduce(0) { $0 + $1.frame.readableBytes })
            if lines.events > 0 { enqueue(lines) }
            return
        }
        let (dropped, conflated) = lag.absorb(batches, subscription: subscription)
        if dropped > 0 {
            droppedSinceAnnounce += dropped
            hub.runtime.stats.drop(.slowClient, dropped)
        }
        if conflated > 0 { hub.runtime.stats.drop(.conflated, conflated) }
        evaluateLag(context: context)
    }

    /// Writes the pending snapshot when the client can take it; demotes a client that stays
    /// behind (`demote`), promotes one that has kept up for `promote_after`.
    private func evaluateLag(context: ChannelHandlerContext) {
        let now = NIODeadline.now()
        if context.channel.isWritable, queue.isEmpty {
            if !lag.latest.isEmpty {
                announceGap(context: context)
                let (snapshot, events) = lag.takeSnapshot(allocator: context.channel.allocator)
                context.write(wrapOutboundOut(snapshot), promise: nil)
                context.flush()
                hub.runtime.stats.delivered.add(events)
            }
            lag.lagSince = nil
            let calm = TimeAmount.nanoseconds(hub.spec.promoteAfter.nanoseconds)
            if now - lag.lastLag >= calm, now - lag.lastTransition >= calm, let up = LaggingClient.Level(rawValue: lag.level.rawValue - 1) {
                transition(to: up, context: context)
            }
        } else {
            lag.lastLag = now
            guard let since = lag.lagSince else {
                lag.lagSince = now
                return
            }
            if hub.spec.slowClient == .demote, lag.level == .conflated, now - since >= .nanoseconds(hub.spec.demoteAfter.nanoseconds) {
                transition(to: .barsOnly, context: context)
                let dropped = lag.dropUnkept()
                droppedSinceAnnounce += dropped
                hub.runtime.stats.drop(.slowClient, dropped)
                lag.lagSince = now
            }
        }
    }

    /// Changes level, announces it to the client (`demoted` / `promoted` with `level`) and counts it.
    private func transition(to level: LaggingClient.Level, context: ChannelHandlerContext) {
        let status = level > lag.level ? "demoted" : "promoted"
        lag.level = level
        lag.lastTransition = .now()
        lag.lastLag = .now()
        handle?.wantsBatches.store(level > .ticks, ordering: .relaxed)
        hub.runtime.stats.clientTransitions.add(1)
        announceGap(context: context)
        writeStatus(status, level.message, extra: [("level", level.rawValue)], context: context)
        context.flush()
    }

    private func announceGap(context: ChannelHandlerContext) {
        guard droppedSinceAnnounce > 0 else { return }
        writeStatus("gap", "slow client: \(droppedSinceAnnounce) events dropped", extra: [("dropped", droppedSinceAnnounce)], context: context)
        droppedSinceAnnounce = 0
    }

    private func flushQueue(context: ChannelHandlerContext) {
        var delivered = 0
        var written: [EncodedLines] = []
        while context.channel.isWritable, let next = queue.popFirst() {
            if droppedSinceAnnounce > 0 {
                writeStatus(
                    "gap", "slow client: \(droppedSinceAnnounce) events dropped", extra: [("dropped", droppedSinceAnnounce)], context: context
                )
                droppedSinceAnnounce = 0
            }
            queuedEvents -= next.events
            queuedBytes -= next.buffer.readableBytes
            delivered += next.events
            context.write(wrapOutboundOut(next.buffer), promise: nil)
            written.append(next)
        }
        if !written.isEmpty {
            context.flush()
            hub.runtime.stats.delivered.add(delivered)
            // Written to the socket now (or queued in NIO for the socket when it is nearly full).
            let now = NIODeadline.now().uptimeNanoseconds
            let latency = hub.runtime.stats.writeLatency
            for lines in written {
                for mark in lines.marks { latency.record(nanoseconds: now &- min(now, mark.receivedAt), events: mark.events) }
            }
        }
        if finishing, queue.isEmpty { closeIfFinished(context: context) }
    }

    /// Graceful shutdown (the sink's inlet is drained and nothing more is enqueued): writes what is
    /// queued (a lagging client's pending snapshot too), then half-closes once NIO has written it
    /// all, and closes. A client that never reads keeps the socket open until cancelled.
    func finish() {
        guard let context, !finishing else { return }
        finishing = true
        if !lag.latest.isEmpty {
            announceGap(context: context)
            let (snapshot, events) = lag.takeSnapshot(allocator: context.channel.allocator)
            context.write(wrapOutboundOut(snapshot), promise: nil)
            context.flush()
            hub.runtime.stats.delivered.add(events)
            publishDepth()
        }
        closeIfFinished(context: context)
    }

    private func closeIfFinished(context: ChannelHandlerContext) {
        guard finishing, queue.isEmpty, !closingOutput else { return }
        closingOutput = true
        let channel = context.channel
        let written = context.eventLoop.makePromise(of: Void.self)
        // `.output` waits for the pending writes before shutting the write side.
        context.close(mode: .output, promise: written)
        written.futureResult.whenComplete { _ in channel.close(promise: nil) }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            flushQueue(context: context)
            if lag.level > .ticks { evaluateLag(context: context) }
            publishDepth()
        }
        context.fireChannelWritabilityChanged()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func writeStatus(_ status: String, _ message: String, extra: [(String, Int)] = [], context: ChannelHandlerContext) {
        var line = context.channel.allocator.buffer(capacity: 128)
        line.writeString(StatusLine.json(status: status, message: message, extra: extra))
        line.writeInteger(UInt8(ascii: "\n"))
        context.write(wrapOutboundOut(line), promise: nil)
    }
}
