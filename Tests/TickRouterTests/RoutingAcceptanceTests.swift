import Foundation
import Logging
import NIOCore
import Synchronization
import TickRouter
import TickRouterCLI
import TickRouterConfig
import TickRouterPlugins
import TickRouterSimulator
import Testing

/// Issue 3's acceptance, against the real simulator over real sockets: the shipped examples' exact
/// assignments, failover of one of three connections (with and without redundancy), 50 reloads
/// under load, and a load-balanced rebalance that settles.
@Suite("Routing acceptance", .serialized)
struct RoutingAcceptanceTests {
    static let top100: [String] = {
        // config/universes/top100.yaml: `symbols: [AAPL, MSFT, ...]` over several lines.
        let text = (try? String(contentsOfFile: "config/universes/top100.yaml", encoding: .utf8)) ?? ""
        let body = text.split(separator: "\n").filter { !$0.hasPrefix("#") }.joined(separator: " ")
        guard let open = body.firstIndex(of: "["), let close = body.lastIndex(of: "]") else { return [] }
        return body[body.index(after: open)..<close].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }()

    // MARK: - The shipped examples

    @Test(arguments: ["manual", "round-robin", "load-balanced", "priority", "sector"])
    func aShippedExampleRoutesExactlyAsRecorded(strategy: String) throws {
        let path = "config/examples/\(strategy).yaml"
        let planner = EnginePlanner(registry: .builtin)
        let first = try planner.plan(file: path, environment: [:])
        let second = try planner.plan(file: path, environment: [:])
        #expect(first.strategy == strategy)
        func lines(_ plan: EnginePlan) -> [String] {
            plan.connections.map { "\($0.name): " + plan.routing.symbols(on: $0.index).joined(separator: " ") }
        }
        #expect(lines(first) == lines(second), "planning twice gives the same table")
        let recorded = try String(contentsOfFile: "Tests/TickRouterTests/Fixtures/assignments/\(strategy).txt", encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("#") }.map(String.init)
        #expect(lines(first) == recorded, "\(path) routes as recorded in Fixtures/assignments/\(strategy).txt")

        // And the table means what the strategy promises.
        let table = first.routing
        let names = first.connections.map(\.name)
        func on(_ symbol: String) -> [String] { table.connections(for: symbol).map { names[$0] } }
        #expect(table.symbols.count == 100, "every symbol of the universe is routed")
        switch strategy {
        case "manual":
            #expect(["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META"].allSatisfy { on($0) == ["primary"] })
            #expect(["SPY", "QQQ", "IWM", "DIA"].allSatisfy { on($0) == ["secondary"] })
            #expect(on("JPM") == ["tertiary"] && on("XOM") == ["tertiary"], "the default takes the rest")
        case "round-robin":
            for (index, symbol) in table.symbols.enumerated() { #expect(on(symbol) == [names[index % 3]]) }
        case "priority":
            #expect(["SPY", "QQQ", "AAPL", "NVDA"].allSatisfy { Set(on($0)) == ["primary", "secondary"] }, "redundant tier on both")
            #expect(["MSFT", "AMZN", "GOOGL", "META"].allSatisfy { on($0).count == 1 })
        case "sector":
            #expect(on("AAPL") == ["primary"] && on("GOOGL") == ["primary"], "IT and communication services")
            #expect(on("JPM") == ["secondary"] && on("GS") == ["secondary"], "financials")
            #expect(on("XOM") == ["tertiary"] && on("LLY") == ["tertiary"], "the * default")
        case "load-balanced":
            // Greedy packing by the rates file: the configured load per connection is even.
            let rates = try Self.rates(file: "config/rates.yaml")
            let loads = (0..<3).map { connection in table.symbols(on: connection).reduce(0.0) { $0 + (rates[$1] ?? 0) } }
            let mean = loads.reduce(0, +) / 3
            #expect(loads.allSatisfy { abs($0 - mean) / mean <= 0.10 }, "configured load per connection \(loads)")
        default:
            Issue.record("no checks for \(strategy)")
        }
    }

    @Test func planAgainstTheOldConfigListsTheDeltasSubscribesFirst() throws {
        let planner = EnginePlanner(registry: .builtin)
        let old = try planner.plan(file: "config/examples/manual.yaml", environment: [:])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tr-diff-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let universe = FileManager.default.currentDirectoryPath + "/config/universes/top100.yaml"
        let moved = try String(contentsOfFile: "config/examples/manual.yaml", encoding: .utf8)
            .replacingOccurrences(of: "files: [config/universes/top100.yaml]", with: "files: [\(universe)]")
            .replacingOccurrences(of: "primary: [megacaps]", with: "primary: [megacaps, SPY]")
            .replacingOccurrences(of: "secondary: [SPY, QQQ, IWM, DIA]", with: "secondary: [QQQ, IWM, DIA, TSLA]")
        try moved.write(toFile: directory + "/moved.yaml", atomically: true, encoding: .utf8)
        let new = try planner.plan(file: directory + "/moved.yaml", environment: [:], previous: old.routing)
        let diff = PlanDiff(from: old, to: new)
        #expect(Set(diff.movedSymbols) == ["SPY", "TSLA"])
        #expect(diff.symbolChanges["primary"]?.added == ["SPY"] && diff.symbolChanges["secondary"]?.removed == ["SPY"])
        #expect(diff.symbolChanges["secondary"]?.added == ["TSLA"] && diff.symbolChanges["tertiary"]?.removed == ["TSLA"])
        let steps = diff.steps.map(\.text)
        let lastSubscribe = try #require(steps.lastIndex { $0.hasPrefix("subscribe") })
        let firstUnsubscribe = try #require(steps.firstIndex { $0.hasPrefix("unsubscribe") })
        #expect(lastSubscribe < firstUnsubscribe, "make before break: \(steps)")
        #expect(diff.steps.allSatisfy { $0.risk == nil }, "moving symbols between live connections cannot drop data")
        #expect(diff.summary == "+2/-2 symbol subscriptions, 2 moved")

        // A strategy change is a change even when the new strategy keeps every placement.
        let roundRobin = try planner.plan(file: "config/examples/round-robin.yaml", environment: [:], previous: old.routing)
        let switched = PlanDiff(from: old, to: roundRobin)
        #expect(switched.changedStrategy?.old == "manual" && switched.changedStrategy?.new == "round-robin")
        #expect(!switched.isEmpty && switched.summary.hasPrefix("strategy manual → round-robin"))
    }

    /// `SYMBOL: rate` lines (the rates file format), comments skipped.
    static func rates(file: String) throws -> [String: Double] {
        var rates: [String: Double] = [:]
        for line in try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n") {
            let text = line.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let parts = text.split(separator: ":")
            guard parts.count == 2, let rate = Double(parts[1].trimmingCharacters(in: .whitespaces)) else { continue }
            rates[parts[0].trimmingCharacters(in: .whitespaces)] = rate
        }
        return rates
    }

