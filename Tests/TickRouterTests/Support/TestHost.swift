import Foundation
import Testing
import Logging
import TickRouter
import TickRouterCLI
import TickRouterPlugins

/// Runs a config in process (simulator + engine) for a test, and stops it afterwards.
struct TestHost {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    let host: RouterHost
    let task: Task<Void, any Error>
    let engine: Engine
    let socketPath: String

    /// Starts `config` (relative to the repository root, or absolute) with the socket in a fresh temporary directory.
    /// Pass `waitForSocket: false` for configs without a unix-socket sink.
    static func start(
        config: String = "config/tickrouter.yaml", environment: [String: String] = [:], waitForSocket: Bool = true
    ) async throws -> TestHost {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tickrouter-test-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let socketPath = directory.appendingPathComponent("t.sock").path
        var environment = environment
        environment["TICKROUTER_SOCKET"] = socketPath
        let plan = try EnginePlanner(registry: .builtin).plan(file: config.hasPrefix("/") ? config : repositoryRoot + "/" + config, environment: environment)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        // A free port for the admin plane, so tests never collide with each other or a running router.
        let host = RouterHost(plan: plan, logger: logger, adminListen: "127.0.0.1:0")
        let task = Task { try await host.run() }
        let engine = await host.engine()
        if waitForSocket {
            try await waitUntil("socket \(socketPath) exists") { FileManager.default.fileExists(atPath: socketPath) }
        }
        try await waitUntil("all connections streaming") { engine.stats.connections.allSatisfy { $0.state == .streaming } }
        return TestHost(host: host, task: task, engine: engine, socketPath: socketPath)
    }

    /// Cancels the host and waits for it to stop; a host that does not stop within 60 s fails the
    /// test instead of hanging the run.
    func stop() async {
        task.cancel()
        let task = self.task
        if await !finishes(by: .now + .seconds(60), { _ = try? await task.value }) {
            Issue.record("the host did not stop within 60 s of cancellation")
        }
    }
}

struct TimedOut: Error, CustomStringConvertible {
    var what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Polls `condition` every 20 ms for up to `limit`: a guard against hangs on a loaded machine, not a timing assertion.
func waitUntil(_ what: String, limit: Duration = .seconds(90), _ condition: () -> Bool) async throws {
    let deadline = ContinuousClock.now + limit
    while !condition() {
        guard ContinuousClock.now < deadline else { throw TimedOut(what: what) }
        try await Task.sleep(for: .milliseconds(20))
    }
}

/// Tests that stream at full simulator rate for many seconds. Run alongside every other suite on
/// two shared cores they starve the short-timeout protocol tests, so they run in their own step
/// (`.ci/run`: `TICKROUTER_LOAD_TESTS=1 swift test --skip-build --filter SUITE`, one suite at a time).
enum LoadTests {
    static let enabled = ProcessInfo.processInfo.environment["TICKROUTER_LOAD_TESTS"] == "1"
    static let reason: Comment = "full-rate load test: set TICKROUTER_LOAD_TESTS=1 (.ci/run runs these in their own step)"
}
