import TickRouter

extension PluginRegistry {
    /// Every strategy and sink that ships with TickRouter.
    public static var builtin: PluginRegistry {
        var registry = PluginRegistry()
        registry.register(ManualStrategy.plugin)
        registry.register(RoundRobinStrategy.plugin)
        registry.register(LoadBalancedStrategy.plugin)
        registry.register(PriorityStrategy.plugin)
        registry.register(SectorStrategy.plugin)
        registry.register(StdoutSink.plugin)
        registry.register(UnixSocketSink.plugin)
        #if NATS
        registry.register(NATSSink.plugin)
        #else
        registry.registerUnavailableSink(
            "nats", hint: "this build has no nats sink: build with `swift build --traits NATS`, which needs libnats-dev; see docs/scale-out.md")
        #endif
        registry.register(WebSocketSink.plugin)
        registry.register(FileSink.plugin)
        return registry
    }
}
