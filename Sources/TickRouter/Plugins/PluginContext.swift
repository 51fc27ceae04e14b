import Foundation
public import TickRouterConfig

/// What a plugin can see while it decodes its options: the rest of the configuration.
public struct PluginContext {
    /// The whole configuration (the plugin's own section included).
    public let configuration: TickRouterConfiguration
    /// The loader's context: diagnostics, environment, base directory for relative paths.
    public let options: OptionsContext

    public init(configuration: TickRouterConfiguration, options: OptionsContext) {
        self.configuration = configuration
        self.options = options
    }

    /// Names of the configured connections, in order.
    public var connectionNames: [String] { configuration.connections.map(\.name) }

    /// Resolves a path relative to the config file's directory (or the working directory if it exists there).
    public func resolvePath(_ path: String) -> String {
        if path.hasPrefix("/") || FileManager.default.fileExists(atPath: path) { return path }
        return (options.baseDirectory as NSString).appendingPathComponent(path)
    }

    /// The hint for an option that names a connection that is not configured: a did-you-mean,
    /// or the list of configured connections.
    public func unknownConnectionHint(_ name: String) -> String {
        didYouMean(name, among: connectionNames).map { "did you mean '\($0)'?" }
            ?? "configured connections: \(connectionNames.joined(separator: ", "))"
    }
}
