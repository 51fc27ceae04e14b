import Foundation
import Logging
import TickRouter
import TickRouterCLI
import TickRouterConfig
import TickRouterPlugins
import TickRouterSimulator
import Testing

@Suite("Failover state machine")
struct FailoverStateMachineTests {
    @Test func aConnectionDownBeforeItWasEverObservedStillFailsOver() {
        var machine = FailoverStateMachine<ContinuousClock.Instant>(returnAfter: .seconds(5))
        #expect(machine.observe(streaming: [false, true], hasStreamed: [true, true], now: .now) == [0])
    }

    @Test func aFailedConnectionIsExcludedAtOnceAndReturnsOnlyAfterAHealthyPeriod() {
        let clock = ContinuousClock.now
        var machine = FailoverStateMachine<ContinuousClock.Instant>(returnAfter: .seconds(5))
        let both = [true, true]
        #expect(machine.observe(streaming: [false, false], hasStreamed: [false, false], now: clock) == nil, "starting connections are not failures")
        #expect(machine.observe(streaming: both, hasStreamed: both, now: clock + .seconds(1)) == nil)
        #expect(machine.observe(streaming: [false, true], hasStreamed: both, now: clock + .seconds(2)) == [0])
        #expect(machine.observe(streaming: both, hasStreamed: both, now: clock + .seconds(3)) == nil, "not healthy long enough")
        #expect(machine.observe(streaming: [false, true], hasStreamed: both, now: clock + .seconds(4)) == nil, "flapped: the clock restarts")
        #expect(machine.observe(streaming: both, hasStreamed: both, now: clock + .seconds(5)) == nil)
        #expect(machine.observe(streaming: both, hasStreamed: both, now: clock + .seconds(10)) == [])
    }
}

/// Reload and failover against the real simulator, checked by the actions it received.
@Suite("Reload and failover", .serialized)
struct ReloadAndFailoverTests {
    static func config(symbols: [String], socket: String, failover: Bool = true, extraSink: String = "") -> String {
        """
        feed:
          provider: simulator
          market: stocks
          max_connections: 2
          simulator: { symbols: 20, rate: 4000 }
        connections:
          - { name: primary, feed: realtime, channels: [T, Q] }
          - { name: secondary, feed: realtime, channels: [T, Q] }
        universe:
          symbols: [\(symbols.joined(separator: ", "))]
        routing:
          strategy: round-robin
          failover: \(failover)
          failback_after: 1s
        sinks:
          - { type: unix-socket, path: \(socket) }
        \(extraSink)
        """
    }

    struct Setup {
        let directory: String
        let configPath: String
        let socket: String
        let host: RouterHost
        let engine: Engine
        let simulator: Simulator
        let task: Task<Void, any Error>

        func write(_ text: String) throws { try text.write(toFile: configPath, atomically: true, encoding: .utf8) }

        func stop() async {
            task.cancel()
            _ = try? await task.value
        }

        /// Recorded subscribe/unsubscribe params per simulator connection id, in order.
        func actions(_ kind: String) -> [(id: Int, params: String)] {
            simulator.recordedActions.filter { $0.action == kind }.map { ($0.connectionID, $0.params) }
        }
    }

    func start(symbols: [String]) async throws -> Setup {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tr-reload-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let socket = directory + "/r.sock"
        let configPath = directory + "/c.yaml"
        try Self.config(symbols: symbols, socket: socket).write(toFile: configPath, atomically: true, encoding: .utf8)
        let plan = try EnginePlanner(registry: .builtin).plan(file: configPath, environment: [:])
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let host = RouterHost(plan: plan, logger: logger)
        let task = Task { try await host.run() }
        let engine = await host.engine()
        try await waitUntil("streaming") { engine.stats.connections.allSatisfy { $0.state == .streaming } }
        let simulator = try #require(host.simulator)
        // The simulator records actions as it processes them, a little after the router sent them.
        try await waitUntil("the simulator recorded both initial subscriptions") {
            Set(simulator.recordedActions.filter { $0.action == "subscribe" }.map(\.connectionID)).count == 2
        }
        return Setup(directory: directory, configPath: configPath, socket: socket, host: host, engine: engine, simulator: simulator, task: task)
    }

