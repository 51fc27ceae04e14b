import ArgumentParser
import ServiceLifecycle
import UnixSignals
import TickRouterSimulator

/// `tickrouter simulate`: the built-in provider simulator as a standalone server.
struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run the provider simulator alone (the official clients connect with secure=False)."
    )

    @Option(help: "Listen address.") var host = "127.0.0.1"
    @Option(help: "Listen port (0 = any free port).") var port = 8765
    @Option(help: "Number of symbols in the simulated market.") var symbols = 500
    @Option(help: "Total events per second.") var rate = 50_000
    @Option(help: "Most events per frame.") var eventsPerFrame = 50
    @Option(help: "Random seed.") var seed: UInt64 = 1
    @Option(help: "Accept only this API key (repeatable); default: any key.") var apiKey: [String] = []
    @Option(help: "Replay an NDJSON recording instead of generating.") var replay: String?
    @Option(help: "Replay speed factor.") var speed: Double = 1
    @Option(
        help: "Render this many events once and send them round and round with fresh q and t (benchmarks; 0 = render live)."
    ) var pregenerated = 0
    @Option(help: "Frames queued per client before it is dropped as a slow consumer.") var maxPendingFrames = 1000
    @Option(help: "Most sessions per API key; beyond it one gets max_connections (default: unlimited).") var maxConnectionsPerKey: Int?
    @Option(help: "Who loses past --max-connections-per-key: evict-oldest or refuse-newest.") var connectionLimit = "evict-oldest"
    @Option(help: "PEM certificate chain: serve wss:// (with --tls-key).") var tlsCert: String?
    @Option(help: "PEM private key for --tls-cert.") var tlsKey: String?
    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = logging.makeLogger(label: "simulator")
        guard let limitPolicy = ConnectionLimitPolicy(rawValue: connectionLimit) else {
            throw ValidationError("--connection-limit must be one of \(ConnectionLimitPolicy.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        let simulator = Simulator(
            configuration: SimulatorConfiguration(
                host: host, port: port, symbols: [], symbolCount: symbols, rate: rate, eventsPerFrame: eventsPerFrame, seed: seed,
                apiKeys: apiKey.isEmpty ? nil : Set(apiKey), replay: replay, speed: speed,
                maxPendingFrames: maxPendingFrames, maxConnectionsPerKey: maxConnectionsPerKey, connectionLimitPolicy: limitPolicy,
                tlsCertificateFile: tlsCert, tlsKeyFile: tlsKey, pregenerated: pregenerated
            ),
            logger: logger
        )
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: simulator)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let bound = try await simulator.waitUntilListening()
            printLine("simulator listening on \(tlsCert == nil ? "ws" : "wss")://\(host):\(bound)")
            try await tasks.waitForAll()
        }
    }
}
