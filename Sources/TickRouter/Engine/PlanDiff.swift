public import TickRouterConfig

/// What changes between two plans: what a reload does, and what `plan NEW --against OLD` prints.
public struct PlanDiff: Sendable {
    /// One step, and whether it can lose data.
    public struct Step: Sendable, CustomStringConvertible {
        public var text: String
        /// Why this step may drop data, or nil when it cannot.
        public var risk: String?
        public var description: String { (risk == nil ? "  " : "! ") + text + (risk.map { "   [may drop data: \($0)]" } ?? "") }
    }

    public var addedConnections: [String] = []
    public var removedConnections: [String] = []
    /// Connections whose feed changed: they must reconnect.
    public var restartedConnections: [String] = []
    /// Per kept connection: topics to subscribe and unsubscribe (as symbols and channels).
    public var symbolChanges: [String: (added: [String], removed: [String])] = [:]
    public var channelChanges: [String: (added: [FeedChannel], removed: [FeedChannel])] = [:]
    public var movedSymbols: [String] = []
    public var addedSinks: [String] = []
    public var removedSinks: [String] = []
    public var changedSinks: [String] = []
    public var changedProcessors: [FeedChannel] = []
    /// The routing strategy, when it changed (old, new). Symbols move only as `symbolChanges` say:
    /// a strategy that keeps existing placements (round-robin) may move none.
    public var changedStrategy: (old: String, new: String)?

    public init(from old: EnginePlan, to new: EnginePlan) {
        let oldConnections = Dictionary(uniqueKeysWithValues: old.connections.map { ($0.name, $0) })
        let newConnections = Dictionary(uniqueKeysWithValues: new.connections.map { ($0.name, $0) })
        for connection in new.connections {
            guard let before = oldConnections[connection.name] else {
                addedConnections.append(connection.name)
                continue
            }
            if before.feed != connection.feed || before.endpoint != connection.endpoint {
                restartedConnections.append(connection.name)
                continue
            }
            let beforeSymbols = Set(before.symbols)
            let afterSymbols = Set(connection.symbols)
            let added = connection.symbols.filter { !beforeSymbols.contains($0) }
            let removed = before.symbols.filter { !afterSymbols.contains($0) }
            if !added.isEmpty || !removed.isEmpty { symbolChanges[connection.name] = (added, removed) }
            let addedChannels = connection.channels.filter { !before.channels.contains($0) }
            let removedChannels = before.channels.filter { !connection.channels.contains($0) }
            if !addedChannels.isEmpty || !removedChannels.isEmpty { channelChanges[connection.name] = (addedChannels, removedChannels) }
        }
        removedConnections = old.connections.map(\.name).filter { newConnections[$0] == nil }

        var oldHome: [String: Set<String>] = [:]
        for connection in old.connections { for symbol in connection.symbols { oldHome[symbol, default: []].insert(connection.name) } }
        var newHome: [String: Set<String>] = [:]
        for connection in new.connections { for symbol in connection.symbols { newHome[symbol, default: []].insert(connection.name) } }
        movedSymbols = new.routing.symbols.filter { symbol in
            guard let before = oldHome[symbol], let after = newHome[symbol] else { return false }
            return before != after && !before.isDisjoint(with: Set(oldConnections.keys))
        }

        let oldSinks = Dictionary(uniqueKeysWithValues: old.sinks.map { ($0.name, $0) })
        let newSinks = Dictionary(uniqueKeysWithValues: new.sinks.map { ($0.name, $0) })
        addedSinks = new.sinks.map(\.name).filter { oldSinks[$0] == nil }
        removedSinks = old.sinks.map(\.name).filter { newSinks[$0] == nil }
        changedSinks = new.sinks.compactMap { sink in
            guard let before = oldSinks[sink.name] else { return nil }
            return before.fingerprint == sink.fingerprint ? nil : sink.name
        }
        if old.strategy != new.strategy { changedStrategy = (old.strategy, new.strategy) }
        changedProcessors = Set(old.policies.keys).union(new.policies.keys).sorted().filter { old.policies[$0] != new.policies[$0] }
    }