    @Test func aReloadSendsSubscriptionDeltasOnTheLiveSocketsAndAReaderSeesNoGap() async throws {
        let setup = try await start(symbols: ["AAPL", "MSFT", "NVDA", "TSLA"])
        defer { Task { await setup.stop() } }
        let initial = setup.actions("subscribe")
        let connectionIDs = Set(initial.map(\.id))
        #expect(connectionIDs.count == 2)

        // A reader on an untouched symbol, across the reload.
        let reader = Task { try await TapClient(socketPath: setup.socket, subscribe: "T.AAPL,Q.AAPL").run(for: .seconds(4)) }
        try await Task.sleep(for: .milliseconds(500))

        // AAPL, NVDA stay; MSFT and TSLA go; AMD and JPM come.
        try setup.write(Self.config(symbols: ["AAPL", "AMD", "NVDA", "JPM"], socket: setup.socket))
        let result = await setup.host.reload(file: setup.configPath, environment: [:], registry: .builtin)
        guard case .applied(let generation, let diff) = result else {
            Issue.record("reload not applied: \(result)")
            return
        }
        #expect(generation == 2)
        #expect(setup.engine.stats.generation.load == 2)
        #expect(diff.removedConnections.isEmpty && diff.addedConnections.isEmpty && diff.restartedConnections.isEmpty)

        try await waitUntil("the simulator recorded the deltas") {
            setup.actions("subscribe").count > initial.count && !setup.actions("unsubscribe").isEmpty
        }
        let subscribes = setup.actions("subscribe").dropFirst(initial.count)
        let unsubscribes = setup.actions("unsubscribe")
        #expect(Set(subscribes.map(\.id)).isSubset(of: connectionIDs), "deltas went to the live connections, no reconnect")
        #expect(Set(unsubscribes.map(\.id)).isSubset(of: connectionIDs))
        let subscribed = Set(subscribes.flatMap { $0.params.split(separator: ",").map(String.init) })
        let unsubscribed = Set(unsubscribes.flatMap { $0.params.split(separator: ",").map(String.init) })
        #expect(subscribed == ["T.AMD", "Q.AMD", "T.JPM", "Q.JPM"])
        #expect(unsubscribed == ["T.MSFT", "Q.MSFT", "T.TSLA", "Q.TSLA"])
        #expect(setup.engine.stats.connections.allSatisfy { $0.reconnects.load == 0 })

        let summary = try await reader.value
        #expect(summary.events > 0)
        #expect(summary.gaps == 0, "an untouched symbol loses nothing across a reload")
    }

    @Test func anInvalidReloadIsRefusedWithItsPositionAndChangesNothing() async throws {
        let setup = try await start(symbols: ["AAPL", "MSFT"])
        defer { Task { await setup.stop() } }
        try setup.write(Self.config(symbols: ["AAPL"], socket: setup.socket).replacingOccurrences(of: "strategy: round-robin", with: "strategy: round-robbin"))
        let result = await setup.host.reload(file: setup.configPath, environment: [:], registry: .builtin)
        guard case .refused(let error) = result else {
            Issue.record("expected a refusal, got \(result)")
            return
        }
        let first = try #require(error.errors.first)
        #expect(first.keyPath == "routing.strategy" && first.location.line == 12)
        #expect(setup.engine.stats.generation.load == 1)
        #expect(setup.actions("unsubscribe").isEmpty)
    }

