import ArgumentParser
import Foundation
import TickRouter
import TickRouterConfig

/// `tickrouter validate`: checks configs without connecting; exit 0 when all are valid, else 1.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check config files without connecting. Errors print as PATH:LINE:COL: error: KEY.PATH: message (hint)."
    )

    @Argument(help: "Config files.")
    var paths: [String] = ["config/tickrouter.yaml"]

    func run() async throws {
        let planner = EnginePlanner(registry: TickRouterCommand.registry)
        var failed = false
        for path in paths {
            do {
                let plan = try planner.plan(file: path, environment: ProcessInfo.processInfo.environment)
                for warning in plan.warnings { printError(warning.description) }
                let symbols = plan.configuration.universe.count
                print("\(path): ok (\(plan.connections.count) connections, \(symbols) symbols, \(plan.sinks.count) sinks)")
            } catch {
                failed = true
                printError(error.description)
            }
        }
        if failed { throw ExitCode(1) }
    }
}
