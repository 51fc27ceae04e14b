import ArgumentParser
public import TickRouter

/// The `tickrouter` command line. A third-party host adds its plugins to the registry and calls
/// ``TickRouterCommand/main(registry:)``:
///
/// ```swift
/// @main struct MyHost {
///     static func main() async {
///         var registry = PluginRegistry.builtin
///         registry.register(KafkaSink.plugin)
///         await TickRouterCommand.main(registry: registry)
///     }
/// }
/// ```
public struct TickRouterCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "tickrouter",
        abstract: "Routes Polygon/Massive real-time market data to local consumers, configured in YAML.",
        subcommands: [
            RunCommand.self, ValidateCommand.self, PlanCommand.self, SimulateCommand.self, TapCommand.self, PluginsCommand.self, TopCommand.self,
        ],
        defaultSubcommand: RunCommand.self
    )

    /// The plugins the commands use; set by ``main(registry:)``.
    @TaskLocal public static var registry = PluginRegistry()

    public init() {}

    /// Parses the process arguments and runs the command with `registry`'s plugins.
    public static func main(registry: PluginRegistry) async {
        await $registry.withValue(registry) {
            await main()
        }
    }
}
