import ArgumentParser
import Foundation
import TickRouter
import TickRouterConfig

/// `tickrouter plan`: prints the resolved graph, deterministically, secrets redacted.
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print the resolved graph: connections (endpoint, channels, symbols), processors and sinks."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, json }

    @Argument(help: "Config file.")
    var path: String = "config/tickrouter.yaml"

    @Option(help: "Output format: text or json.")
    var format: Format = .text

    @Option(help: "Print what changes from this (running) config to PATH, marking steps that could drop data.")
    var against: String?

    func run() async throws {
        let planner = EnginePlanner(registry: TickRouterCommand.registry)
        let plan: EnginePlan
        do {
            plan = try planner.plan(file: path, environment: ProcessInfo.processInfo.environment)
        } catch {
            printError(error.description)
            throw ExitCode(1)
        }
        for warning in plan.warnings { printError(warning.description) }
        if let against {
            let old: EnginePlan
            do {
                old = try planner.plan(file: against, environment: ProcessInfo.processInfo.environment)
            } catch {
                printError(error.description)
                throw ExitCode(1)
            }
            let replanned = (try? planner.plan(file: path, environment: ProcessInfo.processInfo.environment, previous: old.routing)) ?? plan
            let diff = PlanDiff(from: old, to: replanned)
            print("changes from \(against) to \(path): \(diff.summary)")
            for step in diff.steps { print(step.description) }
            if diff.steps.contains(where: { $0.risk != nil }) { print("steps marked ! may drop data") }
            return
        }
        switch format {
        case .text: print(PlanRenderer.text(plan), terminator: "")
        case .json: print(PlanRenderer.json(plan))
        }
    }
}

/// Renders an ``EnginePlan`` for people (text) and programs (JSON). Never includes a secret.
public enum PlanRenderer {
    public static func text(_ plan: EnginePlan) -> String {
        let configuration = plan.configuration
        let feed = configuration.feed
        var out = "feed: \(feed.provider.rawValue) \(feed.market.rawValue)"
        out += feed.apiKey == nil ? "" : ", api key <redacted>"
        let counted = plan.connections.filter { $0.feed == .realtime || $0.feed == .delayed }.count
        out += "; budget \(counted)/\(feed.maxConnections) realtime+delayed connections"
        out += plan.connections.count > counted ? " (+\(plan.connections.count - counted) business/launchpad, not counted)\n" : "\n"
        out += "connections:\n"
        let nameWidth = plan.connections.map(\.name.count).max() ?? 0
        for connection in plan.connections {
            let padded = connection.name.padding(toLength: nameWidth, withPad: " ", startingAt: 0)
            out += "  \(padded)  \(connection.feed.rawValue)  \(connection.endpoint.display)  channels \(connection.channels.map(\.code).joined(separator: ","))\n"
            out += "  \(String(repeating: " ", count: nameWidth))  \(connection.symbols.count) symbols: \(preview(connection.symbols))\n"
        }
        out += "routing: \(plan.strategy)\(configuration.routing.failover ? ", failover on" : "")\n"
        out += "processors:\n"
        for channel in plan.policies.keys.sorted() {
            let policy = plan.policies[channel]!
            out += "  \(channel.code.padding(toLength: 5, withPad: " ", startingAt: 0)) buffer \(policy.buffer), overflow \(policy.overflow.rawValue)\(policy.dedup ? ", dedup" : "")\n"
        }
        out += "sinks:\n"
        for sink in plan.sinks {
            let filter = (sink.channels.map { "channels " + $0.map(\.code).joined(separator: ",") } ?? "all channels")
                + (sink.symbols.map { ", symbols " + preview($0) } ?? "")
            out += "  \(sink.name) (\(sink.type)): \(filter)\n"
            for (key, value) in sink.spec.planDetails { out += "    \(key): \(value)\n" }
        }
        return out
    }

    public static func json(_ plan: EnginePlan) -> String {
        let configuration = plan.configuration
        let document: [String: Any] = [
            "feed": [
                "provider": configuration.feed.provider.rawValue, "market": configuration.feed.market.rawValue,
                "max_connections": configuration.feed.maxConnections, "api_key": configuration.feed.apiKey == nil ? NSNull() : "<redacted>",
                "budget_used": plan.connections.filter { $0.feed == .realtime || $0.feed == .delayed }.count,
            ] as [String: Any],
            "connections": plan.connections.map { connection in
                [
                    "name": connection.name, "feed": connection.feed.rawValue, "endpoint": connection.endpoint.display,
                    "channels": connection.channels.map(\.code), "symbols": connection.symbols,
                ] as [String: Any]
            },
            "routing": ["strategy": plan.strategy, "failover": configuration.routing.failover] as [String: Any],
            "processors": Dictionary(uniqueKeysWithValues: plan.policies.map { channel, policy in
                (channel.code, ["buffer": policy.buffer, "overflow": policy.overflow.rawValue, "dedup": policy.dedup] as [String: Any])
            }),
            "sinks": plan.sinks.map { sink in
                [
                    "name": sink.name, "type": sink.type, "channels": sink.channels?.map(\.code) ?? NSNull(),
                    "symbols": sink.symbols ?? NSNull(),
                    "options": Dictionary(uniqueKeysWithValues: sink.spec.planDetails.map { ($0.key, $0.value) }),
                ] as [String: Any]
            },
        ]
        let data = (try? JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }

    private static func preview(_ symbols: [String]) -> String {
        symbols.prefix(8).joined(separator: ", ") + (symbols.count > 8 ? ", … (+\(symbols.count - 8))" : "")
    }
}
