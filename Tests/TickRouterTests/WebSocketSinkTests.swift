import Foundation
import Logging
import NIOCore
import Synchronization
import TickRouter
import Testing
import WSClient

/// The `websocket` sink with a real WebSocket client: provider protocol, per-subscription
/// frames, and the slow-client policy. (The official Python client is in tests/interop.)
@Suite("WebSocket sink", .serialized)
struct WebSocketSinkTests {
    static let key = "ws-test-key"

    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(fd, raw, length) == 0 && getsockname(fd, raw, &length) == 0
            }
        }
        guard bound else { throw TimedOut(what: "a free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func start(queue: Int? = nil) async throws -> (TestHost, Int) {
        let port = try freePort()
        var environment = ["TR_WS_PORT": "\(port)", "TR_WS_KEY": key]
        if let queue { environment["TR_WS_QUEUE"] = "\(queue)" }
        let host = try await TestHost.start(config: "Tests/TickRouterTests/Fixtures/configs/websocket-sink.yaml", environment: environment)
        return (host, port)
    }

    /// Text frames a client received, parsed lazily by the test.
    final class Frames: Sendable {
        let texts = Mutex<[String]>([])
        var all: [String] { texts.withLock { $0 } }
        var count: Int { texts.withLock { $0.count } }
    }

    /// Connects, authenticates with `key`, sends `actions`, collects frames until `until` holds.
    static func converse(
        port: Int, path: String = "/stocks", key: String = key, actions: [String], readDelay: Duration? = nil,
        readFastOnceTrue caughtUp: (@Sendable () -> Bool)? = nil, until: @escaping @Sendable (Frames) -> Bool
    ) async throws -> Frames {
        let frames = Frames()
        var logger = Logger(label: "ws-sink-test-client")
        logger.logLevel = .critical
        try await WebSocketClient.connect(url: "ws://127.0.0.1:\(port)\(path)", configuration: .init(maxFrameSize: 1 << 24), logger: logger) {
            inbound, outbound, _ in
            try await outbound.write(.text(#"{"action":"auth","params":"\#(key)"}"#))
            for action in actions { try await outbound.write(.text(action)) }
            let deadline = ContinuousClock.now + .seconds(60)  // hang guard only
            for try await message in inbound.messages(maxSize: 1 << 24) {
                if case .text(let text) = message { frames.texts.withLock { $0.append(text) } }
                if until(frames) || ContinuousClock.now > deadline { break }
                if let readDelay, !(caughtUp?() ?? false) { try await Task.sleep(for: readDelay) }
            }
        }
        return frames
    }

    static func objects(_ frame: String) -> [[String: Any]] {
        (try? JSONSerialization.jsonObject(with: Data(frame.utf8)) as? [[String: Any]]) ?? []
    }

    @Test func twoClientsWithDifferentSubscriptionsEachGetTheirOwnArrays() async throws {
        let (host, port) = try await Self.start()
        defer { Task { await host.stop() } }
        async let trades = Self.converse(port: port, actions: [#"{"action":"subscribe","params":"T.AAPL"}"#]) { $0.count > 40 }
        async let mixed = Self.converse(port: port, path: "/", actions: [#"{"action":"subscribe","params":"Q.MSFT,AM.*"}"#]) {
            frames in frames.all.contains { $0.contains(#""ev":"AM""#) } && frames.count > 40
        }
        let (a, b) = try await (trades, mixed)

        #expect(a.all.prefix(3) == [
            #"[{"ev":"status","status":"connected","message":"Connected Successfully"}]"#,
            #"[{"ev":"status","status":"auth_success","message":"authenticated"}]"#,
            #"[{"ev":"status","status":"success","message":"subscribed to: T.AAPL"}]"#,
        ])
        let tradeEvents = a.all.dropFirst(3).flatMap(Self.objects)
        #expect(tradeEvents.count >= 37)
        #expect(tradeEvents.allSatisfy { $0["ev"] as? String == "T" && $0["sym"] as? String == "AAPL" })
        let sequences = tradeEvents.compactMap { $0["q"] as? Int }
        let missing = zip(sequences, sequences.dropFirst()).reduce(0) { $0 + max(0, $1.1 - $1.0 - 1) }
        #expect(missing == 0 && !sequences.isEmpty, "consecutive AAPL trades (\(missing) missing)")

        let mixedEvents = b.all.dropFirst(4).flatMap(Self.objects)
        #expect(mixedEvents.allSatisfy { ($0["ev"] as? String == "Q" && $0["sym"] as? String == "MSFT") || $0["ev"] as? String == "AM" })
        #expect(mixedEvents.contains { $0["ev"] as? String == "Q" })
        #expect(b.all.dropFirst(4).allSatisfy { Self.objects($0).count <= 40 }, "frame_events: 40 splits frames")
    }

    @Test func wrongKeyGetsAuthFailedAndIsClosed() async throws {
        let (host, port) = try await Self.start()
        defer { Task { await host.stop() } }
        let frames = try await Self.converse(port: port, key: "wrong", actions: [#"{"action":"subscribe","params":"T.*"}"#]) { _ in false }
        #expect(frames.all == [
            #"[{"ev":"status","status":"connected","message":"Connected Successfully"}]"#,
            #"[{"ev":"status","status":"auth_failed","message":"authentication failed"}]"#,
        ])
    }

    @Test(.enabled(if: LoadTests.enabled, LoadTests.reason))
    func aSlowClientLosesItsOldestEventsWithAGapStatusWhileAFastOneLosesNothing() async throws {
        let (host, port) = try await Self.start(queue: 3000)
        defer { Task { await host.stop() } }
        let sink = try #require(host.engine.stats.sink(named: "websocket"))
        let everything = #"{"action":"subscribe","params":"T.*,Q.*"}"#
        // Slow until the server has dropped some of its events, then fast: the gap status is queued
        // behind whatever the kernel's socket buffers already hold, and must not take minutes to reach.
        let overflowed: @Sendable () -> Bool = { sink.dropped.snapshot.contains { $0.reason == "slow_client" && $0.count > 0 } }
        async let slow = Self.converse(port: port, actions: [everything], readDelay: .milliseconds(100), readFastOnceTrue: overflowed) { frames in
            frames.all.contains { $0.hasPrefix(#"[{"ev":"status","status":"gap""#) }
        }
        async let fast = Self.converse(port: port, actions: [#"{"action":"subscribe","params":"T.AAPL"}"#]) { frames in
            sink.dropped.snapshot.contains { $0.reason == "slow_client" && $0.count > 0 } && frames.count > 50
        }
        let (slowFrames, fastFrames) = try await (slow, fast)
        let gapFrame = try #require(slowFrames.all.first { $0.hasPrefix(#"[{"ev":"status","status":"gap""#) })
        let gap = Self.objects(gapFrame)
        #expect((gap.first?["dropped"] as? Int ?? 0) > 0)
        #expect(gap.count > 1, "the gap status leads the next frame of events")
        let sequences = fastFrames.all.dropFirst(3).flatMap(Self.objects).compactMap { $0["q"] as? Int }
        #expect(sequences.count > 40)
        let missing = zip(sequences, sequences.dropFirst()).reduce(0) { $0 + max(0, $1.1 - $1.0 - 1) }
        #expect(missing == 0, "the fast client has no gap (\(missing) AAPL trades missing of \(sequences.count))")
    }
}
