import Foundation

/// What plugins need to decode their options after the loader has run: the shared diagnostics,
/// the environment for `${VAR}`, and the config file's directory for relative paths.
///
/// ```swift
/// let (config, context) = try loader.load(file: "config/tickrouter.yaml")
/// let reader = context.reader(for: config.sinks[0].options)
/// let path = reader.requiredString("path")
/// reader.finish()
/// try context.finish()   // throws every error found by the loader and the plugins
/// ```
public final class OptionsContext {
    /// Diagnostics shared by the loader and the plugins.
    public let diagnostics: ConfigDiagnostics
    /// Variables for `${VAR}` interpolation.
    public let environment: [String: String]
    /// The directory of the configuration file, for resolving relative paths.
    public let baseDirectory: String

    /// Creates a context.
    ///
    /// - Parameters:
    ///   - diagnostics: the collector shared with readers.
    ///   - environment: variables for interpolation.
    ///   - baseDirectory: the configuration file's directory.
    public init(diagnostics: ConfigDiagnostics = .init(), environment: [String: String] = [:], baseDirectory: String = ".") {
        self.diagnostics = diagnostics
        self.environment = environment
        self.baseDirectory = baseDirectory
    }

    /// A reader over a mapping node, sharing this context's diagnostics and environment.
    public func reader(for node: ConfigNode) -> OptionsReader {
        OptionsReader(node, diagnostics: diagnostics, environment: environment)
    }

    /// Throws a ``ConfigError`` with every diagnostic if any error was reported; warnings alone
    /// do not throw and stay readable in ``diagnostics``.
    public func finish() throws(ConfigError) {
        if diagnostics.hasErrors { throw diagnostics.asError }
    }

    /// Resolves a path from the configuration: absolute paths are kept; a relative path that
    /// exists relative to the working directory is kept as is (so `config/universes/x.yaml`
    /// works from the repository root); anything else is relative to ``baseDirectory``.
    public func resolvePath(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        if FileManager.default.fileExists(atPath: path) { return path }
        if baseDirectory.isEmpty || baseDirectory == "." { return path }
        return (baseDirectory as NSString).appendingPathComponent(path)
    }

    /// Whether a (resolved) path names an existing regular file.
    public func fileExists(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }
}
