import Testing
import TickRouterConfig

/// The `shutdown` section: default, value with its position, range and unknown-key errors.
@Suite struct ShutdownConfigurationTests {
    let loader = ConfigurationLoader(environment: [:], plugins: PluginNames(strategies: ["round-robin"], sinks: ["stdout"]))

    static let base = """
        feed: { provider: simulator }
        connections:
          - { name: a, channels: [T] }
        universe: [AAPL]
        sinks: [{ type: stdout }]

        """

    @Test func defaultsToFiveSecondsWhenAbsent() throws {
        let (config, context) = try loader.load(yaml: Self.base, file: "s.yaml")
        #expect(config.shutdown.timeout == .seconds(5))
        #expect(config.shutdown.timeoutLocation == nil)
        try context.finish()
    }

    @Test func readsTheTimeoutAndWhereItWasWritten() throws {
        let (config, context) = try loader.load(yaml: Self.base + "shutdown:\n  timeout: 2500ms\n", file: "s.yaml")
        #expect(config.shutdown.timeout == .milliseconds(2500))
        #expect(config.shutdown.timeoutLocation?.line == 7)
        #expect(config.shutdown.timeoutLocation?.column == 12)
        #expect(config.shutdown.location.line == 7)
        try context.finish()
    }

    @Test func refusesAnAbsurdTimeoutWithItsPosition() {
        do {
            _ = try loader.load(yaml: Self.base + "shutdown: { timeout: 1ms }\n", file: "s.yaml")
            Issue.record("loaded")
        } catch {
            #expect(error.errors.map(\.keyPath) == ["shutdown.timeout"])
            #expect(error.description.contains("s.yaml:6:22: error: shutdown.timeout: timeout must be between 100ms and 10m"))
        }
    }

    @Test func reportsUnknownKeysAndBadValues() {
        do {
            _ = try loader.load(yaml: Self.base + "shutdown: { timout: 2s }\n", file: "s.yaml")
            Issue.record("loaded")
        } catch {
            #expect(error.errors.map(\.keyPath) == ["shutdown.timout"])
        }
        do {
            _ = try loader.load(yaml: Self.base + "shutdown: { timeout: soon }\n", file: "s.yaml")
            Issue.record("loaded")
        } catch {
            #expect(error.errors.map(\.keyPath) == ["shutdown.timeout"])
            #expect(error.description.contains("expected a duration"))
        }
    }
}
