import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import Synchronization

/// The shared state behind a `Simulator`: the universe, the connected sessions, fault switches
/// and the record of client actions. Sessions, the event source and fault handles all talk to it.
final class SimulatorCore: Sendable {
    struct FaultState {
        var rejectNextAuth: String?
        var stallUntil: ContinuousClock.Instant?
        /// New WebSocket upgrades are refused (HTTP 503-like: not upgraded) until then.
        var refuseUpgradesUntil: ContinuousClock.Instant?
    }

    /// Whether a new WebSocket upgrade may proceed now.
    var acceptsUpgrades: Bool {
        faultState.withLock { state in
            guard let until = state.refuseUpgradesUntil else { return true }
            if ContinuousClock.now >= until {
                state.refuseUpgradesUntil = nil
                return true
            }
            return false
        }
    }

    /// Cap on `recordedActions` so a chatty client cannot exhaust memory.
    static let maxRecordedActions = 100_000

    let configuration: SimulatorConfiguration
    let logger: Logger
    /// The stocks universe (also the one replays use).
    let symbols: SymbolTable
    /// Every market's universe, stocks included.
    let universes: [SimMarket: SymbolTable]
    let allocator = ByteBufferAllocator()
    private let sessions = Mutex<[Int: ClientSession]>([:])
    private let nextSessionID = Atomic<Int>(1)

    /// WebSocket upgrades accepted so far (every connection attempt that got past HTTP).
    var connectionsAccepted: Int { nextSessionID.load(ordering: .relaxed) - 1 }
    /// Bit set of the markets (``SimMarket/bit``) with a connected session; other markets than
    /// stocks are generated only while someone listens to them.
    let activeMarkets = Atomic<UInt8>(0)
    private let recorded = Mutex<[RecordedAction]>([])
    let faultState = Mutex(FaultState())

    init(configuration: SimulatorConfiguration, logger: Logger) {
        var configuration = configuration
        configuration.eventsPerFrame = max(1, configuration.eventsPerFrame)
        configuration.maxPendingFrames = max(1, configuration.maxPendingFrames)
        self.configuration = configuration
        self.logger = logger
        let stocks = SymbolTable(symbols: configuration.replay == nil ? configuration.initialUniverse : configuration.symbols)
        self.symbols = stocks
        var universes: [SimMarket: SymbolTable] = [.stocks: stocks]
        for market in SimMarket.allCases where market != .stocks {
            universes[market] = SymbolTable(symbols: market.defaultUniverse, naming: market.naming)
        }
        self.universes = universes
    }

    /// The universe of a market.
    func universe(_ market: SimMarket) -> SymbolTable { universes[market] ?? symbols }

    /// Recomputes ``activeMarkets`` from the sessions (under their lock).
    private static func markets(of sessions: [Int: ClientSession]) -> UInt8 {
        sessions.values.reduce(0) { $0 | $1.path.market.bit }
    }

    var recordedActions: [RecordedAction] { recorded.withLock { $0 } }

    /// A snapshot of the connected sessions (cheap copy-on-write array).
    var activeSessions: [ClientSession] { sessions.withLock { Array($0.values) } }

    /// Whether any connected client is subscribed to anything.
    var hasSubscribers: Bool {
        activeSessions.contains { session in session.state.withLock { !$0.subscriptions.isEmpty } }
    }

    // MARK: Connections

