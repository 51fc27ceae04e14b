import Benchmark
import Foundation
import Logging
import TickRouter
import TickRouterCLI
import TickRouterConfig
import TickRouterPlugins

/// End to end, in one process: built-in simulator → WebSocket → engine → Unix socket → one reader
/// that checks sequence numbers. Each iteration reads for 5 seconds at the configured rate;
/// the custom metrics are the events/s the reader received and the gaps it saw (must be 0).
let benchmarks: @Sendable () -> Void = {
    let rate = Int(ProcessInfo.processInfo.environment["TICKROUTER_BENCH_RATE"] ?? "") ?? 400_000
    Benchmark(
        "end to end, simulator at \(rate) events/s → 1 Unix-socket reader",
        configuration: .init(
            metrics: [.wallClock, .cpuTotal, .custom("reader events/s"), .custom("gaps"), .custom("router events/s")],
            maxDuration: .seconds(60), maxIterations: 2
        )
    ) { benchmark in
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tickrouter-bench-\(getpid())")
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let socket = directory.appendingPathComponent("bench.sock").path
        let config = directory.appendingPathComponent("bench.yaml").path
        let yaml = """
            feed:
              provider: simulator
              market: stocks
              max_connections: 2
              simulator: { symbols: 500, rate: \(rate), events_per_frame: 100 }
            connections:
              - { name: primary, feed: realtime, channels: [T, Q] }
              - { name: secondary, feed: realtime, channels: [T, Q] }
            universe: { files: [\(FileManager.default.currentDirectoryPath)/../config/universes/top100.yaml] }
            routing: { strategy: round-robin }
            sinks:
              - { type: unix-socket, path: \(socket) }
            """
        try yaml.write(toFile: config, atomically: true, encoding: .utf8)
        let plan = try EnginePlanner(registry: .builtin).plan(file: config, environment: [:])
        var logger = Logger(label: "bench")
        logger.logLevel = .warning
        let host = RouterHost(plan: plan, logger: logger)
        let task = Task { try await host.run() }
        let engine = await host.engine()
        while !FileManager.default.fileExists(atPath: socket) || !engine.stats.connections.allSatisfy({ $0.state == .streaming }) {
            try await Task.sleep(for: .milliseconds(20))
        }
        let before = engine.stats.totalEvents
        let started = ContinuousClock.now
        benchmark.startMeasurement()
        let summary = try await TapClient(socketPath: socket, subscribe: "T.*,Q.*").run(for: .seconds(5))
        benchmark.stopMeasurement()
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        benchmark.measurement(.custom("reader events/s"), Int(Double(summary.events) / seconds))
        benchmark.measurement(.custom("router events/s"), Int(Double(engine.stats.totalEvents - before) / seconds))
        benchmark.measurement(.custom("gaps"), summary.gaps)
        task.cancel()
        _ = try? await task.value
    }
}
