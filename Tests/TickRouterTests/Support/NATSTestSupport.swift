#if NATS
import CNATS
import Foundation
import Synchronization
import TickRouter
import TickRouterConfig
import TickRouterPlugins

/// A real `nats-server` on 127.0.0.1 and a free port, as a child process; restartable on the same port.
final class NATSServerProcess: @unchecked Sendable {
    /// The `nats-server` binary, if installed (Debian: /usr/sbin/nats-server).
    static let binary: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        let candidates = path.split(separator: ":").map { "\($0)/nats-server" } + ["/usr/sbin/nats-server", "/usr/local/bin/nats-server"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    let port: Int
    let jetstream: Bool
    let directory: URL
    private var process: Process?

    init(jetstream: Bool = false) throws {
        port = try Self.freePort()
        self.jetstream = jetstream
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("nats-test-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    }

    var url: String { "nats://127.0.0.1:\(port)" }

    /// Starts the server and waits until it accepts TCP connections.
    func start() async throws {
        guard let binary = Self.binary else { throw TimedOut(what: "nats-server binary (not installed)") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["-a", "127.0.0.1", "-p", "\(port)"] + (jetstream ? ["-js", "-sd", directory.path] : [])
        let log = directory.appendingPathComponent("server.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        self.process = process
        let port = self.port
        try await waitUntil("nats-server listening on \(port)") { Self.accepts(port: port) }
    }

    /// Stops the server (SIGTERM) and waits for it to exit.
    func stop() {
        guard let process else { return }
        process.terminate()
        process.waitUntilExit()
        self.process = nil
    }

    deinit { stop() }

    private static func accepts(port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }

    private static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
            }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// A NATS subscriber on the C client: decodes every message with the router's own decoder and
/// checks that sequence numbers are consecutive per (channel, symbol) and that the subject's
/// symbol token unescapes to the event's symbol.
final class NATSTestSubscriber: @unchecked Sendable {
    struct State {
        var decoder: FrameDecoder
        var symbols: SymbolTable
        var events = 0
        var gaps = 0
        var missing = 0
        var subjectMismatches = 0
        var malformed = 0
        var last: [UInt64: Int64] = [:]
        /// Last subject and payload seen per (channel, symbol) key.
        var lastSubject: [UInt64: String] = [:]
    }

    private let lock = NSLock()
    private var current: State
    /// When set, payloads are collected here undecoded (batch mode's arrays).
    let raw: ArrayCollector?
    private var connection: OpaquePointer?
    private var subscription: OpaquePointer?

    init(url: String, subject: String, raw: ArrayCollector? = nil) throws {
        self.raw = raw
        let symbols = SymbolTable()
        current = State(decoder: FrameDecoder(market: .stocks, symbols: symbols), symbols: symbols)
        var options: OpaquePointer?
        guard natsOptions_Create(&options) == NATS_OK else { throw NATSTestError("natsOptions_Create") }
        defer { natsOptions_Destroy(options) }
        natsOptions_SetURL(options, url)
        natsOptions_SetMaxReconnect(options, -1)
        natsOptions_SetReconnectWait(options, 50)
        guard natsConnection_Connect(&connection, options) == NATS_OK else { throw NATSTestError("subscriber connect to \(url)") }
        let closure = Unmanaged.passUnretained(self).toOpaque()
        guard natsConnection_Subscribe(&subscription, connection, subject, subscriberCallback, closure) == NATS_OK else {
            throw NATSTestError("subscribe \(subject)")
        }
        // The test must not lose messages on the client side: no pending limits.
        natsSubscription_SetPendingLimits(subscription, -1, -1)
        guard natsConnection_FlushTimeout(connection, 5000) == NATS_OK else { throw NATSTestError("subscriber flush") }
    }

    /// Runs `body` on the state under the lock (the C client calls back on its own thread).
    func withState<R>(_ body: (inout State) -> R) -> R {
        lock.lock()
        defer { lock.unlock() }
        return body(&current)
    }

    /// Callbacks that have finished (every message, decoded or raw).
    private let handled = Atomic<Int64>(0)

    /// Waits until every message the server routed to us before this call has been handled: a round
    /// trip to the server (so its messages are in our queue), then until the delivery thread has run
    /// the callback for everything it took off that queue. A flush alone is not enough: the C client
    /// delivers on its own thread, so messages may still be queued when the PONG arrives.
    func flush() {
        _ = natsConnection_FlushTimeout(connection, 10_000)
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            var pending: Int32 = 0
            var pendingBytes: Int32 = 0
            var delivered: Int64 = 0
            natsSubscription_GetPending(subscription, &pending, &pendingBytes)
            natsSubscription_GetDelivered(subscription, &delivered)
            if pending == 0 && handled.load(ordering: .acquiring) >= delivered { return }
            Thread.sleep(forTimeInterval: 0.01)
        }
    }

    /// Forgets the per-key sequence history and the gap counters (to check a stream after a disruption).
    func resetSequences() {
        withState { state in
            state.last.removeAll()
            state.gaps = 0
            state.missing = 0
        }
    }

    var events: Int { withState { $0.events } }

    func close() {
        natsSubscription_Unsubscribe(subscription)
        natsSubscription_Destroy(subscription)
        natsConnection_Close(connection)
        natsConnection_Destroy(connection)
        subscription = nil
        connection = nil
    }

    fileprivate func receive(subject: String, payload: UnsafeRawBufferPointer) {
        defer { handled.add(1, ordering: .releasing) }
        if let raw {
            raw.append(Array(payload))
            return
        }
        withState { state in
            guard case .success(let decoded) = state.decoder.decodeEvent(payload), let record = decoded else {
                state.malformed += 1
                return
            }
            state.events += 1
            let name = state.symbols.name(record.symbol)
            if subject.split(separator: ".").last.flatMap({ SubjectEscaping.unescape(String($0)) }) != name {
                state.subjectMismatches += 1
            }
            let key = UInt64(record.channelCode) << 32 | UInt64(record.symbol)
            state.lastSubject[key] = subject
            guard record.flags & EventRecord.Flags.hasSequence != 0 else { return }
            if let previous = state.last[key], record.sequence != previous + 1 {
                state.gaps += 1
                state.missing += max(0, Int(record.sequence - previous - 1))
            }
            state.last[key] = record.sequence
        }
    }
}

private let subscriberCallback: natsMsgHandler = { _, _, message, closure in
    defer { natsMsg_Destroy(message) }
    guard let closure, let message, let data = natsMsg_GetData(message), let subject = natsMsg_GetSubject(message) else { return }
    let subscriber = Unmanaged<NATSTestSubscriber>.fromOpaque(closure).takeUnretainedValue()
    let payload = UnsafeRawBufferPointer(start: UnsafeRawPointer(data), count: Int(natsMsg_GetDataLength(message)))
    subscriber.receive(subject: String(cString: subject), payload: payload)
}

/// Collects raw payloads.
final class ArrayCollector: Sendable {
    private let storage = Mutex<[[UInt8]]>([])
    func append(_ payload: [UInt8]) { storage.withLock { $0.append(payload) } }
    var count: Int { storage.withLock { $0.count } }
    var payloads: [[UInt8]] { storage.withLock { $0 } }
}

struct NATSTestError: Error, CustomStringConvertible {
    var description: String
    init(_ what: String) { description = "nats test: \(what) failed" }
}

/// Reads the last stored message of `subject` from a JetStream stream, as a late joiner would.
func jetStreamLastMessage(url: String, stream: String, subject: String) throws -> [UInt8]? {
    var connection: OpaquePointer?
    guard natsConnection_ConnectTo(&connection, url) == NATS_OK else { throw NATSTestError("connect \(url)") }
    defer { natsConnection_Destroy(connection) }
    var context: OpaquePointer?
    guard natsConnection_JetStream(&context, connection, nil) == NATS_OK else { throw NATSTestError("JetStream context") }
    defer { jsCtx_Destroy(context) }
    var message: OpaquePointer?
    var errorCode = jsErrCode(rawValue: 0)
    guard js_GetLastMsg(&message, context, stream, subject, nil, &errorCode) == NATS_OK, let message else { return nil }
    defer { natsMsg_Destroy(message) }
    guard let data = natsMsg_GetData(message) else { return [] }
    return Array(UnsafeRawBufferPointer(start: UnsafeRawPointer(data), count: Int(natsMsg_GetDataLength(message))))
}

/// Messages and distinct subjects held by a stream.
func jetStreamState(url: String, stream: String) throws -> (messages: UInt64, subjects: Int64, lastSequence: UInt64) {
    var connection: OpaquePointer?
    guard natsConnection_ConnectTo(&connection, url) == NATS_OK else { throw NATSTestError("connect \(url)") }
    defer { natsConnection_Destroy(connection) }
    var context: OpaquePointer?
    guard natsConnection_JetStream(&context, connection, nil) == NATS_OK else { throw NATSTestError("JetStream context") }
    defer { jsCtx_Destroy(context) }
    var info: UnsafeMutablePointer<jsStreamInfo>?
    var errorCode = jsErrCode(rawValue: 0)
    guard js_GetStreamInfo(&info, context, stream, nil, &errorCode) == NATS_OK, let info else { throw NATSTestError("stream info \(stream)") }
    defer { jsStreamInfo_Destroy(info) }
    return (info.pointee.State.Msgs, info.pointee.State.NumSubjects, info.pointee.State.LastSeq)
}
#endif