    @Test func aFailedConnectionsSymbolsMoveToTheHealthyOneAndComeBack() async throws {
        let setup = try await start(symbols: ["AAPL", "MSFT", "NVDA", "TSLA"])
        defer { Task { await setup.stop() } }
        let primarySymbols = setup.engine.routing.symbols(on: 0)
        #expect(primarySymbols == ["AAPL", "NVDA"])
        let initial = setup.actions("subscribe")
        let primaryID = try #require(initial.first { $0.params.contains("T.AAPL") }?.id)
        let secondaryID = try #require(initial.first { $0.params.contains("T.MSFT") }?.id)
        let watcher = try RawSocketClient(path: setup.socket)
        watcher.send(#"{"action":"subscribe","params":"T.*"}"#)
        _ = watcher.readLines(3)

        // Primary goes down and stays down for 3 s.
        setup.simulator.faults.refuseConnections(for: .seconds(3))
        setup.simulator.faults.dropConnection(id: primaryID)
        try await waitUntil("primary's symbols on secondary") { setup.engine.routing.symbols(on: 1).count == 4 }
        try await waitUntil("secondary subscribed them") {
            setup.actions("subscribe").contains { $0.id == secondaryID && $0.params.contains("T.AAPL") && $0.params.contains("T.NVDA") }
        }
        let lines = watcher.readLines(5000, limit: .seconds(5))
        #expect(lines.contains { $0.contains(#""status":"gap""#) && $0.contains("primary") }, "consumers are told what may be missing")

        // Primary comes back, stays healthy for failback_after (1 s): its symbols move back.
        try await waitUntil("failback") { setup.engine.routing.symbols(on: 0) == primarySymbols }
        try await waitUntil("secondary let go") {
            setup.actions("unsubscribe").contains { $0.id == secondaryID && $0.params.contains("T.AAPL") }
        }
        #expect(setup.engine.stats.connection(named: "primary")?.reconnects.load ?? 0 >= 1)
    }
}

@Suite("Rebalance", .serialized)
struct RebalanceTests {
    @Test func aRebalanceByMeasuredRatesMovesSymbolsAsDeltasAndRespectsMinGain() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tr-rebalance-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // The rates file claims the opposite of the simulator's heavy names, so measured rates disagree with it.
        try "AAPL: 1\nMSFT: 1\nNVDA: 1\nXOM: 900\nKO: 800\nPG: 700\n".write(toFile: directory + "/rates.yaml", atomically: true, encoding: .utf8)
        let config = """
            feed: { provider: simulator, market: stocks, max_connections: 2, simulator: { symbols: 20, rate: 6000 } }
            connections:
              - { name: a, feed: realtime, channels: [T, Q] }
              - { name: b, feed: realtime, channels: [T, Q] }
            universe: { symbols: [AAPL, MSFT, NVDA, XOM, KO, PG] }
            routing:
              strategy: load-balanced
              options: { rates: \(directory)/rates.yaml }
              rebalance: { every: 1h, min_gain: 99% }
            sinks: [ { type: unix-socket, path: \(directory)/s.sock } ]
            """
        try config.write(toFile: directory + "/c.yaml", atomically: true, encoding: .utf8)
        let plan = try EnginePlanner(registry: .builtin).plan(file: directory + "/c.yaml", environment: [:])
        #expect(plan.rebalance == RebalancePolicy(every: .seconds(3600), minGain: 0.99))
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let host = RouterHost(plan: plan, logger: logger)
        let task = Task { try await host.run() }
        defer { task.cancel() }
        let engine = await host.engine()
        try await waitUntil("measured rates for every symbol") { engine.measuredRates.count == 6 }

        let skipped = await engine.rebalance()
        #expect(!skipped.applied, "a 99% minimum gain holds the routing still (gain \(skipped.gain))")
        let before = engine.routing
        let forced = await engine.rebalance(force: true)
        #expect(forced.applied)
        let after = engine.routing
        let moved = before.symbols.filter { before.connections(for: $0) != after.connections(for: $0) }
        #expect(forced.moved == moved.count)
        #expect(!moved.isEmpty, "the measured rates disagree with the rates file, so symbols move")
        let simulator = try #require(host.simulator)
        if !moved.isEmpty {
            try await waitUntil("the deltas reached the simulator") {
                simulator.recordedActions.contains { action in
                    action.action == "unsubscribe" && moved.contains { symbol in action.params.contains(".\(symbol)") }
                }
            }
        }
        #expect(engine.stats.connections.allSatisfy { $0.reconnects.load == 0 }, "moves are deltas, not reconnects")
    }
}
