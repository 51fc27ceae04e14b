import Foundation
public import Hummingbird
import NIOCore
public import TickRouter

/// The admin plane's HTTP routes, independent of how they are served (tests use them in process
/// with HummingbirdTesting; ``AdminServer`` serves them on `admin.listen`).
///
/// | route | answer |
/// |---|---|
/// | `GET /` | the live dashboard (one self-contained page) |
/// | `GET /health` | 200 or 503 with `{"status":..., "reasons":[...]}` |
/// | `GET /metrics` | Prometheus text |
/// | `GET /api/stats` | ``AdminSnapshot`` |
/// | `GET /api/connections`, `/api/connections/{name}`, `/api/connections/{name}/symbols` | the plan and live figures |
/// | `POST /api/rebalance[?force=true]` | re-packs by measured rates (load-balanced); `{applied, moved, gain}`; guarded by the token |
/// | `POST /api/reload` | validates and applies the config file as a diff; `{result, generation, summary, errors}`; guarded by the token |
public struct AdminRoutes: Sendable {
    /// Returns the running engine, or nil while it is being built.
    public typealias EngineSource = @Sendable () async -> Engine?
    /// Reloads the config file the router runs; nil when the router was not started from a file.
    public typealias ReloadHandler = @Sendable () async -> ReloadOutcome

    /// The answer of `POST /api/reload`.
    public struct ReloadOutcome: Codable, Sendable {
        /// `applied`, `refused` (the new file is invalid; nothing changed) or `failed`.
        public var result: String
        /// The config generation after the request.
        public var generation: Int
        public var summary: String?
        /// `FILE:LINE:COL: error: ...` lines of a refused file.
        public var errors: [String]?

        public init(result: String, generation: Int, summary: String? = nil, errors: [String]? = nil) {
            self.result = result
            self.generation = generation
            self.summary = summary
            self.errors = errors
        }
    }

    public let engine: EngineSource
    public let health: HealthCheck
    public let metrics: MetricsExporter
    /// Bearer token required by POST routes, if any.
    public let token: String?
    public let reload: ReloadHandler?

    public init(
        engine: @escaping EngineSource, health: HealthCheck = HealthCheck(), metrics: MetricsExporter = MetricsExporter(), token: String? = nil,
        reload: ReloadHandler? = nil
    ) {
        self.engine = engine
        self.health = health
        self.metrics = metrics
        self.token = token
        self.reload = reload
    }

    /// A router with every admin route.
    public func makeRouter() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: MetricsMiddleware())
        add(to: router)
        return router
    }

    /// Adds the admin routes to `router`.
    public func add(to router: Router<BasicRequestContext>) {
        let routes = self
        router.get("/") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"], body: .init(byteBuffer: ByteBuffer(string: DashboardPage.html)))
        }
        router.get("/health") { _, _ in
            let report = routes.health.evaluate(await routes.engine().map { AdminSnapshot(engine: $0) })
            return try Self.json(report, status: report.healthy ? .ok : .serviceUnavailable)
        }
        router.get("/metrics") { _, _ in
            let bytes = routes.metrics.render(engine: await routes.engine())
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        router.get("/api/stats") { _, _ in
            guard let engine = await routes.engine() else { return try Self.starting() }
            return try Self.json(AdminSnapshot(engine: engine))
        }
        router.get("/api/connections") { _, _ in
            guard let engine = await routes.engine() else { return try Self.starting() }
            return try Self.json(AdminSnapshot(engine: engine).connections)
        }
        router.get("/api/connections/{name}") { _, context in
            guard let engine = await routes.engine() else { return try Self.starting() }
            let name = context.parameters.get("name") ?? ""
            guard let connection = AdminSnapshot(engine: engine).connections.first(where: { $0.name == name }) else {
                return try Self.notFound(connection: name, engine: engine)
            }
            return try Self.json(connection)
        }
        router.get("/api/connections/{name}/symbols") { _, context in
            guard let engine = await routes.engine() else { return try Self.starting() }
            let name = context.parameters.get("name") ?? ""
            guard let index = engine.plan.connections.firstIndex(where: { $0.name == name }) else {
                return try Self.notFound(connection: name, engine: engine)
            }
            let symbols = engine.plan.routing.symbols(on: engine.plan.connections[index].index)
            return try Self.json(SymbolList(connection: name, count: symbols.count, symbols: symbols))
        }
        router.get("/api/latency") { _, _ in
            guard let engine = await routes.engine() else { return try Self.starting() }
            return try Self.json(engine.stats.sinks.map { SinkLatency(sink: $0.name, figures: $0.writeLatency.sinceStart) })
        }
        router.post("/api/latency/window") { request, _ in
            // Starts a new measuring window per sink and returns the one that ended (benchmarks).
            if let denied = try routes.authorize(request) { return denied }
            guard let engine = await routes.engine() else { return try Self.starting() }
            return try Self.json(engine.stats.sinks.map { SinkLatency(sink: $0.name, figures: $0.writeLatency.take()) })
        }
        router.post("/api/rebalance") { request, _ in
            if let denied = try routes.authorize(request) { return denied }
            guard let engine = await routes.engine() else { return try Self.starting() }
            let force = request.uri.queryParameters.get("force") == "true"
            let result = await engine.rebalance(force: force)
            return try Self.json(RebalanceAnswer(applied: result.applied, moved: result.moved, gain: result.gain))
        }
        router.post("/api/reload") { request, _ in
            if let denied = try routes.authorize(request) { return denied }
            guard let reload = routes.reload else {
                return try Self.json(
                    Message(error: "no_config_file", message: "this router was not started from a config file"), status: .notImplemented
                )
            }
            let outcome = await reload()
            let status: HTTPResponse.Status =
                switch outcome.result {
                case "applied": .ok
                case "refused": .unprocessableContent
                default: .internalServerError
                }
            return try Self.json(outcome, status: status)
        }
    }

    /// The symbols routed to one connection.
    struct SymbolList: Codable {
        var connection: String
        var count: Int
        var symbols: [String]
    }

    /// A sink's added latency (frame read → line written), in nanoseconds per event.
    struct SinkLatency: Codable {
        var sink: String
        var figures: WriteLatency.Figures
    }

    struct RebalanceAnswer: Codable {
        var applied: Bool
        var moved: Int
        var gain: Double
    }

    struct Message: Codable {
        var error: String
        var message: String
    }

    /// nil when the request may go on, else the 401 answer.
    func authorize(_ request: Request) throws -> Response? {
        guard let token, !token.isEmpty else { return nil }
        let presented = request.headers[.authorization] ?? ""
        let expected = "Bearer " + token
        // Compare every byte so the time taken does not tell how much of the token matched.
        var difference = UInt8(presented.utf8.count == expected.utf8.count ? 0 : 1)
        for (a, b) in zip(presented.utf8, expected.utf8) { difference |= a ^ b }
        guard difference != 0 else { return nil }
        var response = try Self.json(Message(error: "unauthorized", message: "this route needs Authorization: Bearer <admin.token>"), status: .unauthorized)
        response.headers[.wwwAuthenticate] = "Bearer"
        return response
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(value)
        return Response(
            status: status, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    static func starting() throws -> Response {
        try json(Message(error: "starting", message: "the engine is not running yet"), status: .serviceUnavailable)
    }

    static func notFound(connection name: String, engine: Engine) throws -> Response {
        let known = engine.plan.connections.map(\.name).joined(separator: ", ")
        return try json(Message(error: "not_found", message: "no connection named '\(name)' (connections: \(known))"), status: .notFound)
    }
}
