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
        #endif
        registry.register(WebSocketSink.plugin)
        registry.register(FileSink.plugin)
        return registry
    }
}
