import Foundation
import InMemoryLogging
import Logging
import ServiceLifecycle
import TickRouter
import TickRouterAdmin
import TickRouterCLI
import TickRouterConfig
import TickRouterSimulator
import TickRouterPlugins
import Testing

/// Graceful shutdown under load: unsubscribe upstream, drain, report, finish within the deadline.
@Suite("Shutdown", .serialized)
struct ShutdownTests {
    @Test func gracefulShutdownUnderLoadUnsubscribesDrainsAndReports() async throws {
        // A standalone simulator (the provider), so it sees the unsubscribes after the router stops.
        let symbols = ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "AVGO"]
        let simulator = Simulator(
            configuration: SimulatorConfiguration(port: 0, symbols: symbols, symbolCount: symbols.count, rate: 12_000, apiKeys: ["k-shutdown"]),
            logger: Logger(label: "sim")
        )
        let simulatorTask = Task { try await simulator.run() }
        defer { simulatorTask.cancel() }
        let port = try await simulator.waitUntilListening()

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tickrouter-stop-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let socketPath = directory.appendingPathComponent("t.sock").path
        let configPath = directory.appendingPathComponent("c.yaml").path
        try """
            feed: { provider: massive, market: stocks, url: "ws://127.0.0.1:\(port)", api_key: "${KEY}", max_connections: 2 }
            connections:
              - { name: one, channels: [T, Q] }
              - { name: two, channels: [T, Q] }
            universe: { symbols: [\(symbols.joined(separator: ", "))] }
            sinks: [ { type: unix-socket, path: \(socketPath) } ]
            shutdown: { timeout: 60s }   # generous: a loaded CI machine must not hit the deadline
            """.write(toFile: configPath, atomically: true, encoding: .utf8)
        let plan = try EnginePlanner(registry: .builtin).plan(file: configPath, environment: ["KEY": "k-shutdown"])
        let logs = InMemoryLogHandler()
        var logger = Logger(label: "test") { _ in logs }
        logger.logLevel = .info
        let host = RouterHost(plan: plan, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [.init(service: host)], logger: logger))
        let running = Task { try await group.run() }
        let engine = await host.engine()
        try await waitUntil("all connections streaming") { engine.stats.connections.allSatisfy { $0.state == .streaming } }
        try await waitUntil("socket exists") { FileManager.default.fileExists(atPath: socketPath) }

        // Load: a reader of every event, running through the shutdown.
        let reader = Task { try await TapClient(socketPath: socketPath, subscribe: "T.*,Q.*").run(for: .seconds(30)) }
        let sink = try #require(engine.stats.sink(named: "unix-socket"))
        try await waitUntil("the reader gets events") { sink.delivered.load > 1000 }

        let started = ContinuousClock.now
        await group.triggerGracefulShutdown()
        let finished = try await Self.finishes(running, within: .seconds(60))
        let elapsed = ContinuousClock.now - started
        print("shutdown under load: finished in \(elapsed) (shutdown.timeout \(plan.configuration.shutdown.timeout)); delivered \(sink.delivered.load)")
        #expect(finished, "the router finished after graceful shutdown")
        let summary = try await reader.value
        #expect(summary.gaps == 0, "the reader saw no gap up to the end")

        // Upstream: each connection sent its unsubscribe (for all its items) before closing.
        try await waitUntil("the provider saw an unsubscribe from every connection") {
            Set(simulator.recordedActions.filter { $0.action == "unsubscribe" }.map(\.connectionID)).count == plan.connections.count
        }
        let unsubscribed = simulator.recordedActions.filter { $0.action == "unsubscribe" }.flatMap { $0.params.split(separator: ",") }
        #expect(unsubscribed.count == symbols.count * 2, "T and Q of every symbol: \(unsubscribed.count)")
        #expect(engine.stats.connections.allSatisfy { $0.state == .stopped })
        #expect(engine.queuedEventsPerSink.allSatisfy { $0 == 0 }, "the sinks drained their queues")
        // The report: one line per sink with what was delivered and what was not, by reason.
        let lines = logs.entries.map { "\($0.message)" }
        #expect(lines.contains { $0.hasPrefix("sink unix-socket: accepted") }, "a shutdown report for the sink: \(lines)")
    }

    /// The `tickrouter` executable built next to the tests; records an issue when there is none.
    static func executable() -> String? {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("tickrouter")
        var candidates = [binary.path]
        if let bundle = Bundle.allBundles.first(where: { $0.bundlePath.hasSuffix(".xctest") }) {
            candidates.append(URL(fileURLWithPath: bundle.bundlePath).deletingLastPathComponent().appendingPathComponent("tickrouter").path)
        }
        candidates.append(TestHost.repositoryRoot + "/.build/debug/tickrouter")
        guard let executable = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            Issue.record("the tickrouter executable was not built next to the tests (looked in \(candidates))")
            return nil
        }
        return executable
    }

    @Test func sigtermEndsTheProcessWithExitZeroAndASecondSignalIsNotNeeded() async throws {
        guard let executable = Self.executable() else { return }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tickrouter-sig-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let socketPath = directory.appendingPathComponent("t.sock").path
        // The default config without the admin section (its fixed port may be taken on a shared machine).
        let config = try String(contentsOfFile: TestHost.repositoryRoot + "/config/tickrouter.yaml", encoding: .utf8)
            .replacingOccurrences(of: "admin: { listen: 127.0.0.1:9464 }", with: "shutdown: { timeout: 60s }")
            .replacingOccurrences(of: "rate: 60000", with: "rate: 12000")
            .replacingOccurrences(of: "files: [config/universes/top100.yaml]", with: "files: [\(TestHost.repositoryRoot)/config/universes/top100.yaml]")
        let configPath = directory.appendingPathComponent("c.yaml").path
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["run", "--config", configPath]
        process.environment = ProcessInfo.processInfo.environment.merging(["TICKROUTER_SOCKET": socketPath]) { $1 }
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let collected = Collected()
        errors.fileHandleForReading.readabilityHandler = { handle in collected.append(handle.availableData) }
        try process.run()
        defer { if process.isRunning { process.terminate() } }
        try await waitUntil("the router's socket exists", limit: .seconds(60)) { FileManager.default.fileExists(atPath: socketPath) }
        try await waitUntil("streaming", limit: .seconds(60)) { collected.text.components(separatedBy: "streaming ").count > 3 }
        let reader = Task { try await TapClient(socketPath: socketPath, subscribe: "T.*,Q.*").run(for: .seconds(30)) }
        try await Task.sleep(for: .seconds(1))  // let load build up; not a timing assertion

        let started = ContinuousClock.now
        kill(process.processIdentifier, SIGTERM)
        try await waitUntil("the process exits after SIGTERM", limit: .seconds(60)) { !process.isRunning }
        let elapsed = ContinuousClock.now - started
        reader.cancel()
        errors.fileHandleForReading.readabilityHandler = nil
        let log = collected.text
        print("SIGTERM to exit: \(elapsed); exit status \(process.terminationStatus)")
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
        #expect(log.contains("unsubscribed"), "the feed unsubscribed upstream")
        #expect(log.contains("sink unix-socket: accepted"), "the shutdown report names the sink")
        #expect(!log.contains("shutdown took longer"), "drained within shutdown.timeout (60 s, far above what it needs)")
    }

    @Test func aSecondSigtermDuringASlowDrainExitsAtOnceWithCode130() async throws {
        guard let executable = Self.executable() else { return }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tickrouter-sig2-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let socketPath = directory.appendingPathComponent("t.sock").path
        // A long shutdown.timeout: the graceful drain waits for a socket client that never reads.
        let configPath = directory.appendingPathComponent("c.yaml").path
        try """
            feed: { provider: simulator, simulator: { symbols: 20, rate: 12000 } }
            connections: [ { name: only, channels: [T, Q] } ]
            universe: { symbols: [AAPL, MSFT, NVDA, AMZN, GOOGL, META, TSLA, AVGO] }
            sinks: [ { type: unix-socket, path: \(socketPath) } ]
            shutdown: { timeout: 10m }
            """.write(toFile: configPath, atomically: true, encoding: .utf8)

        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["run", "--config", configPath]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let collected = Collected()
        errors.fileHandleForReading.readabilityHandler = { handle in collected.append(handle.availableData) }
        try process.run()
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }
        try await waitUntil("the router's socket exists", limit: .seconds(60)) { FileManager.default.fileExists(atPath: socketPath) }
        try await waitUntil("streaming", limit: .seconds(60)) { collected.text.contains("streaming") }

        // A client that subscribes and never reads: once its receive buffer stops growing, the
        // router holds unwritten events for it, and a graceful drain waits for them to be read.
        let stalled = try RawSocketClient(path: socketPath)
        stalled.send(#"{"action":"subscribe","params":"T.*,Q.*"}"#)
        var previous = -1
        try await waitUntil("the stalled client's receive buffer is full", limit: .seconds(60)) {
            let now = stalled.unreadBytes
            defer { previous = now }
            return now > 64 << 10 && now == previous
        }
        try await Task.sleep(for: .milliseconds(500))  // more events queue up behind the full buffer; not a timing assertion

        kill(process.processIdentifier, SIGTERM)
        try await waitUntil("the first SIGTERM stops the feed and the sinks drain", limit: .seconds(60)) { collected.text.contains("feed stopped") }
        #expect(process.isRunning, "the drain waits for the client that does not read")
        let started = ContinuousClock.now
        kill(process.processIdentifier, SIGTERM)
        try await waitUntil("the process exits after the second SIGTERM", limit: .seconds(60)) { !process.isRunning }
        let elapsed = ContinuousClock.now - started
        errors.fileHandleForReading.readabilityHandler = nil
        let log = collected.text
        print("second SIGTERM to exit: \(elapsed); exit status \(process.terminationStatus) (shutdown.timeout 10m)")
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 130, "documented in docs/operations.md")
        #expect(log.contains("second SIGTERM: exiting now without draining"))
        #expect(!log.contains("engine stopped"), "the graceful drain had not finished: the second signal ended it")
        withExtendedLifetime(stalled) {}
    }

    /// Whether `task` finishes within `limit` (a hang guard that returns even if the task never ends).
    static func finishes(_ task: Task<Void, any Error>, within limit: Duration) async throws -> Bool {
        await TickRouter.finishes(by: .now + limit) { _ = try? await task.value }
    }
}