    public var isEmpty: Bool { steps.isEmpty }

    /// The steps in the order a reload applies them: make before break.
    public var steps: [Step] {
        var steps: [Step] = []
        if let changedStrategy {
            steps.append(Step(text: "routing strategy \(changedStrategy.old) → \(changedStrategy.new) (symbols move only as listed below)"))
        }
        for name in addedSinks { steps.append(Step(text: "add sink \(name)")) }
        for name in addedConnections { steps.append(Step(text: "open connection \(name)")) }
        for (name, change) in symbolChanges.sorted(by: { $0.key < $1.key }) where !change.added.isEmpty {
            steps.append(Step(text: "subscribe \(change.added.count) symbol(s) on \(name): \(Self.preview(change.added))"))
        }
        for (name, change) in channelChanges.sorted(by: { $0.key < $1.key }) where !change.added.isEmpty {
            steps.append(Step(text: "subscribe channel(s) \(change.added.map(\.code).joined(separator: ",")) on \(name)"))
        }
        for channel in changedProcessors { steps.append(Step(text: "update processor \(channel.code)")) }
        for (name, change) in symbolChanges.sorted(by: { $0.key < $1.key }) where !change.removed.isEmpty {
            steps.append(Step(text: "unsubscribe \(change.removed.count) symbol(s) on \(name): \(Self.preview(change.removed))"))
        }
        for (name, change) in channelChanges.sorted(by: { $0.key < $1.key }) where !change.removed.isEmpty {
            steps.append(Step(text: "unsubscribe channel(s) \(change.removed.map(\.code).joined(separator: ",")) on \(name)"))
        }
        if !movedSymbols.isEmpty {
            steps.append(Step(text: "\(movedSymbols.count) symbol(s) move between connections (subscribed on the new one before the old one lets go; duplicates in between are dropped by sequence): \(Self.preview(movedSymbols))"))
        }
        for name in restartedConnections {
            steps.append(Step(text: "reconnect \(name) (its feed or endpoint changed)", risk: "events of its symbols during the reconnect"))
        }
        for name in changedSinks {
            steps.append(Step(text: "restart sink \(name) (its options changed)", risk: "events queued in it when it stops are flushed first; none are lost unless its flush fails"))
        }
        for name in removedConnections {
            steps.append(Step(text: "close connection \(name)", risk: "its symbols that no other connection carries stop"))
        }
        for name in removedSinks {
            steps.append(Step(text: "remove sink \(name)", risk: "its consumers are disconnected"))
        }
        return steps
    }

    /// One line for the log.
    public var summary: String {
        if isEmpty { return "no changes" }
        let added = symbolChanges.values.reduce(0) { $0 + $1.added.count }
        let removed = symbolChanges.values.reduce(0) { $0 + $1.removed.count }
        var parts = ["+\(added)/-\(removed) symbol subscriptions", "\(movedSymbols.count) moved"]
        if let changedStrategy { parts.insert("strategy \(changedStrategy.old) → \(changedStrategy.new)", at: 0) }
        if !addedConnections.isEmpty || !removedConnections.isEmpty || !restartedConnections.isEmpty {
            parts.append("connections +\(addedConnections.count)/-\(removedConnections.count)/~\(restartedConnections.count)")
        }
        if !addedSinks.isEmpty || !removedSinks.isEmpty || !changedSinks.isEmpty {
            parts.append("sinks +\(addedSinks.count)/-\(removedSinks.count)/~\(changedSinks.count)")
        }
        if !changedProcessors.isEmpty { parts.append("processors ~" + changedProcessors.map(\.code).joined(separator: ",")) }
        return parts.joined(separator: ", ")
    }

    private static func preview(_ symbols: [String]) -> String {
        symbols.prefix(6).joined(separator: ", ") + (symbols.count > 6 ? ", … (+\(symbols.count - 6))" : "")
    }
}
