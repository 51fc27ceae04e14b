import Logging
import NIOWebSocket
public import TickRouterConfig
import WSCore

/// The subscriptions one connection should have, and the traffic that gets the live socket there.
///
/// After authentication a session receives the whole desired set; afterwards every change —
/// a reload, a failover, a rebalance — is sent as `subscribe`/`unsubscribe` deltas on the live
/// socket, never as a reconnect. Control plane only: called per session and per change.
actor SubscriptionController {
    private var symbols: [String]
    private var channels: [FeedChannel]
    /// Topics (`T.AAPL`) sent on the live session.
    private var sent: Set<String> = []
    private var outbound: WebSocketOutboundWriter?
    private let stats: ConnectionStats
    private let logger: Logger
    /// Most topics per subscribe message.
    static let maxTopicsPerMessage = 2000

    init(symbols: [String], channels: [FeedChannel], stats: ConnectionStats, logger: Logger) {
        self.symbols = symbols
        self.channels = channels
        self.stats = stats
        self.logger = logger
    }

    /// The symbols and channels this connection should carry now.
    var current: (symbols: [String], channels: [FeedChannel]) { (symbols, channels) }

    private var desired: [String] {
        var topics: [String] = []
        topics.reserveCapacity(symbols.count * channels.count)
        for symbol in symbols {
            for channel in channels { topics.append("\(channel.code).\(symbol)") }
        }
        return topics
    }

    /// The session authenticated: subscribe the full desired set.
    func sessionStarted(_ writer: WebSocketOutboundWriter) async throws {
        outbound = writer
        sent = []
        let topics = desired
        try await send(action: "subscribe", topics: topics, on: writer)
        sent = Set(topics)
        stats.subscribedSymbols.set(symbols.count)
    }

    func sessionEnded() {
        outbound = nil
        sent = []
    }

    /// Makes `symbols` × `channels` the desired set; on a live session sends only the difference.
    /// Returns the number of topics subscribed and unsubscribed.
    @discardableResult
    func update(symbols newSymbols: [String], channels newChannels: [FeedChannel]) async -> (added: Int, removed: Int) {
        symbols = newSymbols
        channels = newChannels
        stats.subscribedSymbols.set(newSymbols.count)
        guard let writer = outbound else { return (0, 0) }
        let target = desired
        let targetSet = Set(target)
        let added = target.filter { !sent.contains($0) }
        let removed = sent.filter { !targetSet.contains($0) }.sorted()
        do {
            try await send(action: "subscribe", topics: added, on: writer)
            sent.formUnion(added)
            try await send(action: "unsubscribe", topics: removed, on: writer)
            sent.subtract(removed)
        } catch {
            // The session is ending; the next one sends the full desired set.
            logger.debug("subscription delta not sent: \(error)")
        }
        return (added.count, removed.count)
    }

    /// Unsubscribes everything on the live session and closes it normally (graceful shutdown).
    /// Returns false when no session was streaming.
    func unsubscribeAllAndClose() async -> Bool {
        guard let writer = outbound else { return false }
        outbound = nil
        do {
            try await send(action: "unsubscribe", topics: sent.sorted(), on: writer)
            sent = []
            try await writer.close(.normalClosure, reason: "shutting down")
            return true
        } catch {
            logger.warning("could not unsubscribe before closing: \(error)")
            return false
        }
    }

    private func send(action: String, topics: [String], on writer: WebSocketOutboundWriter) async throws {
        guard !topics.isEmpty else { return }
        for start in stride(from: 0, to: topics.count, by: Self.maxTopicsPerMessage) {
            let chunk = topics[start..<min(start + Self.maxTopicsPerMessage, topics.count)].joined(separator: ",")
            let message = action == "subscribe" ? ProviderActions.subscribe(chunk) : ProviderActions.unsubscribe(chunk)
            try await writer.writeTextMessage(message)
        }
    }
}
