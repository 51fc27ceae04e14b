/// Checks that span sections: the connection budget, shared paths and ports, lossless sinks.
struct CrossValidation {
    let root: OptionsReader
    let context: OptionsContext

    /// More realtime and delayed connections than `feed.max_connections`: an error at the first one
    /// beyond the budget. The market's realtime and delayed hosts share the account's budget
    /// (provider-protocol.md §2.3); business and launchpad connections are separate products and
    /// are not counted.
    func checkBudget(connections: [ConnectionConfiguration], items: [ConfigNode], budget: Int) {
        guard budget >= 1 else { return }
        let counted = connections.indices.filter { connections[$0].feed == .realtime || connections[$0].feed == .delayed }
        guard counted.count > budget, counted[budget] < items.count else { return }
        context.diagnostics.error(
            "\(counted.count) realtime/delayed connections exceed the account budget feed.max_connections = \(budget)",
            at: items[counted[budget]],
            hint: "raise max_connections if your plan includes more connections, or remove a connection"
        )
    }

    /// Two sinks with the same `path`, or two listeners (sinks and `admin.listen`) on one port.
    func checkSharedResources(sinks: [SinkConfiguration], admin: ConfigNode?) {
        var paths: [String: String] = [:]
        var ports: [Int: String] = [:]
        for sink in sinks {
            if let node = sink.options.value(forKey: "path"), node.isScalar, !node.isNull,
               let path = quietScalar(node) {
                let key = context.resolvePath(path)
                if let first = paths[key] {
                    context.diagnostics.error("duplicate sink path '\(ConfigNode.clip(path))'", at: node,
                                              hint: "already used by \(first); two sinks cannot share a path")
                } else {
                    paths[key] = node.keyPath
                }
            }
            if let node = sink.options.value(forKey: "listen"), node.isScalar, !node.isNull,
               let listen = quietScalar(node), let port = ListenAddress.port(of: listen) {
                claim(port, node, &ports)
            }
        }
        if let admin, let node = admin.value(forKey: "listen"), let listen = quietScalar(node),
           let port = ListenAddress.port(of: listen) {
            claim(port, node, &ports)
        } else if admin != nil, admin?.value(forKey: "listen") == nil, let admin {
            let implicit = ConfigNode(admin.yaml, file: admin.file, keyPath: admin.path(forKey: "listen"))
            claim(9464, implicit, &ports)
        }
    }

    private func claim(_ port: Int, _ node: ConfigNode, _ ports: inout [Int: String]) {
        if let first = ports[port] {
            context.diagnostics.error("port \(port) is already used by \(first)", at: node, hint: "give each listener its own port")
        } else {
            ports[port] = node.keyPath
        }
    }

    /// Interpolates a scalar without reporting (the plugin reports problems when it reads it).
    private func quietScalar(_ node: ConfigNode) -> String? {
        guard let raw = node.scalarString else { return nil }
        let (value, problems) = Interpolation.apply(raw, environment: context.environment)
        return problems.isEmpty ? value.text : nil
    }

    /// A lossless sink (`lossless: true`, or a `file` sink) behind processors that drop: a warning.
    func checkLossless(sinks: [SinkConfiguration], processors: [FeedChannel: ProcessorConfiguration]) {
        for sink in sinks {
            let lossless = sink.type == "file"
                || sink.options.value(forKey: "lossless").flatMap(quietScalar).flatMap(ScalarParsing.bool) == true
            guard lossless else { continue }
            let received = (sink.channels ?? Array(processors.keys)).sorted()
            let dropping = received.filter { processors[$0]?.overflow.drops == true }
            guard !dropping.isEmpty else { continue }
            let codes = dropping.map(\.code).joined(separator: ", ")
            let node = ConfigNode(sink.options.yaml, file: sink.options.file, keyPath: sink.options.keyPath)
            context.diagnostics.warning(
                "lossless sink '\(sink.name)' receives \(codes), whose processor\(dropping.count > 1 ? "s drop" : " drops") on overflow",
                at: node,
                hint: "set overflow: block on " + dropping.map { "processors.\($0.code)" }.joined(separator: ", ") + ", or accept the loss"
            )
        }
    }
}