    // MARK: - A running router

    struct Running {
        let directory: String
        let configPath: String
        let socket: String
        let host: RouterHost
        let engine: Engine
        let simulator: Simulator
        let task: Task<Void, any Error>

        func stop() async {
            task.cancel()
            _ = try? await task.value
        }

        func write(_ text: String) throws { try text.write(toFile: configPath, atomically: true, encoding: .utf8) }

        /// The simulator connection id that carries `symbol`'s trades (from its recorded subscribes).
        func simulatorConnection(carrying symbol: String) -> Int? {
            simulator.recordedActions.first { $0.action == "subscribe" && $0.params.split(separator: ",").contains("T.\(symbol)"[...]) }?.connectionID
        }
    }

    /// Writes `config(socket)` to a fresh directory, plans it and runs it until every connection streams.
    func run(_ config: (String) -> String) async throws -> Running {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tr-accept-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let socket = directory + "/r.sock"
        let configPath = directory + "/c.yaml"
        try config(socket).write(toFile: configPath, atomically: true, encoding: .utf8)
        let plan = try EnginePlanner(registry: .builtin).plan(file: configPath, environment: [:])
        var logger = Logger(label: "test")
        logger.logLevel = .error
        let host = RouterHost(plan: plan, logger: logger)
        let task = Task { try await host.run() }
        let engine = await host.engine()
        try await waitUntil("streaming") { engine.stats.connections.allSatisfy { $0.state == .streaming } }
        let simulator = try #require(host.simulator)
        let connections = plan.connections.count
        try await waitUntil("the simulator recorded every initial subscription") {
            Set(simulator.recordedActions.filter { $0.action == "subscribe" }.map(\.connectionID)).count == connections
        }
        return Running(directory: directory, configPath: configPath, socket: socket, host: host, engine: engine, simulator: simulator, task: task)
    }

