import Foundation
import InMemoryLogging
import Logging
import NIOCore
import TickRouter
import TickRouterAdmin
import TickRouterCLI
import TickRouterConfig
import TickRouterPlugins
import TickRouterSimulator
import Testing

extension Reliability {
    /// Fault matrix: bad frames from the provider. Each is counted and quarantined with its reason (or,
    /// for an unknown `ev`, counted and passed through), the connection stays up, and the real events
    /// around them arrive without a gap, checked by sequence numbers.
    @Suite("Fault matrix: bad frames", .serialized)
    struct FrameFaultTests {
        /// The config: two connections with the smallest frame limit, plus a file sink that keeps every
        /// event it is given (unknown ones included).
        static func config(file: String) -> String {
            twoConnectionConfig(extraFeed: "  frame_limit: 1MiB")
                + "\n  - { type: file, path: \"\(file)\", flush_every: 50ms }\n"
        }

        @Test func malformedTruncatedNonUTF8AndUnknownFramesCostNothingElse() async throws {
            let configPath = try writeTemporaryConfig(Self.config(file: "PLACEHOLDER"))
            let file = (configPath as NSString).deletingLastPathComponent + "/all.ndjson"
            try Self.config(file: file).write(toFile: configPath, atomically: true, encoding: .utf8)
            let host = try await TestHost.start(config: configPath)
            defer { Task { await host.stop() } }
            let faults = try #require(host.host.simulator).faults
            let stats = host.engine.stats
            let connections = stats.connections.count
            let (ledger, reader) = SequenceLedger.tap(socket: host.socketPath, subscribe: "T.*,Q.*", for: .seconds(120))
            try await waitUntil("the consumer gets events") { ledger.events > 200 }

            let bad: [(name: String, bytes: [UInt8], reason: String)] = [
                ("truncated", Array(#"[{"ev":"T","sym":"AAPL","p":12"#.utf8), "frame ends inside a value"),
                ("not JSON", Array("this is not json".utf8), "frame is not a JSON array"),
                ("non-UTF-8", Array(#"[{"ev":"T","sym":"AA"#.utf8) + [0xFF, 0xFE] + Array(#"PL","p":1,"s":1,"t":1,"q":1}]"#.utf8), "invalid UTF-8"),
                ("stray byte", Array(#"[{"ev":"T"}"#.utf8) + [0xC0] + Array("]".utf8), "unexpected byte"),
            ]
            let unknown = #"{"ev":"ZZ","sym":"AAPL","zz":1}"#
            let unknownStats = try #require(stats.channels.last)
            let unknownBefore = unknownStats.received.load
            for frame in bad { faults.sendFrame(frame.bytes) }
            faults.sendMalformedFrame()
            faults.sendFrame(Array("[\(unknown)]".utf8))
            let expectedMalformed = (bad.count + 1) * connections
            try await waitUntil("every bad frame counted") { stats.connections.map { $0.malformedFrames.load }.reduce(0, +) == expectedMalformed }
            try await waitUntil("the unknown event counted") { unknownStats.received.load == unknownBefore + connections }
            let after = ledger.events
            try await waitUntil("events after the bad frames") { ledger.events > after + 1000 }
            reader.cancel()
            _ = try? await reader.value

            let reasons = stats.quarantine.recent.map(\.reason)
            for frame in bad {
                // The simulator's own malformed frame is truncated too.
                let expected = frame.name == "truncated" ? 2 * connections : connections
                #expect(reasons.filter { $0.hasPrefix("malformed frame: \(frame.reason)") }.count == expected, "\(frame.name): \(reasons)")
            }
            #expect(unknownStats.forwarded.load == unknownBefore + connections, "an unknown ev is forwarded, not quarantined")
            try await waitUntil("the file sink wrote the unknown event") {
                ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").contains(unknown)
            }
            let figures = ledger.figures
            print("bad frames: \(expectedMalformed) quarantined, reasons \(Set(reasons)); consumer events \(figures.events), gaps \(figures.gaps.count)")
            #expect(figures.gaps.isEmpty && figures.repeats == 0, "nothing else lost: \(figures.gaps.prefix(5))")
            #expect(stats.connections.allSatisfy { $0.reconnects.load == 0 && $0.state == .streaming }, "no reconnect for a bad frame")
        }

        @Test func aFrameOverTheLimitEndsTheSessionLoudlyAndTheGapIsAnnounced() async throws {
            let configPath = try writeTemporaryConfig(twoConnectionConfig(extraFeed: "  frame_limit: 1MiB"))
            let host = try await TestHost.start(config: configPath)
            defer { Task { await host.stop() } }
            let simulator = try #require(host.host.simulator)
            let stats = host.engine.stats
            let (ledger, reader) = SequenceLedger.tap(socket: host.socketPath, subscribe: "T.*,Q.*", for: .seconds(120))
            try await waitUntil("the consumer gets events") { ledger.events > 200 }
            let accepted = simulator.connectionsAccepted

            simulator.faults.sendOversizedFrame(bytes: 3 << 19)  // 1.5 MiB against a 1 MiB limit
            try await waitUntil("both connections reconnected") { stats.connections.allSatisfy { $0.reconnects.load == 1 && $0.state == .streaming } }
            let after = ledger.events
            try await waitUntil("events after the reconnect") { ledger.events > after + 1000 }
            reader.cancel()
            _ = try? await reader.value

            let figures = ledger.figures
            print("oversized frame: reconnects \(stats.connections.map { $0.reconnects.load }), gaps \(figures.gaps.count) (\(figures.missing) missing), gap lines \(figures.gapAnnouncements)")
            #expect(simulator.connectionsAccepted == accepted + stats.connections.count, "one reconnect per connection, no loop")
            #expect(figures.unannounced.isEmpty, "the reconnect's gap was announced: \(figures.unannounced.prefix(5))")
            #expect(figures.repeats == 0)
        }
    }
}
