import Foundation
import Testing
import TickRouterConfig

/// Loader behaviour beyond the fixtures: resolved values, warnings, plugin hand-off, robustness.
@Suite struct ConfigurationLoaderTests {
    let loader = ConfigurationLoader(
        environment: ["MASSIVE_API_KEY": "k-abc"],
        plugins: PluginNames(strategies: ["manual", "round-robin"], sinks: ["stdout", "unix-socket", "file"])
    )

    static let minimal = """
        feed: { provider: simulator, max_connections: 2 }
        connections:
          - { name: a, channels: [T, Q] }
          - { name: b, feed: business, channels: [FMV] }
        universe: [AAPL, MSFT, AAPL]
        sinks:
          - { type: stdout, format: summary }
          - { type: file, path: out.ndjson, channels: [T] }
        """

    @Test func resolvesDefaultsAndFillsProcessors() throws {
        let (config, context) = try loader.load(yaml: Self.minimal, file: "/tmp/x/min.yaml")
        #expect(config.universe == ["AAPL", "MSFT"])
        #expect(config.feed.market == .stocks)
        #expect(config.feed.frameLimit == 16 << 20)
        #expect(config.feed.reconnect.initial == .milliseconds(500))
        #expect(config.routing.strategy == "round-robin")
        #expect(config.routing.failover)
        #expect(Set(config.processors.keys) == [.T, .Q, .FMV])
        #expect(config.processors[.T]?.buffer == 1000)
        #expect(config.sinks.map(\.name) == ["stdout", "file"])
        #expect(context.baseDirectory == "/tmp/x")
        // The file sink sits behind a dropping T processor: one warning, no error.
        #expect(context.diagnostics.warnings.count == 1)
        #expect(context.diagnostics.warnings.first?.message == "lossless sink 'file' receives T, whose processor drops on overflow")
        try context.finish()
    }

    @Test func pluginReadersAcceptTheCommonSinkKeys() throws {
        let (config, context) = try loader.load(yaml: Self.minimal, file: "min.yaml")
        let reader = context.reader(for: config.sinks[0].options)
        #expect(reader.string("format") == "summary")
        reader.finish()
        #expect(!context.diagnostics.hasErrors)
        let file = context.reader(for: config.sinks[1].options)
        file.finish()  // `path` was not read by the plugin: unknown
        #expect(context.diagnostics.errors.map(\.keyPath) == ["sinks[1].path"])
        #expect(throws: ConfigError.self) { try context.finish() }
    }

    @Test func aNatsSinkInABuildWithoutItSaysHowToGetIt() {
        let loader = ConfigurationLoader(
            plugins: PluginNames(
                sinks: ["stdout"],
                unavailableSinks: ["nats": "this build has no nats sink: build with `swift build --traits NATS`, which needs libnats-dev; see docs/scale-out.md"]
            )
        )
        let yaml = """
            feed: { provider: simulator, max_connections: 1 }
            connections: [{ name: a, channels: [T] }]
            universe: [AAPL]
            sinks: [{ type: nats, servers: ["nats://127.0.0.1:4222"] }]
            """
        do {
            _ = try loader.load(yaml: yaml, file: "n.yaml")
            Issue.record("loaded")
        } catch {
            #expect(error.errors.map(\.keyPath) == ["sinks[0].type"])
            #expect(error.description.contains("n.yaml:4:17: error: sinks[0].type: unknown sink type 'nats' (this build has no nats sink: build with `swift build --traits NATS`"), "\(error)")
        }
    }

    @Test func collectsAllErrorsNotJustTheFirst() {
        let yaml = """
            feed: { provider: massive, market: stonks }
            connections: []
            universe: []
            sinks: [{ type: stdot }]
            """
        do {
            _ = try loader.load(yaml: yaml, file: "bad.yaml")
            Issue.record("loaded")
        } catch {
            #expect(error.errors.map(\.keyPath) == ["feed.market", "feed.api_key", "connections", "universe", "sinks[0].type"])
            #expect(error.description.contains("bad.yaml:1:36: error: feed.market: unknown value 'stonks'"))
        }
    }

    @Test func universeFileErrorsCarryTheirOwnFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tr-cfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "symbols: [AAPL, \"BAD SYMBOL\"]\nextra: 1\n".write(to: directory.appendingPathComponent("u.yaml"), atomically: true, encoding: .utf8)
        let yaml = Self.minimal.replacingOccurrences(of: "universe: [AAPL, MSFT, AAPL]", with: "universe: { files: [u.yaml] }")
        let config = directory.appendingPathComponent("c.yaml")
        try yaml.write(to: config, atomically: true, encoding: .utf8)
        do {
            _ = try loader.load(file: config.path)
            Issue.record("loaded")
        } catch {
            let first = try #require(error.errors.first)
            #expect(first.location.file.hasSuffix("u.yaml"))
            #expect(first.location.line == 1 && first.location.column == 17)
            #expect(error.errors.count == 2)
        }
    }

    @Test func neverCrashesOnOddInput() {
        let inputs = [
            "", "~", "42", "[1, 2]", "feed: 3", "feed: {provider: [x]}", "connections: {a: 1}",
            "connections: [1, [2], {name: {x: 1}}]", "universe: {files: [{a: 1}], named: [1]}",
            "processors: {T: 5, 7: {}}", "sinks: [[], {type: [1]}, {type: stdout, channels: {}}]",
            "a: &x {b: 1}\nc: *x", "? [complex]\n: key", "feed: {max_connections: 99999999999999999999999}",
            "feed: {frame_limit: -1, reconnect: {jitter: nan, initial: 1e400s}}", "\u{FEFF}feed: {}", "a: ${", "a: ${:-x}",
        ]
        for input in inputs {
            #expect(throws: ConfigError.self) { try loader.load(yaml: input, file: "odd.yaml") }
        }
    }
}
