import Foundation
import Logging
import NIOCore
import NIOPosix
import TickRouter
import TickRouterConfig

/// `unix-socket`: a local stream socket. Each client gets `{"ev":"status","status":"connected",...}`,
/// subscribes with the provider's own actions (`{"action":"subscribe","params":"T.AAPL,AM.*"}`,
/// acknowledged like the provider does) and then reads one event per line, the provider's JSON
/// unchanged.
///
/// Each drained set of batches is encoded once per distinct subscription and the same bytes are
/// handed to every client that shares it. Every client has its own bounded queue; a client that
/// cannot keep up loses its own oldest events (counted, announced with a `gap` status line) or is
/// disconnected (`slow_client: disconnect`), and never slows another client or the feed.
public struct UnixSocketSink: Sink {
    public enum SlowClientPolicy: String, Sendable { case dropOldest = "drop-oldest", disconnect, conflate, demote }

    public struct Spec: SinkSpec {
        public var path: String
        /// Most events queued per client.
        public var queue: Int
        /// Most bytes queued per client.
        public var clientQueueBytes: Int
        public var slowClient: SlowClientPolicy
        public var mode: Int
        /// Group of the socket file (`group`), so a group of local users may connect with `mode: "0660"`.
        public var group: SocketGroup? = nil
        public var maxClients: Int
        /// `demote`: how long a conflated client may stay unable to keep up before it gets bars only.
        public var demoteAfter: Duration = .seconds(1)
        /// `conflate` / `demote`: how long a client must keep up before it is stepped back up a level.
        public var promoteAfter: Duration = .seconds(2)

        public var planDetails: [(key: String, value: String)] {
            [
                ("path", path), ("queue", "\(queue) events / \(clientQueueBytes) bytes per client"),
                ("slow_client", slowClient.rawValue + (slowClient == .demote ? " (after \(demoteAfter), back after \(promoteAfter))" : slowClient == .conflate ? " (back after \(promoteAfter))" : "")), ("mode", "0" + String(mode, radix: 8)), ("max_clients", "\(maxClients)"),
            ] + (group.map { [("group", "\($0.name) (gid \($0.gid))")] } ?? [])
        }

        public func makeSink(_ runtime: SinkRuntime) throws -> any Sink { UnixSocketSink(spec: self, runtime: runtime) }
    }

    let spec: Spec
    let runtime: SinkRuntime

    public func run() async throws {
        // The sink's own event loop holds the listener, every client and the drain loop: a drained
        // batch is encoded and written to the clients' sockets on the thread that drained it,
        // without a hop, and apart from the feed connections' event loops.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { group.shutdownGracefully { _ in } }
        let loop = group.next()
        let hub = ClientHub(spec: spec, runtime: runtime)
        let server = try await ServerBootstrap(group: loop)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 256 << 10, high: 1 << 20))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SocketClient(hub: hub))
                }
            }
            .bind(unixDomainSocketPath: spec.path, cleanupExistingSocketFile: true)
            .get()
        chmod(spec.path, mode_t(spec.mode))
        if let group = spec.group, chown(spec.path, uid_t.max, gid_t(group.gid)) != 0 {
            runtime.logger.error("cannot give \(spec.path) to group \(group.name): \(String(cString: strerror(errno))); it keeps the process's group")
        }
        runtime.logger.info("unix socket listening at \(spec.path)")
        defer { unlink(spec.path) }
        await DrainLoop(eventLoop: loop).run(inlet: runtime.inlet, hub: hub, stats: runtime.stats)
        try? await server.close()
        await hub.closeAll()
    }

    public static let plugin = SinkPlugin(
        type: "unix-socket",
        summary: "local stream socket: provider-style subscribe actions in, one provider JSON event per line out",
        options: [
            PluginOption("path", "path", default: "tickrouter.sock", "socket file (created 0600 by default)"),
            PluginOption("queue", "events", default: "65536", "most events queued per client"),
            PluginOption("queue_bytes", "byte size", default: "64MiB", "most bytes queued per client"),
            PluginOption("slow_client", "drop-oldest | disconnect | conflate | demote", default: "drop-oldest", "what happens to a client that falls behind"),
            PluginOption("demote_after", "duration", default: "1s", "demote: time a conflated client may lag before it gets bars only"),
            PluginOption("promote_after", "duration", default: "2s", "conflate/demote: time a client must keep up before it steps back up"),
            PluginOption("mode", "octal string", default: "\"0600\"", "permissions of the socket file"),
            PluginOption("group", "group name or gid", default: "the process's group", "group owner of the socket file (with mode \"0660\": that group may connect)"),
            PluginOption("max_clients", "int", default: "64", "clients beyond this are refused with a status line"),
        ]
    ) { reader, context in
        // Output paths are relative to the working directory, like any command-line tool's.
        let path = reader.string("path") ?? "tickrouter.sock"
        let queue = reader.int("queue", range: 1...100_000_000) ?? 65536
        let bytes = reader.byteSize("queue_bytes") ?? (64 << 20)
        let slow = reader.choice("slow_client", ["drop-oldest": SlowClientPolicy.dropOldest, "disconnect": .disconnect, "conflate": .conflate, "demote": .demote]) ?? .dropOldest
        var mode = 0o600
        if let text = reader.string("mode") {
            if let parsed = Int(text, radix: 8), (0...0o777).contains(parsed) {
                mode = parsed
            } else {
                reader.error("mode must be an octal permission such as \"0600\"", key: "mode", hint: "quote it: mode: \"0660\"")
            }
        }
        let maxClients = reader.int("max_clients", range: 1...100_000) ?? 64
        var spec = Spec(path: path, queue: queue, clientQueueBytes: bytes, slowClient: slow, mode: mode, maxClients: maxClients)
        if let name = reader.string("group") {
            if let group = SocketGroup(resolving: name) {
                spec.group = group
            } else {
                reader.error("no such group '\(name)'", key: "group", hint: "a group name from /etc/group or a numeric gid")
            }
        }
        spec.demoteAfter = reader.duration("demote_after") ?? .seconds(1)
        spec.promoteAfter = reader.duration("promote_after") ?? .seconds(2)
        return spec
    }
}

/// The sink's drain loop, isolated to the event loop its clients live on.
private actor DrainLoop {
    private let eventLoop: any EventLoop
    nonisolated var unownedExecutor: UnownedSerialExecutor { eventLoop.executor.asUnownedSerialExecutor() }

    init(eventLoop: any EventLoop) { self.eventLoop = eventLoop }

    func run(inlet: SinkInlet, hub: ClientHub, stats: SinkStats) async {
        while let batches = await inlet.drain() {
            hub.dispatch(batches)
            stats.recordHandoff(batches)
            // drain() returns at once while batches keep coming; let the loop's I/O (accepts,
            // client reads and writes) run between drains.
            await Task.yield()
        }
    }
}
