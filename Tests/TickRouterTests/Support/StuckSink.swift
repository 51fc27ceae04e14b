import ServiceLifecycle
import TickRouter
import TickRouterConfig

/// A sink that accepts events and never takes them from its queue, until cancelled: a stand-in
/// for a destination that hangs (a blocked disk, a dead peer), to test stall detection and the
/// shutdown deadline deterministically.
struct StuckSinkSpec: SinkSpec {
    var planDetails: [(key: String, value: String)] { [] }
    func makeSink(_ runtime: SinkRuntime) throws -> any Sink { StuckSink() }

    static let plugin = SinkPlugin(type: "stuck", summary: "never drains (tests only)", options: []) { reader, _ in
        reader.finish()
        return StuckSinkSpec()
    }
}

struct StuckSink: Sink {
    func run() async throws {
        // Ignores graceful shutdown on purpose; only cancellation (the shutdown deadline) ends it.
        while !Task.isCancelled { try? await Task.sleep(for: .seconds(3600)) }
    }
}