    /// What a reader of every trade and quote saw: sequence gaps by symbol and the `gap` statuses.
    final class Observations: Sendable {
        struct State {
            var decoder: FrameDecoder
            var symbols: SymbolTable
            var gapsBySymbol: [String: Int] = [:]
            var eventsBySymbol: [String: Int] = [:]
            var gapStatuses: [(connection: String, symbols: [String])] = []
        }
        let state: Mutex<State>

        init() {
            let symbols = SymbolTable()
            state = Mutex(State(decoder: FrameDecoder(market: .stocks, symbols: symbols), symbols: symbols))
        }
    }

    /// Reads `T.*,Q.*` until cancelled. With `perLine` false only sequence gaps are observed (the
    /// reader's fast path, for full-rate runs), not event counts or status lines.
    func read(_ socket: String, into observations: Observations, perLine: Bool = true) -> Task<TapClient.Summary, any Error> {
        let onLine: @Sendable (ByteBuffer, EventRecord?, String?) -> Void = { line, record, _ in
            if record != nil {
                observations.state.withLock { state in
                    guard case .success(let decoded?) = line.readableBytesView.withUnsafeBytes({ state.decoder.decodeEvent($0) }) else { return }
                    state.eventsBySymbol[state.symbols.name(decoded.symbol), default: 0] += 1
                }
                return
            }
            let bytes = Data(line.readableBytesView)
            guard
                let object = try? JSONSerialization.jsonObject(with: bytes),
                let status = ((object as? [[String: Any]])?.first ?? object as? [String: Any]),
                status["status"] as? String == "gap"
            else { return }
            let connection = status["connection"] as? String ?? "?"
            let symbols = status["symbols"] as? [String] ?? []
            observations.state.withLock { $0.gapStatuses.append((connection, symbols)) }
        }
        let onGap: @Sendable (String) -> Void = { description in
            // "gap T.AAPL: q 5 → 9 (3 missing)"
            let topic = description.dropFirst(4).prefix { $0 != ":" }
            let symbol = String(topic.drop { $0 != "." }.dropFirst())
            observations.state.withLock { $0.gapsBySymbol[symbol, default: 0] += 1 }
        }
        return Task {
            try await TapClient(socketPath: socket, subscribe: "T.*,Q.*").run(for: nil, onLine: perLine ? onLine : nil, onGap: onGap)
        }
    }

    // MARK: - Failover

    static func threeConnections(_ routing: String, symbols: [String], socket: String) -> String {
        """
        feed:
          provider: simulator
          market: stocks
          max_connections: 3
          simulator: { symbols: \(symbols.count), rate: 9000 }
        connections:
          - { name: a, feed: realtime, channels: [T, Q] }
          - { name: b, feed: realtime, channels: [T, Q] }
          - { name: c, feed: realtime, channels: [T, Q] }
        universe:
          symbols: [\(symbols.joined(separator: ", "))]
        routing:
        \(routing)
          failover: true
          failback_after: 1s
        sinks:
          - { type: unix-socket, path: \(socket) }
        """
    }

