import Logging
import Synchronization
public import TickRouterConfig

extension Engine {
    /// Watches connection health and moves a failed connection's symbols to the healthy
    /// connections of its group (and back after it has been healthy for `failback_after`).
    func superviseFailover() async {
        while !Task.isCancelled {
            let (enabled, names) = state.withLock { ($0.plan.configuration.routing.failover, $0.plan.connections.map(\.name)) }
            if enabled {
                let figures = names.map { stats.connection(named: $0) }
                let streaming = figures.map { $0?.state == .streaming }
                let started = figures.map { ($0?.sessions.load ?? 0) > 0 }
                if let excluded = state.withLock({ $0.failover.observe(streaming: streaming, hasStreamed: started, now: .now) }) {
                    await reroute(excluded: excluded)
                }
            }
            try? await Task.sleep(for: .milliseconds(100))
        }
    }

    /// Routes the plan's universe around the excluded connections and applies the moves.
    func reroute(excluded: Set<Int>) async {
        let (plan, before) = state.withLock { ($0.plan, $0.assigned) }
        let table = EnginePlanner.route(plan.configuration, strategy: plan.routingStrategy, excluded: excluded, previous: plan.routing)
        state.withLock { $0.effectiveRouting = table }
        mergeGate.setRedundant(redundantSymbols(table, plan: plan))
        var target: [String: [String]] = [:]
        for connection in plan.connections { target[connection.name] = table.symbols(on: connection.index) }
        for index in excluded.sorted() where index < plan.connections.count {
            let lost = plan.connections[index]
            let symbols = before[lost.name] ?? []
            let movedTo = Set(symbols.flatMap { table.connections(for: $0) })
                .subtracting(excluded).filter { plan.connections[$0].channels == lost.channels }.sorted().map { plan.connections[$0].name }
            let message = "connection \(lost.name) is down: \(lost.channels.map(\.code).joined(separator: ",")) of its \(symbols.count) symbols may have missed data"
                + (movedTo.isEmpty ? "; no healthy connection can take them" : "; moved to \(movedTo.joined(separator: ","))")
            fanout.publishStatus(StatusLine.gap(GapNotice(connection: lost.name, channels: lost.channels, symbols: symbols, message: message)))
            logger.warning("failover: \(message)")
        }
        let moved = await move(to: target, plan: plan)
        logger.info("routing: \(excluded.isEmpty ? "all connections in service" : "excluded \(excluded.sorted().map { plan.connections[$0].name })"), \(moved) symbol(s) moved")
    }