/// Bytes collected from a pipe by its readability handler.
final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()
    func append(_ chunk: Data) { lock.withLock { data.append(chunk) } }
    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }
}

/// What happens when a sink hangs: health reports it, and the shutdown deadline still ends the run.
@Suite("Stuck sink", .serialized)
struct StuckSinkTests {
    static func plan(timeout: String) throws -> (EnginePlan, String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tickrouter-stuck-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("c.yaml").path
        try """
            feed: { provider: simulator, simulator: { symbols: 20, rate: 5000 } }
            connections: [ { name: only, channels: [T, Q] } ]
            universe: { symbols: [AAPL, MSFT, NVDA] }
            sinks: [ { type: stuck, name: hung } ]
            shutdown: { timeout: \(timeout) }
            """.write(toFile: path, atomically: true, encoding: .utf8)
        var registry = PluginRegistry.builtin
        registry.register(StuckSinkSpec.plugin)
        return (try EnginePlanner(registry: registry).plan(file: path, environment: [:]), directory.path)
    }

    @Test func healthReportsAStalledSink() async throws {
        let (plan, _) = try Self.plan(timeout: "1s")
        let host = RouterHost(plan: plan, logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let task = Task { try await host.run() }
        defer { task.cancel() }
        let engine = await host.engine()
        let health = HealthCheck(policy: HealthPolicy(maxReadLag: .seconds(3600), sinkStallAfter: .milliseconds(300)))
        try await waitUntil("the stuck sink is reported") {
            health.evaluate(AdminSnapshot(engine: engine)).reasons.contains { $0.code == "sink_stalled" && $0.subject == "hung" }
        }
        let report = health.evaluate(AdminSnapshot(engine: engine))
        print("health with a stuck sink: \(report.reasons.map(\.message))")
        #expect(!report.healthy)
    }

    @Test func theShutdownDeadlineEndsAHungSinkAndCountsWhatItHeld() async throws {
        let (plan, _) = try Self.plan(timeout: "500ms")
        let logs = InMemoryLogHandler()
        var logger = Logger(label: "test") { _ in logs }
        logger.logLevel = .info
        let host = RouterHost(plan: plan, logger: logger)
        let group = ServiceGroup(configuration: .init(services: [.init(service: host)], logger: logger))
        let running = Task { try await group.run() }
        let engine = await host.engine()
        let stats = try #require(engine.stats.sink(named: "hung"))
        try await waitUntil("the hung sink holds events") { engine.queuedEventsPerSink[0] > 100 }
        let started = ContinuousClock.now
        await group.triggerGracefulShutdown()
        #expect(try await ShutdownTests.finishes(running, within: .seconds(60)), "the deadline ended the run")
        print("shutdown with a hung sink: \(ContinuousClock.now - started) (timeout 500ms)")
        let lost = stats.dropped.snapshot.first { $0.reason == "shutdown" }?.count ?? 0
        #expect(lost > 0 && lost <= stats.accepted.load, "what the sink still held is counted as lost at shutdown: \(lost)")
        let lines = logs.entries.map { "\($0.message)" }
        #expect(lines.contains { $0.hasPrefix("shutdown took longer than") })
        #expect(lines.contains { $0.hasPrefix("sink hung: accepted") && $0.contains("undelivered by reason: shutdown \(lost)") })
    }
}
