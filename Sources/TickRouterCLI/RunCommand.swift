import ArgumentParser
import Foundation
import Logging
import Metrics
import Prometheus
import ServiceLifecycle
import UnixSignals
import TickRouter
import TickRouterConfig

/// `tickrouter run`: runs the host on a config file until SIGINT/SIGTERM.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the router (default: config/tickrouter.yaml, which uses the built-in simulator)."
    )

    @Option(name: .shortAndLong, help: "Config file.")
    var config: String = "config/tickrouter.yaml"

    @Flag(help: "Reload when the config file changes (checked every second). SIGHUP always reloads.")
    var watch = false

    @OptionGroup var logging: LoggingOptions

    func run() async throws {
        let logger = logging.makeLogger(label: "tickrouter")
        let planner = EnginePlanner(registry: TickRouterCommand.registry)
        let plan: EnginePlan
        do {
            plan = try planner.plan(file: config, environment: ProcessInfo.processInfo.environment)
        } catch {
            printError(error.description)
            printError("tickrouter: \(config) is invalid; nothing was started")
            throw ExitCode(1)
        }
        for warning in plan.warnings { printError(warning.description) }
        // swift-metrics from any library (e.g. the admin server's request metrics) lands in /metrics too.
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let host = RouterHost(
            plan: plan, logger: logger, metricsRegistry: registry, configFile: config, registry: TickRouterCommand.registry
        )
        var groupConfiguration = ServiceGroupConfiguration(
            services: [.init(service: host)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger
        )
        // The engine keeps its own deadline (shutdown.timeout); this is the backstop behind it.
        let shutdownTimeout = plan.configuration.shutdown.timeout
        groupConfiguration.maximumGracefulShutdownDuration = shutdownTimeout + .seconds(5)
        groupConfiguration.maximumCancellationDuration = .seconds(5)
        let group = ServiceGroup(configuration: groupConfiguration)
        let forceExit = Task { await Self.exitOnSecondSignal(logger: logger, timeout: shutdownTimeout) }
        defer { forceExit.cancel() }
        let reloader = ConfigReloader(host: host, path: config, watch: watch, registry: TickRouterCommand.registry)
        let reloads = Task { await reloader.run() }
        defer { reloads.cancel() }
        do {
            try await group.run()
        } catch let error as FeedConnection.FatalError {
            printError("tickrouter: \(error)")
            throw ExitCode(2)
        }
    }

    /// The first SIGINT/SIGTERM starts a graceful shutdown (ServiceGroup); a second one exits at once.
    private static func exitOnSecondSignal(logger: Logger, timeout: Duration) async {
        var seen = 0
        for await signal in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
            seen += 1
            if seen == 1 {
                logger.notice("\(signal): shutting down (unsubscribe, drain up to \(timeout)); send it again to exit at once")
            } else {
                printError("tickrouter: second \(signal): exiting now without draining")
                Foundation.exit(130)
            }
        }
    }
}