    /// Brings every connection's subscriptions to `target`, make before break: connections that
    /// gain symbols subscribe first, duplicates in the overlap are merged by sequence, and only
    /// then do the others let go. Returns how many symbols changed connection.
    ///
    /// Returns once the deltas are sent; the overlap's merge ends on its own a little later, so a
    /// burst of reloads or a failover during a rebalance never waits on an earlier overlap.
    @discardableResult
    func move(to target: [String: [String]], plan: EnginePlan) async -> Int {
        let (before, connections, excluded) = state.withLock { ($0.assigned, $0.connections, $0.failover.excluded) }
        let carriedBefore = Set(before.values.joined())
        // Connections that still deliver what they carried: a symbol they keep streaming while
        // another connection joins it makes that one a joiner (see MergeGate).
        let liveBefore = plan.connections.filter { !excluded.contains($0.index) }.map { Set(before[$0.name] ?? []) }
        var gaining: [String: [String]] = [:]
        var moving = Set<String>()
        var joiners: [(SymbolID, ConnectionIndex)] = []
        for connection in plan.connections {
            guard let wanted = target[connection.name] else { continue }
            let had = Set(before[connection.name] ?? [])
            let added = wanted.filter { !had.contains($0) }
            guard !added.isEmpty else { continue }
            gaining[connection.name] = (before[connection.name] ?? []) + added
            // Only a symbol another connection already carries can arrive twice; a new one cannot.
            let overlapping = added.filter(carriedBefore.contains)
            moving.formUnion(overlapping)
            for symbol in overlapping where liveBefore.contains(where: { $0.contains(symbol) }) {
                joiners.append((symbols.intern(symbol), ConnectionIndex(connection.index)))
            }
        }
        let overlap = Set(moving.map(symbols.intern))
        mergeGate.begin(overlap, joiners: joiners)
        var acknowledged: [(stats: ConnectionStats, until: Int)] = []
        for (name, union) in gaining {
            guard let running = connections[name] else { continue }
            let acks = stats.connection(named: name).map { ($0, $0.subscribeAcks.load) }
            let (added, _) = await running.connection.update(symbols: union, channels: running.plan.channels)
            if let (figures, start) = acks, added > 0 { acknowledged.append((figures, start + added)) }
        }
        // Make before break: the provider acknowledges each topic before its first event, so once
        // the joiners have their acks the old connections can let go without a hole in between.
        let deadline = ContinuousClock.now + .seconds(1)
        while !joiners.isEmpty, acknowledged.contains(where: { $0.stats.subscribeAcks.load < $0.until }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        for (name, symbols) in target {
            guard let running = connections[name] else { continue }
            await running.connection.update(symbols: symbols, channels: running.plan.channels)
        }
        state.withLock { $0.assigned = target }
        if !overlap.isEmpty {
            // Let in-flight copies of the overlap drain through the gate before it opens.
            let mergeGate = self.mergeGate
            Task {
                try? await Task.sleep(for: Self.overlapDrain)
                mergeGate.end(overlap, joiners: joiners)
            }
        }
        return moving.count
    }

    /// How long a move's overlap stays merged after the old connection was told to let go: the
    /// provider may still send what was in flight.
    static var overlapDrain: Duration { .seconds(2) }

    /// Applies a new plan as a diff: sinks and connections that did not change keep running and
    /// lose nothing; symbol and channel changes become subscription deltas on live sockets.
    /// Returns what changed; the generation is bumped even for an empty diff.
    @discardableResult
    public func reload(_ new: EnginePlan) async throws -> PlanDiff {
        let old = plan
        let diff = PlanDiff(from: old, to: new)
        let memberStats = stats.setMembers(connections: new.connections.map(\.name), sinks: new.sinks.map(\.name))

        // Sinks first, so new destinations exist before any new data flows.
        var stoppedSinks: [RunningSink] = []
        for (index, sinkPlan) in new.sinks.enumerated() {
            let existing = state.withLock { $0.sinks[sinkPlan.name] }
            if let existing, existing.plan.fingerprint == sinkPlan.fingerprint { continue }
            var running = try makeSink(sinkPlan, stats: memberStats.sinks[index], plan: new)
            let started = state.withLock { $0.started }
            if started { start(&running) }
            state.withLock { $0.sinks[sinkPlan.name] = running }
            if let existing { stoppedSinks.append(existing) }
        }
        let removedSinkNames = Set(old.sinks.map(\.name)).subtracting(new.sinks.map(\.name))
        state.withLock { state in
            for name in removedSinkNames { if let sink = state.sinks.removeValue(forKey: name) { stoppedSinks.append(sink) } }
        }
        let inlets = state.withLock { state in new.sinks.compactMap { state.sinks[$0.name]?.inlet } }
        fanout.setInlets(inlets)
        // A stopped sink drains what it accepted, bounded like a shutdown: a sink held up by its
        // destination (a socket client that stopped reading) must not hold up the reload.
        for sink in stoppedSinks { sink.inlet.close() }
        let drainLimit = new.configuration.shutdown.timeout
        for sink in stoppedSinks {
            if await !finishes(by: .now + drainLimit, { await sink.task?.value }) {
                logger.warning("sink \(sink.plan.name): still draining after \(drainLimit) (shutdown.timeout); stopped")
                sink.task?.cancel()
            }
        }

        policies.set(new.policies)
        shaping.configure(new.policies)

        // Connections: open new ones, reconnect changed ones, close removed ones.
        let restart = Set(diff.restartedConnections + diff.addedConnections)
        var closing: [RunningConnection] = []
        for connection in new.connections where restart.contains(connection.name) {
            var running = makeConnection(connection, stats: memberStats.connections[connection.index], plan: new)
            if state.withLock({ $0.started }) { start(&running) }
            let previous = state.withLock { state in
                let previous = state.connections[connection.name]
                state.connections[connection.name] = running
                state.assigned[connection.name] = connection.symbols
                return previous
            }
            if let previous { closing.append(previous) }
        }
        state.withLock { state in
            for name in diff.removedConnections {
                if let running = state.connections.removeValue(forKey: name) { closing.append(running) }
                state.assigned[name] = nil
            }
            // Channel changes on kept connections take effect through their plan.
            for connection in new.connections where !restart.contains(connection.name) {
                state.connections[connection.name]?.plan = connection
            }
            state.plan = new
            state.effectiveRouting = new.routing
            state.failover = FailoverStateMachine(returnAfter: new.failbackAfter)
        }
        for running in closing {
            if await !running.connection.unsubscribeAndClose() { running.task?.cancel() }
        }

        mergeGate.setRedundant(redundantSymbols(new.routing, plan: new))
        var target: [String: [String]] = [:]
        for connection in new.connections where !restart.contains(connection.name) { target[connection.name] = connection.symbols }
        await move(to: target, plan: new)

        stats.generation.add(1)
        logger.info("reload generation \(stats.generation.load): \(diff.summary)")
        return diff
    }
}