    @Test func killingOneOfThreeConnectionsMovesItsSymbolsAndOnlyTheyGetGaps() async throws {
        let universe = Array(Self.top100.prefix(12))
        let running = try await run { Self.threeConnections("  strategy: round-robin", symbols: universe, socket: $0) }
        defer { Task { await running.stop() } }
        let dropped = running.engine.routing.symbols(on: 1)
        let kept = Set(universe).subtracting(dropped)
        #expect(dropped.count == 4)
        let droppedID = try #require(running.simulatorConnection(carrying: dropped[0]))

        let observations = Observations()
        let reader = read(running.socket, into: observations)
        try await waitUntil("the reader sees every symbol") { observations.state.withLock { $0.eventsBySymbol.count } == universe.count }

        // b goes down and stays down for 3 s.
        let started = ContinuousClock.now
        running.simulator.faults.refuseConnections(for: .seconds(3))
        running.simulator.faults.dropConnection(id: droppedID)
        try await waitUntil("b's symbols subscribed on a and c", limit: .seconds(10)) {
            let subscribed = Set(
                running.simulator.recordedActions.filter { $0.action == "subscribe" && $0.connectionID != droppedID }
                    .flatMap { $0.params.split(separator: ",").map(String.init) }
            )
            return dropped.allSatisfy { subscribed.contains("T.\($0)") && subscribed.contains("Q.\($0)") }
        }
        let moved = ContinuousClock.now - started
        print("failover: b's \(dropped.count) symbols subscribed on the healthy connections \(moved) after the drop")
        #expect(running.engine.routing.symbols(on: 1).isEmpty)

        // It comes back, stays healthy for failback_after, and gets its symbols back.
        try await waitUntil("failback", limit: .seconds(30)) { running.engine.routing.symbols(on: 1) == dropped }
        try await Task.sleep(for: .seconds(1))
        reader.cancel()
        _ = try await reader.value

        let seen = observations.state.withLock { $0 }
        #expect(!seen.gapStatuses.isEmpty, "consumers are told what may be missing")
        for status in seen.gapStatuses {
            #expect(status.connection == "b", "only the dropped connection announces a gap: \(status)")
            #expect(Set(status.symbols).isSubset(of: Set(dropped)), "a gap names only the dropped connection's symbols: \(status.symbols)")
        }
        #expect(seen.gapStatuses.contains { Set($0.symbols) == Set(dropped) }, "the gap names every symbol b carried")
        let gapped = Set(seen.gapsBySymbol.keys)
        #expect(gapped.isDisjoint(with: kept), "symbols of the healthy connections lose nothing: \(seen.gapsBySymbol)")
        print("failover: sequence gaps by symbol \(seen.gapsBySymbol); dropped \(dropped)")
    }

