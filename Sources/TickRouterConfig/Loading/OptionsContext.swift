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
    ///
    /// When neither exists, the ancestors of ``baseDirectory`` are tried (so a repo-root-relative
    /// path in `config/x.yaml` also works when run from elsewhere); failing that, the path
    /// relative to ``baseDirectory`` is returned.
    public func resolvePath(_ path: String) -> String {
        if path.hasPrefix("/") || path.isEmpty { return path }
        if FileManager.default.fileExists(atPath: path) { return path }
        if baseDirectory.isEmpty || baseDirectory == "." { return path }
        let preferred = (baseDirectory as NSString).appendingPathComponent(path)
        if FileManager.default.fileExists(atPath: preferred) { return preferred }
        var directory = baseDirectory as NSString
        for _ in 0..<8 {
            let parent = directory.deletingLastPathComponent as NSString
            if parent.length == 0 || parent == directory { break }
            let candidate = parent.appendingPathComponent(path)
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            directory = parent
        }
        return preferred
    }

    /// Whether a (resolved) path names an existing regular file.
    public func fileExists(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }
}

extension OptionsContext {
    /// Reads a YAML side file (a plugin's map, rates, ...) named by the option value `from`.
    /// A missing file or a syntax error is reported at the option (or inside the file) and gives nil.
    public func loadSideFile(_ path: String, from option: ConfigNode) -> ConfigNode? {
        let resolved = resolvePath(path)
        guard fileExists(resolved), let text = try? String(contentsOfFile: resolved, encoding: .utf8) else {
            diagnostics.error("file '\(ConfigNode.clip(path))' does not exist", at: option, hint: "paths are relative to the working directory or to the config file")
            return nil
        }
        return YAMLDocument.parse(text, file: resolved, diagnostics: diagnostics, emptyMessage: "the file is empty")
    }
}
