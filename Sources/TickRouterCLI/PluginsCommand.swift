import ArgumentParser
import Foundation
import TickRouter

/// `tickrouter plugins`: lists the registered strategies and sinks with their options.
struct PluginsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plugins", abstract: "List routing strategies and sinks with their options.")

    func run() async throws {
        let registry = TickRouterCommand.registry
        print("routing strategies (routing.strategy, options under routing.options):")
        for plugin in registry.strategies.values.sorted(by: { $0.name < $1.name }) {
            print("  \(plugin.name) — \(plugin.summary)")
            printOptions(plugin.options)
        }
        print("\nsinks (sinks[].type; every sink also takes name, channels, symbols):")
        for plugin in registry.sinks.values.sorted(by: { $0.type < $1.type }) {
            print("  \(plugin.type) — \(plugin.summary)")
            printOptions(plugin.options)
        }
    }

    private func printOptions(_ options: [PluginOption]) {
        let width = options.map(\.name.count).max() ?? 0
        for option in options {
            let name = option.name.padding(toLength: width, withPad: " ", startingAt: 0)
            let defaultText = option.defaultValue.map { ", default \($0)" } ?? ""
            print("      \(name)  \(option.type)\(defaultText) — \(option.summary)")
        }
    }
}