    /// Serves one upgraded connection until either side closes it.
    func serve(
        path: FeedPath, channel: any Channel, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter
    ) async throws {
        let id = nextSessionID.wrappingAdd(1, ordering: .relaxed).oldValue
        let session = ClientSession(id: id, path: path, channel: channel)
        sessions.withLock {
            $0[id] = session
            activeMarkets.store(Self.markets(of: $0), ordering: .relaxed)
        }
        defer {
            sessions.withLock {
                $0[id] = nil
                activeMarkets.store(Self.markets(of: $0), ordering: .relaxed)
            }
            session.finish()
        }
        logger.debug("client connected", metadata: ["connection": "\(id)", "path": "\(path.rawValue)"])
        session.send(StatusFrame.connected)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await session.runSender(outbound) }
            group.addTask {
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    switch message {
                    case .text(let text): self.handle(Array(text.utf8), from: session)
                    case .binary(let buffer): self.handle(Array(buffer.readableBytesView), from: session)
                    }
                }
            }
            _ = try await group.next()
            group.cancelAll()
        }
        logger.debug("client disconnected", metadata: ["connection": "\(id)"])
    }

    private func record(_ session: ClientSession, _ action: String, _ params: String) {
        recorded.withLock { list in
            guard list.count < Self.maxRecordedActions else { return }
            list.append(RecordedAction(connectionID: session.id, path: session.path.rawValue, action: action, params: params))
        }
    }

    /// Handles one client message; never throws or traps on bad input.
    func handle(_ bytes: [UInt8], from session: ClientSession) {
        switch ClientAction.parse(bytes) {
        case .failure(let invalid):
            record(session, "invalid", String(decoding: bytes.prefix(1024), as: UTF8.self))
            session.send(StatusFrame.make("error", invalid.message))
        case .success(let action):
            record(session, action.action, action.params)
            switch action.action {
            case "auth": authenticate(session, key: action.params)
            case "subscribe": subscribe(session, params: action.params, add: true)
            case "unsubscribe": subscribe(session, params: action.params, add: false)
            default: session.send(StatusFrame.make("error", "unknown action: \(action.action)"))
            }
        }
    }

    private func authenticate(_ session: ClientSession, key: String) {
        if let forced = faultState.withLock({ state -> String? in
            defer { state.rejectNextAuth = nil }
            return state.rejectNextAuth
        }) {
            session.close(after: StatusFrame.make(forced, "authentication failed"), code: .normalClosure)
            return
        }
        if let keys = configuration.apiKeys, !keys.contains(key) {
            session.close(after: StatusFrame.authFailed, code: .normalClosure)
            return
        }
        session.state.withLock {
            $0.authenticated = true
            $0.apiKey = key
        }
        session.send(StatusFrame.authSuccess)
        enforceConnectionLimit(after: session, key: key)
    }

    private func subscribe(_ session: ClientSession, params: String, add: Bool) {
        guard session.state.withLock({ $0.authenticated }) else {
            session.send(StatusFrame.authRequired)
            return
        }
        let symbols = universe(session.path.market)
        for (item, prefix, symbol) in ClientAction.items(params) {
            guard let channel = SimChannel(code: prefix), session.path.channelMask & channel.bit != 0 else {
                session.send(StatusFrame.make("error", "unknown channel: \(prefix)"))
                continue
            }
            guard let symbol, !symbol.isEmpty else {
                session.send(StatusFrame.make("error", "invalid subscription: \(item)"))
                continue
            }
            var index: Int?
            if symbol != "*" {
                index = add ? symbols.intern(String(symbol)) : symbols.index(of: String(symbol))
                if add, index == nil {
                    session.send(StatusFrame.make("error", "invalid symbol: \(symbol)"))
                    continue
                }
            }
            let ack = StatusFrame.make("success", (add ? "subscribed to: " : "unsubscribed to: ") + item)
            // Ack and subscription change under one lock: the ack precedes the first event.
            session.state.withLock { state in
                guard !state.closing else { return }
                state.outbox.append(.frame(ack, isData: false))
                switch (symbol == "*", add, index) {
                case (true, true, _): state.subscriptions.addWildcard(channel)
                case (true, false, _): state.subscriptions.removeWildcard(channel)
                case (false, true, let index?): state.subscriptions.add(channel, symbol: index)
                case (false, false, let index?): state.subscriptions.remove(channel, symbol: index)
                default: break
                }
            }
            session.wakeSender()
        }
    }

    // MARK: Fan-out

    /// Appends a batch's matching events to the outbox of every session on the batch's market.
    func fanOut(_ batch: EventBatch, market: SimMarket = .stocks) {
        guard !batch.isEmpty else { return }
        for session in activeSessions where session.path.market == market {
            session.deliver(
                batch, eventsPerFrame: configuration.eventsPerFrame,
                maxPendingFrames: configuration.maxPendingFrames, allocator: allocator
            )
        }
    }

    /// Sends a raw frame to every session (optionally only one path).
    func broadcast(_ frame: ByteBuffer, path: String? = nil) {
        for session in activeSessions where path == nil || session.path.rawValue == path {
            session.send(frame)
        }
    }

    /// Sends a status frame to all sessions and optionally closes them.
    func broadcastStatus(_ status: String, message: String, thenClose: Bool) {
        let frame = StatusFrame.make(status, message)
        let code: WebSocketErrorCode = status == "max_connections" ? .policyViolation : .normalClosure
        for session in activeSessions {
            if thenClose { session.close(after: frame, code: code) } else { session.send(frame) }
        }
    }

    /// Cuts the TCP connection of every session (optionally only one path).
    func dropConnection(id: Int) {
        for session in activeSessions where session.id == id { session.drop() }
    }

    func dropConnections(path: String?) {
        for session in activeSessions where path == nil || session.path.rawValue == path {
            session.drop()
        }
    }

    /// Closes every session with a going-away close (graceful shutdown).
    func closeAll() {
        for session in activeSessions { session.close(after: nil, code: .goingAway) }
    }
}
