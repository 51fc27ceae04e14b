import ArgumentParser
import Foundation
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
        let host = RouterHost(plan: plan, logger: logger)
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: host)], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        )
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
}
