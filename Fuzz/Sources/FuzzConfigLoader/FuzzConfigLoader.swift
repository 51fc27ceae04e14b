import TickRouter
import TickRouterConfig
import TickRouterPlugins

/// libFuzzer entry: one config file's text. Loaded and, when it loads, planned with the built-in
/// plugins — what `tickrouter validate` does. A config may be rejected in any way; it must never
/// crash, and a rejection must say where (every diagnostic names the file).
///
/// Inputs naming device or kernel files are skipped: a universe file `/dev/zero` would be read
/// forever, which is the operator's choice, not a parser bug.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfigLoader(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if text.contains("/dev/") || text.contains("/proc/") || text.contains("/sys/") { return -1 }
    let file = "/nonexistent-fuzz-dir/config.yaml"
    let loader = ConfigurationLoader(environment: environment, plugins: registry.names)
    do {
        let (configuration, context) = try loader.load(yaml: text, file: file)
        _ = try EnginePlanner(registry: registry).plan(configuration, context: context)
    } catch {
        precondition(!error.diagnostics.isEmpty, "a rejected config without a diagnostic")
        for diagnostic in error.diagnostics { _ = diagnostic.description }
    }
    return 0
}

/// A fixed environment: results do not depend on the machine, and no real secret is ever read.
private let environment = ["MASSIVE_API_KEY": "fuzz-key", "TICKROUTER_SOCKET": "/nonexistent-fuzz-dir/s.sock", "HOME": "/nonexistent-fuzz-dir"]
private let registry = PluginRegistry.builtin