    @Test func withRedundancyTheRedundantTierHasNoGapWhenOneOfItsConnectionsDies() async throws {
        let universe = Array(Self.top100.prefix(9))
        let redundant = Array(universe.prefix(3))
        let routing = """
              strategy: priority
              options:
                tiers:
                  - { symbols: [\(redundant.joined(separator: ", "))], connections: [a, b], redundancy: 2 }
            """
        let running = try await run { Self.threeConnections(routing, symbols: universe, socket: $0) }
        defer { Task { await running.stop() } }
        for symbol in redundant { #expect(running.engine.routing.connections(for: symbol) == [0, 1], "\(symbol) on a and b") }
        // The redundant symbols are on two sockets; find a's by a symbol only a carries.
        let onlyOnA = try #require(universe.first { running.engine.routing.connections(for: $0) == [0] }, "a carries a symbol of its own")
        let aID = try #require(running.simulatorConnection(carrying: onlyOnA))
        let aOnly = Set(universe.filter { running.engine.routing.connections(for: $0) == [0] })

        let observations = Observations()
        let reader = read(running.socket, into: observations)
        try await waitUntil("the reader sees every symbol") { observations.state.withLock { $0.eventsBySymbol.count } == universe.count }
        let before = observations.state.withLock { state in redundant.map { state.eventsBySymbol[$0] ?? 0 } }

        running.simulator.faults.refuseConnections(for: .seconds(3))
        running.simulator.faults.dropConnection(id: aID)
        do {
            try await waitUntil("a is back and its symbols returned", limit: .seconds(30)) {
                running.engine.stats.connections[0].reconnects.load >= 1 && running.engine.routing.connections(for: redundant[0]) == [0, 1]
            }
        } catch {
            Issue.record("\(error): reconnects \(running.engine.stats.connections[0].reconnects.load), \(redundant[0]) on \(running.engine.routing.connections(for: redundant[0])), state \(running.engine.stats.connections.map(\.state))")
            throw error
        }
        try await Task.sleep(for: .seconds(1))
        reader.cancel()
        _ = try await reader.value

        let seen = observations.state.withLock { $0 }
        let after = redundant.map { seen.eventsBySymbol[$0] ?? 0 }
        #expect(zip(before, after).allSatisfy { $0 < $1 }, "the redundant tier kept streaming: \(before) → \(after)")
        for symbol in redundant {
            #expect(seen.gapsBySymbol[symbol] == nil, "\(symbol): no gap and no duplicate while a was down")
        }
        #expect(Set(seen.gapsBySymbol.keys).isSubset(of: aOnly), "only symbols a carried alone may have a gap: \(seen.gapsBySymbol)")
        print("redundancy: gaps by symbol \(seen.gapsBySymbol); redundant tier \(redundant) events \(after)")
    }

    // MARK: - Reloads under load

    /// Manual assignment: 45 stable symbols, 15 per connection, and a window of 10 churning ones
    /// that slides by two per reload (2 added, 2 removed) and rotates connections (the rest move).
    static func reloadConfig(step: Int, socket: String) -> String {
        let stable = Array(top100.prefix(45))
        let pool = Array(top100.dropFirst(45))
        let window = (0..<10).map { pool[(2 * step + $0) % pool.count] }
        var assign: [[String]] = [Array(stable[0..<15]), Array(stable[15..<30]), Array(stable[30..<45])]
        for (position, symbol) in window.enumerated() { assign[(position + step) % 3].append(symbol) }
        return """
            feed:
              provider: simulator
              market: stocks
              max_connections: 3
              simulator: { symbols: 55, rate: 90000 }
            connections:
              - { name: a, feed: realtime, channels: [T, Q] }
              - { name: b, feed: realtime, channels: [T, Q] }
              - { name: c, feed: realtime, channels: [T, Q] }
            universe:
              symbols: [\((stable + window).joined(separator: ", "))]
            routing:
              strategy: manual
              options:
                assign:
                  a: [\(assign[0].joined(separator: ", "))]
                  b: [\(assign[1].joined(separator: ", "))]
                  c: [\(assign[2].joined(separator: ", "))]
            sinks:
              - { type: unix-socket, path: \(socket) }
            """
    }

    @Test func fiftyReloadsUnderLoadAreDeltasAndUntouchedSymbolsLoseNothing() async throws {
        let running = try await run { Self.reloadConfig(step: 0, socket: $0) }
        defer { Task { await running.stop() } }
        let stable = Set(Self.top100.prefix(45))
        let observations = Observations()
        let reader = read(running.socket, into: observations, perLine: false)
        try await waitUntil("the reader is connected") { (running.engine.stats.sink(named: "unix-socket")?.clients.load ?? 0) == 1 }
        try await Task.sleep(for: .milliseconds(500))
        let initialActions = running.simulator.recordedActions.count
        let accepted = running.simulator.connectionsAccepted
        let startEvents = running.engine.stats.totalEvents
        let started = ContinuousClock.now

        for step in 1...50 {
            try running.write(Self.reloadConfig(step: step, socket: running.socket))
            let result = await running.host.reload(file: running.configPath, environment: [:], registry: .builtin)
            guard case .applied(let generation, let diff) = result else {
                Issue.record("reload \(step) not applied: \(result)")
                return
            }
            #expect(generation == UInt64(step + 1))
            #expect(diff.addedConnections.isEmpty && diff.removedConnections.isEmpty && diff.restartedConnections.isEmpty)
            try await Task.sleep(for: .milliseconds(100))
        }
        let elapsed = ContinuousClock.now - started
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let rate = Double(running.engine.stats.totalEvents - startEvents) / seconds
        try await Task.sleep(for: .seconds(1))
        reader.cancel()
        let summary = try await reader.value
        let sink = try #require(running.engine.stats.sink(named: "unix-socket"))
        let dropped = sink.dropped.snapshot.filter { $0.count > 0 }
        #expect(dropped.isEmpty, "the reader kept up, so nothing was dropped for it: \(dropped)")
        #expect(summary.events > 0)

        print("reloads: 50 in \(String(format: "%.1f", seconds)) s while the router received \(Int(rate)) events/s; the reader got \(summary.events) events, \(summary.gaps) gaps")
        #expect(rate >= 50_000, "the reloads ran under at least 50,000 events/s (\(Int(rate)))")
        let seen = observations.state.withLock { $0 }
        let stableGaps = seen.gapsBySymbol.filter { stable.contains($0.key) }
        #expect(stableGaps.isEmpty, "symbols no reload touched lose nothing: \(stableGaps)")

        // The simulator saw deltas on the three live sockets only: no new connection, no auth.
        let later = running.simulator.recordedActions.dropFirst(initialActions)
        #expect(running.simulator.connectionsAccepted == accepted, "no reconnect")
        #expect(running.engine.stats.connections.allSatisfy { $0.reconnects.load == 0 })
        #expect(later.allSatisfy { $0.action == "subscribe" || $0.action == "unsubscribe" }, "only deltas: \(Set(later.map(\.action)))")
        #expect(later.contains { $0.action == "unsubscribe" })

        // Replaying every recorded action per connection gives exactly the last config's assignment.
        var carried: [Int: Set<String>] = [:]
        for action in running.simulator.recordedActions where action.action == "subscribe" || action.action == "unsubscribe" {
            let topics = action.params.split(separator: ",").map(String.init)
            if action.action == "subscribe" { carried[action.connectionID, default: []].formUnion(topics) } else { carried[action.connectionID, default: []].subtract(topics) }
        }
        let routing = running.engine.routing
        var expected: [Set<String>] = []
        for connection in 0..<3 {
            expected.append(Set(routing.symbols(on: connection).flatMap { ["T.\($0)", "Q.\($0)"] }))
        }
        #expect(Set(carried.values) == Set(expected), "the simulator's subscriptions equal the final plan")
    }

    // MARK: - Load-balanced rebalance

    @Test func aSkewedRatesFileIsCorrectedByOneRebalanceAndTheNextMovesNothing() async throws {
        let universe = Array(Self.top100.prefix(30))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tr-lb-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        // The simulator's heaviest names are the first of the universe; the file claims the reverse.
        // The file calls the ten heaviest names the lightest, so packing by it piles them on one connection.
        let skewed = universe.enumerated().map { "\($1): \($0 < 10 ? 1 : 100)" }.joined(separator: "\n")
        try skewed.write(toFile: directory + "/rates.yaml", atomically: true, encoding: .utf8)
        let running = try await run { socket in
            """
            feed:
              provider: simulator
              market: stocks
              max_connections: 3
              simulator: { symbols: 30, rate: 30000 }
            connections:
              - { name: a, feed: realtime, channels: [T, Q] }
              - { name: b, feed: realtime, channels: [T, Q] }
              - { name: c, feed: realtime, channels: [T, Q] }
            universe:
              symbols: [\(universe.joined(separator: ", "))]
            routing:
              strategy: load-balanced
              options: { rates: \(directory)/rates.yaml }
              rebalance: { every: 1h, min_gain: 15% }
            sinks:
              - { type: unix-socket, path: \(socket) }
            """
        }
        defer { Task { await running.stop() } }
        let engine = running.engine

        /// Events per connection over `window`, from the connections' own counters.
        func measuredLoad(over window: Duration = .seconds(3)) async throws -> [Double] {
            let before = engine.stats.connections.map { $0.events.load }
            try await Task.sleep(for: window)
            return zip(before, engine.stats.connections.map { $0.events.load }).map { Double($1 - $0) }
        }
        func spread(_ load: [Double]) -> Double {
            let mean = load.reduce(0, +) / Double(load.count)
            return load.map { abs($0 - mean) / mean }.max() ?? 0
        }

        try await waitUntil("measured rates for every symbol") { engine.measuredRates.count == universe.count }
        try await Task.sleep(for: .seconds(1))
        let skewedLoad = try await measuredLoad()
        let first = await engine.rebalance()
        #expect(first.applied && first.moved > 0, "the skewed start is corrected (gain \(first.gain))")
        // Let the moves settle and the rate meters see a full second of the new routing.
        try await Task.sleep(for: .seconds(3))
        let balancedLoad = try await measuredLoad()
        let second = await engine.rebalance()
        print(
            "rebalance: load per connection \(skewedLoad.map(Int.init)) (spread \(Int(spread(skewedLoad) * 100))%) → "
                + "\(balancedLoad.map(Int.init)) (spread \(String(format: "%.1f", spread(balancedLoad) * 100))%) after moving \(first.moved); "
                + "next rebalance gain \(String(format: "%.1f", second.gain * 100))%, moved \(second.moved)"
        )
        #expect(spread(skewedLoad) > 0.10, "the rates file really is skewed against the measured load")
        #expect(spread(balancedLoad) <= 0.10, "after one rebalance the measured load is within 10%: \(balancedLoad)")
        #expect(!second.applied && second.moved == 0, "the next rebalance moves nothing (gain \(second.gain))")
        #expect(engine.stats.connections.allSatisfy { $0.reconnects.load == 0 })
    }
}
