import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOWebSocket
import ServiceLifecycle
import TickRouter
import TickRouterConfig

/// `websocket`: a server that speaks the provider's own protocol, so the provider's client
/// libraries (and any program written against the provider) can point at TickRouter instead:
/// many local programs then share one account connection.
///
/// Clients connect on `/{market}` (or `/`), get `connected`, send `auth` (checked against `keys`,
/// or any key with `auth: none`), subscribe/unsubscribe with the provider's syntax and acks, and
/// receive events in JSON arrays exactly like the provider sends them. Each drained set of batches
/// is encoded once per distinct subscription and the same buffers go to every client sharing it.
public struct WebSocketSink: Sink {
    public enum SlowClientPolicy: String, Sendable { case dropOldest = "drop-oldest", disconnect }

    /// The per-client queue limits.
    public struct ClientLimits: Sendable {
        public var events: Int
        public var bytes: Int
        public var disconnectSlowClients: Bool
    }

    public struct Spec: SinkSpec {
        public var host: String
        public var port: Int
        /// Accepted API keys; nil with `auth: none` (any key is accepted).
        public var keys: [String]?
        public var limits: ClientLimits
        public var slowClient: SlowClientPolicy
        /// Most events per frame sent to a client.
        public var frameEvents: Int
        /// About the most bytes per frame (one larger event still goes alone).
        public var frameBytes: Int
        public var maxClients: Int

        public var planDetails: [(key: String, value: String)] {
            [
                ("listen", "\(host):\(port)"),
                ("auth", keys.map { "\($0.count) key(s)" } ?? "none (any key accepted)"),
                ("queue", "\(limits.events) events / \(limits.bytes) bytes per client"), ("slow_client", slowClient.rawValue),
                ("frame", "at most \(frameEvents) events / \(frameBytes) bytes"), ("max_clients", "\(maxClients)"),
            ]
        }

        public func makeSink(_ runtime: SinkRuntime) throws -> any Sink { WebSocketSink(spec: self, runtime: runtime) }
    }

    let spec: Spec
    let runtime: SinkRuntime

    public func run() async throws {
        let hub = WebSocketHub(spec: spec, runtime: runtime)
        let logger = runtime.logger
        let server = HTTPServerBuilder.http1WebSocketUpgrade(
            configuration: .init(maxFrameSize: ClientAction.maxLineBytes, autoPing: .disabled)
        ) { request, channel, _ in
            guard hub.serves(path: request.path ?? "") else { return .dontUpgrade }
            return .upgrade([:]) { inbound, outbound, _ in
                try await hub.serve(channel: channel, inbound: inbound, outbound: outbound)
            }
        }
        var appLogger = logger
        appLogger.logLevel = max(logger.logLevel, .notice)
        let app = Application(
            router: Router(),
            server: server,
            configuration: .init(address: .hostname(spec.host, port: spec.port), serverName: nil),
            onServerRunning: { channel in
                logger.info("websocket sink listening on ws://\(spec.host):\(channel.localAddress?.port ?? spec.port)")
            },
            logger: appLogger
        )
        // The server runs in its own service group so the sink decides when it stops: after the
        // last drained events went out to every client.
        let serverGroup = ServiceGroup(
            configuration: .init(services: [.init(service: app)], gracefulShutdownSignals: [], cancellationSignals: [], logger: logger)
        )
        try await withThrowingTaskGroup(of: Bool.self) { group in
            group.addTask {
                try await serverGroup.run()
                return false
            }
            group.addTask {
                while let batches = await runtime.inlet.drain() {
                    hub.dispatch(batches)
                    runtime.stats.recordHandoff(batches)
                }
                return true
            }
            // The server failing first (its port taken, say) fails the sink: `next()` rethrows.
            // If it merely stopped (a shutdown from outside), the inlet is still drained to its end.
            if try await group.next() == false {
                _ = try await group.next()
                return
            }
            // Graceful shutdown: every client gets what it was queued, then a close.
            hub.closeAll()
            let deadline = ContinuousClock.now + .seconds(5)
            while hub.sessionCount > 0, ContinuousClock.now < deadline {
                try? await Task.sleep(for: .milliseconds(20))
            }
            await serverGroup.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    }

    public static let plugin = SinkPlugin(
        type: "websocket",
        summary: "provider-compatible WebSocket server: the provider's clients connect, auth, subscribe and get JSON arrays",
        options: [
            PluginOption("listen", "host:port", default: "127.0.0.1:8765", "address to listen on (loopback by default)"),
            PluginOption("auth", "keys | none", default: "keys if given, else none", "`none` accepts any key"),
            PluginOption("keys", "list of strings", default: "—", "accepted API keys (use ${VAR} for secrets)"),
            PluginOption("queue", "events", default: "65536", "most events queued per client"),
            PluginOption("queue_bytes", "byte size", default: "64MiB", "most bytes queued per client"),
            PluginOption("slow_client", "drop-oldest | disconnect", default: "drop-oldest", "what happens to a client that falls behind"),
            PluginOption("frame_events", "int", default: "1000", "most events per frame"),
            PluginOption("frame_bytes", "byte size", default: "256KiB", "about the most bytes per frame"),
            PluginOption("max_clients", "int", default: "64", "further clients get a max_connections status and are closed"),
        ]
    ) { reader, context in
        var host = "127.0.0.1"
        var port = 8765
        if let listen = reader.string("listen") {
            if let (parsedHost, parsedPort) = parseListen(listen) {
                (host, port) = (parsedHost, parsedPort)
            } else {
                reader.error("expected host:port, found '\(listen.prefix(80))'", key: "listen", hint: "e.g. 127.0.0.1:8765")
            }
        }
        let keys = reader.stringList("keys")
        let auth = reader.choice("auth", ["keys": true, "none": false])
        var accepted: [String]? = keys
        switch auth {
        case false?:
            accepted = nil
        case true?:
            if keys?.isEmpty ?? true {
                reader.error("auth: keys needs a non-empty `keys` list", key: "auth", hint: "keys: [${CLIENT_KEY}], or auth: none")
            }
        case nil:
            if keys?.isEmpty == true { accepted = nil }
        }
        if accepted == nil, !isLoopback(host) {
            reader.warning(
                "listening on \(host) with any key accepted", key: "listen", hint: "set keys: [...] or listen on 127.0.0.1"
            )
        }
        let queue = reader.int("queue", range: 1...100_000_000) ?? 65536
        let bytes = reader.byteSize("queue_bytes") ?? (64 << 20)
        let slow = reader.choice("slow_client", ["drop-oldest": SlowClientPolicy.dropOldest, "disconnect": .disconnect]) ?? .dropOldest
        let frameEvents = reader.int("frame_events", range: 1...1_000_000) ?? 1000
        let frameBytes = reader.byteSize("frame_bytes") ?? (256 << 10)
        let maxClients = reader.int("max_clients", range: 1...100_000) ?? 64
        return Spec(
            host: host, port: port, keys: accepted,
            limits: ClientLimits(events: queue, bytes: bytes, disconnectSlowClients: slow == .disconnect), slowClient: slow,
            frameEvents: frameEvents, frameBytes: max(frameBytes, 1024), maxClients: maxClients
        )
    }

    /// `host:port` (IPv6 as `[::1]:8765`); nil when malformed.
    static func parseListen(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (1...65_535).contains(port)
        else { return nil }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return (host.isEmpty ? "127.0.0.1" : host, port)
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}
