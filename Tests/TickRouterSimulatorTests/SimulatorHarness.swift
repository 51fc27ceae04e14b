import Foundation
import Logging
import NIOCore
import Synchronization
import Testing
import TickRouterSimulator
import WSClient

/// Runs a simulator on an ephemeral port for the duration of `body`, then stops it. A simulator
/// that does not stop within 30 s of cancellation fails the test instead of hanging the run.
@discardableResult
func withSimulator<T: Sendable>(
    _ configuration: SimulatorConfiguration = SimulatorConfiguration(symbolCount: 20, rate: 20_000),
    _ body: @Sendable (Simulator, Int) async throws -> T
) async throws -> T {
    var logger = Logger(label: "simulator-test")
    logger.logLevel = .critical  // cancellation at the end of a test is logged as an error by the server
    let simulator = Simulator(configuration: configuration, logger: logger)
    let stopped = Mutex(false)
    let running = Task {
        try? await simulator.run()
        stopped.withLock { $0 = true }
    }
    defer { running.cancel() }
    let port = try await simulator.waitUntilListening()
    let result = try await body(simulator, port)
    running.cancel()
    let deadline = ContinuousClock.now + .seconds(30)
    while !stopped.withLock({ $0 }), ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
    if !stopped.withLock({ $0 }) { Issue.record("the simulator did not stop within 30 s of cancellation") }
    return result
}

/// Every text frame a test client received, in order, plus whether the connection ended.
final class FrameLog: Sendable {
    private let state = Mutex<(frames: [String], closed: Bool)>(([], false))

    func append(_ frame: String) { state.withLock { $0.frames.append(frame) } }
    func close() { state.withLock { $0.closed = true } }
    var frames: [String] { state.withLock { $0.frames } }
    var isClosed: Bool { state.withLock { $0.closed } }

    /// Status messages received, as `status: message` (for failure messages).
    var statuses: [String] {
        objects.filter { $0["ev"] as? String == "status" }.map { "\($0["status"] ?? ""): \($0["message"] ?? "")" }
    }

    /// All received objects, flattened from the frames' arrays.
    var objects: [[String: Any]] { frames.flatMap(parseFrame) }

    /// Polls until `predicate` holds or `timeout` passes.
    func wait(timeout: Duration = .seconds(30), until predicate: (FrameLog) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            if predicate(self) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return predicate(self)
    }

    /// Waits for a status object with `status` (and `message`, if given); returns it.
    func waitForStatus(_ status: String, message: String? = nil, timeout: Duration = .seconds(30)) async -> [String: Any]? {
        func find(_ log: FrameLog) -> [String: Any]? {
            log.objects.first { object in
                object["ev"] as? String == "status" && object["status"] as? String == status
                    && (message == nil || object["message"] as? String == message)
            }
        }
        _ = await wait(timeout: timeout) { find($0) != nil }
        return find(self)
    }
}

/// Parses one frame as the provider's JSON array of objects (empty if it is not one).
func parseFrame(_ frame: String) -> [[String: Any]] {
    guard let data = frame.data(using: .utf8),
        let array = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]
    else { return [] }
    return array
}

/// A client conversation: send actions, read what arrived in `log`.
struct Conversation: Sendable {
    let outbound: WebSocketOutboundWriter
    let log: FrameLog

    func send(_ action: String, _ params: String) async throws {
        try await outbound.write(.text(#"{"action":"\#(action)","params":"\#(params)"}"#))
    }

    func sendRaw(_ text: String) async throws { try await outbound.write(.text(text)) }

    /// Sends `auth` and waits for `auth_success`, recording an issue if it does not come.
    func authenticate(_ key: String = "test") async throws {
        try await send("auth", key)
        if await log.waitForStatus("auth_success") == nil {
            Issue.record("no auth_success for key \(key)")
        }
    }
}

/// Connects to the simulator, runs `body` while a reader task fills the log, then disconnects.
@discardableResult
func converse(
    port: Int, path: String = "/stocks", _ body: @escaping @Sendable (Conversation) async throws -> Void
) async throws -> FrameLog {
    let log = FrameLog()
    var logger = Logger(label: "simulator-test-client")
    logger.logLevel = .warning
    try await WebSocketClient.connect(
        url: "ws://127.0.0.1:\(port)\(path)",
        configuration: .init(maxFrameSize: 1 << 24),
        logger: logger
    ) { inbound, outbound, _ in
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { log.close() }
                for try await message in inbound.messages(maxSize: 1 << 24) {
                    if case .text(let text) = message { log.append(text) }
                }
            }
            try await body(Conversation(outbound: outbound, log: log))
            group.cancelAll()
        }
    }
    log.close()
    return log
}

extension Dictionary where Key == String, Value == Any {
    /// The per-(channel, symbol) sequence number: `i` for NOI, `q` otherwise.
    var sequence: Int? { (self["ev"] as? String == "NOI" ? self["i"] : self["q"]) as? Int }
    /// The ticker: `T` for LULD/NOI, `sym` otherwise.
    var ticker: String? { (self["sym"] as? String) ?? (self["T"] as? String) }
}
