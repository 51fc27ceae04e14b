import Foundation
import Testing
import TickRouterConfig

/// Loads every invalid fixture and checks its first error against `EXPECTED.txt`.
@Suite struct FixtureTests {
    static let fixtures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .appendingPathComponent("../TickRouterTests/Fixtures")
        .standardizedFileURL

    static let plugins = PluginNames(
        strategies: ["manual", "round-robin", "load-balanced", "priority", "sector"],
        sinks: ["stdout", "unix-socket", "file", "websocket", "nats"]
    )

    struct Expectation: Sendable, CustomStringConvertible {
        var file: String
        var line: Int
        var column: Int
        var keyPath: String
        var description: String { file }
    }

    static func expectations() -> [Expectation] {
        let url = fixtures.appendingPathComponent("invalid/EXPECTED.txt")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ", maxSplits: 3)
            guard fields.count == 4, let row = Int(fields[1]), let column = Int(fields[2]) else { return nil }
            return Expectation(file: String(fields[0]), line: row, column: column, keyPath: String(fields[3]))
        }
    }

    static func isPluginFixture(_ path: String) -> Bool {
        (try? String(contentsOfFile: path, encoding: .utf8))?.hasPrefix("# plugin") ?? false
    }

    @Test func everyFixtureHasAnExpectation() throws {
        let directory = Self.fixtures.appendingPathComponent("invalid").path
        let files = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".yaml") }
        let expected = Set(Self.expectations().map(\.file))
        #expect(files.count >= 34)
        #expect(Set(files) == expected)
    }

    @Test(arguments: expectations())
    func firstErrorMatches(_ expectation: Expectation) throws {
        let path = Self.fixtures.appendingPathComponent("invalid/\(expectation.file)").path
        guard !Self.isPluginFixture(path) else { return }
        let loader = ConfigurationLoader(environment: [:], plugins: Self.plugins)
        do {
            _ = try loader.load(file: path)
            Issue.record("\(expectation.file) loaded without errors")
        } catch {
            let first = try #require(error.errors.first)
            let actual = "\(first.location.line) \(first.location.column) \(first.keyPath)"
            #expect(
                actual == "\(expectation.line) \(expectation.column) \(expectation.keyPath)",
                "\(expectation.file):\n\(error.description)"
            )
            #expect(first.location.file == path)
        }
    }

    @Test func validFullFixtureLoadsWithoutDiagnostics() throws {
        let path = Self.fixtures.appendingPathComponent("valid/full.yaml").path
        let loader = ConfigurationLoader(environment: ["MASSIVE_API_KEY": "k-123"], plugins: Self.plugins)
        let (config, context) = try loader.load(file: path)
        #expect(context.diagnostics.all.isEmpty, "\(context.diagnostics.all.map(\.description))")
        #expect(config.feed.apiKey?.value == "k-123")
        #expect(config.connections.count == 3)
    }

    @Test func defaultConfigLoadsWithZeroDiagnostics() throws {
        let root = Self.fixtures.appendingPathComponent("../../..").standardizedFileURL
        let path = root.appendingPathComponent("config/tickrouter.yaml").path
        let loader = ConfigurationLoader(environment: [:], plugins: Self.plugins)
        let (config, context) = try loader.load(file: path)
        #expect(context.diagnostics.all.isEmpty, "\(context.diagnostics.all.map(\.description))")
        #expect(config.connections.map(\.name) == ["primary", "secondary", "fmv"])
        #expect(config.universe.count >= 95)
        #expect(config.universe.contains("BRK.B"))
        #expect(config.processors.count == 7)
        #expect(config.feed.simulator.symbols == 100)
    }
}
