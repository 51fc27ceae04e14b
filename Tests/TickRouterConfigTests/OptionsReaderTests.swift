import Testing
import TickRouterConfig
import Yams

/// Reader behaviour: scalars, units, interpolation, did-you-mean, type errors, positions.
@Suite struct OptionsReaderTests {
    /// A reader over a small document's root mapping.
    func reader(_ yaml: String, env: [String: String] = [:]) throws -> (OptionsReader, ConfigDiagnostics) {
        let node = try #require(try Yams.compose(yaml: yaml))
        let diagnostics = ConfigDiagnostics()
        let root = ConfigNode(node, file: "t.yaml")
        return (root.reader(diagnostics: diagnostics, environment: env), diagnostics)
    }

    @Test func durations() {
        #expect(ScalarParsing.duration("100ms") == .milliseconds(100))
        #expect(ScalarParsing.duration("1s") == .seconds(1))
        #expect(ScalarParsing.duration("30s") == .seconds(30))
        #expect(ScalarParsing.duration("5m") == .seconds(300))
        #expect(ScalarParsing.duration("1h") == .seconds(3600))
        #expect(ScalarParsing.duration("250us") == .microseconds(250))
        #expect(ScalarParsing.duration("1.5s") == .milliseconds(1500))
        #expect(ScalarParsing.duration("2") == .seconds(2))
        #expect(ScalarParsing.duration("fast") == nil)
        #expect(ScalarParsing.duration("-1s") == nil)
        #expect(ScalarParsing.duration("1e300h") == nil)
        #expect(ScalarParsing.duration("") == nil)
    }

    @Test func byteSizes() {
        #expect(ScalarParsing.byteSize("65536") == 65536)
        #expect(ScalarParsing.byteSize("64KiB") == 65536)
        #expect(ScalarParsing.byteSize("8MiB") == 8 << 20)
        #expect(ScalarParsing.byteSize("1GiB") == 1 << 30)
        #expect(ScalarParsing.byteSize("1MB") == 1_000_000)
        #expect(ScalarParsing.byteSize("lots") == nil)
        #expect(ScalarParsing.byteSize("1e30GiB") == nil)
        #expect(ScalarParsing.percentage("10%") == 0.10)
        #expect(ScalarParsing.int("50_000") == 50_000)
    }

    @Test func typedReadsAndDefaults() throws {
        let (r, d) = try reader("""
            a: 12
            b: 2.5
            c: true
            d: 100ms
            e: 8MiB
            f: 10%
            g: [x, y]
            h: single
            i: { j: 1 }
            """)
        #expect(r.int("a") == 12)
        #expect(r.double("b") == 2.5)
        #expect(r.bool("c") == true)
        #expect(r.duration("d") == .milliseconds(100))
        #expect(r.byteSize("e") == 8 << 20)
        #expect(r.percentage("f") == 0.10)
        #expect(r.stringList("g") == ["x", "y"])
        #expect(r.stringList("h") == ["single"])
        #expect(r.mapping("i")?.int("j") == 1)
        #expect(r.int("absent") == nil)
        r.finish()
        #expect(d.all.isEmpty)
    }

    @Test func typeErrorsNameExpectedAndFoundAtTheValue() throws {
        let (r, d) = try reader("""
            count: three
            list: { a: 1 }
            name: [a, b]
            """)
        #expect(r.int("count") == nil)
        #expect(r.sequence("list") == nil)
        #expect(r.string("name") == nil)
        let messages = d.errors.map(\.message)
        #expect(messages == [
            "expected an integer, found 'three'",
            "expected a sequence (a list), found a mapping",
            "expected a string, found a sequence",
        ])
        #expect(d.errors[0].location == ConfigLocation(file: "t.yaml", line: 1, column: 8))
        #expect(d.errors[0].keyPath == "count")
        #expect(d.errors[1].location.line == 2)
        #expect(d.errors[1].location.column == 7)
    }

    @Test func rangeAndRequired() throws {
        let (r, d) = try reader("buffer: 0\n")
        #expect(r.int("buffer", range: 1...10) == nil)
        #expect(r.requiredString("path") == nil)
        #expect(d.errors.map(\.message) == ["0 is out of range", "missing required key 'path'"])
        #expect(d.errors[1].keyPath == "path")
    }

    @Test func environmentInterpolation() throws {
        let (r, d) = try reader("""
            a: ${HOST}:${PORT:-8765}
            b: ${MISSING}
            c: ${API_KEY}
            d: $${LITERAL}
            e: ${RATE:-500}
            """, env: ["HOST": "127.0.0.1", "API_KEY": "s3cret"])
        #expect(r.string("a") == "127.0.0.1:8765")
        #expect(r.string("b") == nil)
        #expect(r.interpolated("c")?.isSecret == true)
        #expect(r.string("d") == "${LITERAL}")
        #expect(r.int("e") == 500)
        let error = try #require(d.errors.first)
        #expect(error.message == "environment variable MISSING is not set")
        #expect(error.hint == "set MISSING or write ${MISSING:-default}")
        #expect(error.location.line == 2 && error.location.column == 4)
    }

    @Test func secretsNeverAppearInDiagnostics() throws {
        let (r, d) = try reader("port: ${DB_PASSWORD}\n", env: ["DB_PASSWORD": "hunter2"])
        #expect(r.int("port") == nil)
        #expect(!d.all.map(\.description).joined().contains("hunter2"))
        #expect(String(describing: Secret("hunter2")) == "<redacted>")
        #expect("\(Secret("hunter2"))" == "<redacted>")
    }

    @Test func unknownKeysPointAtTheKeyWithDidYouMean() throws {
        let (r, d) = try reader("""
            feed: {}
            procesors: {}
            zzz: 1
            """)
        _ = r.child("feed")
        _ = r.child("processors")
        r.finish()
        #expect(d.errors.count == 2)
        #expect(d.errors[0].description == "t.yaml:2:1: error: procesors: unknown key 'procesors' (did you mean 'processors'?)")
        #expect(d.errors[1].hint == "valid keys: feed, processors")
    }

    @Test func choicesSuggestTheClosestName() throws {
        let (r, d) = try reader("overflow: drop-oldst\n")
        let value = r.choice("overflow", ["drop-oldest": 1, "drop-newest": 2, "block": 3])
        #expect(value == nil)
        #expect(d.errors.first?.hint == "did you mean 'drop-oldest'?")
    }

    @Test func didYouMeanThresholds() {
        #expect(didYouMean("procesors", among: ["feed", "processors"]) == "processors")
        #expect(didYouMean("round-robbin", among: ["manual", "round-robin"]) == "round-robin")
        #expect(didYouMean("unix", among: ["stdout", "unix-socket"]) == "unix-socket")
        #expect(didYouMean("xyzzy", among: ["feed", "sinks"]) == nil)
        #expect(didYouMean("", among: ["feed"]) == nil)
    }

    @Test func mappingEntriesAndNonMappingReader() throws {
        let (r, d) = try reader("assign: { primary: [AAPL], secondary: TSLA }\n")
        let assign = try #require(r.mapping("assign"))
        let entries = assign.mappingEntries()
        #expect(entries.map(\.key) == ["primary", "secondary"])
        #expect(entries[1].keyNode.keyPath == "assign.secondary")
        assign.finish()
        r.finish()
        #expect(d.all.isEmpty)
        let (list, d2) = try reader("- a\n- b\n")
        _ = list.string("x")
        #expect(d2.errors.first?.message == "expected a mapping, found a sequence")
    }
}
