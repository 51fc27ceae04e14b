import Foundation
import TickRouter
import TickRouterCLI
import TickRouterSimulator
import TickRouterConfig
import Testing

/// A throttled channel end to end: the simulator sends hundreds of quotes per symbol per second,
/// the router throttles Q to one per 100 ms per symbol, a Unix-socket reader checks the rate and,
/// across a pause of the feed, that the last quote of every symbol was delivered.
@Suite("Throttle end to end", .serialized)
struct ThrottleEndToEndTests {
    static let symbols = ["AAPL", "MSFT", "NVDA", "AMZN", "GOOGL", "META", "TSLA", "AVGO", "JPM", "XOM"]

    static func writeConfig() throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tr-throttle-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("throttle.yaml").path
        try """
        feed:
          provider: simulator
          market: stocks
          max_connections: 1
          simulator: { symbols: 10, rate: 20000, events_per_frame: 50 }
        connections:
          - { name: main, feed: realtime, channels: [T, Q] }
        universe:
          symbols: [\(symbols.joined(separator: ", "))]
        routing:
          strategy: round-robin
        processors:
          Q: { throttle: { per_symbol: 100ms, mode: conflate }, priority: [XOM] }
        sinks:
          - type: unix-socket
            path: ${TICKROUTER_SOCKET}
            queue: 65536
        """.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    struct Quote: Sendable {
        var at: ContinuousClock.Instant
        var symbol: String
        var sequence: Int
    }

    static func parse(_ line: String, at: ContinuousClock.Instant) -> Quote? {
        guard line.hasPrefix(#"{"ev":"Q""#), let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
            let symbol = object["sym"] as? String, let sequence = object["q"] as? Int
        else { return nil }
        return Quote(at: at, symbol: symbol, sequence: sequence)
    }

    @Test func quotesAreThrottledPerSymbolAndTheLastQuoteOfEverySymbolArrives() async throws {
        let host = try await TestHost.start(config: try Self.writeConfig())
        defer { Task { await host.stop() } }
        let faults = try #require(host.host.simulator?.faults)
        let client = try RawSocketClient(path: host.socketPath)
        client.send(#"{"action":"subscribe","params":"Q.*"}"#)

        // Phases are driven by what the reader sees, not by wall time (a loaded machine may take a
        // while to start the flow): once every symbol has 20 quotes the feed pauses for 6 s; the
        // read ends once every symbol has a quote from after the pause. The reader runs on its own
        // thread and stamps each quote with its arrival time.
        let throttled = Self.symbols.filter { $0 != "XOM" }
        let quotes = await onOwnThread { () -> [Quote] in
            var quotes: [Quote] = []
            var perSymbol: [String: Int] = [:]
            var pausedAt: ContinuousClock.Instant?
            var resumed: Set<String> = []
            _ = client.readLines(limit: .seconds(180)) { line in
                guard let quote = Self.parse(line, at: .now) else { return false }
                quotes.append(quote)
                perSymbol[quote.symbol, default: 0] += 1
                if pausedAt == nil, throttled.allSatisfy({ perSymbol[$0, default: 0] >= 20 }) {
                    faults.stall(for: .seconds(6))
                    pausedAt = .now
                }
                if let pausedAt, quote.at > pausedAt + .seconds(6) { resumed.insert(quote.symbol) }
                return resumed.isSuperset(of: throttled)  // the hang guard is the limit above
            }
            return quotes
        }

        let bySymbol = Dictionary(grouping: quotes, by: \.symbol)
        for symbol in throttled {
            let received = bySymbol[symbol] ?? []
            let sequences = received.map(\.sequence)
            let inOrder = sequences == sequences.sorted()
            #expect(inOrder, "\(symbol) quotes stay in order")

            // The feed paused for 6 s: the longest silence in the symbol's stream. The first quote
            // after it has sequence N (its window had long expired, so it passed at once); quote
            // N - 1, the last before the pause, was held and must have arrived just before the silence.
            guard received.count > 1,
                let pause = zip(received, received.dropFirst()).max(by: { $0.1.at - $0.0.at < $1.1.at - $1.0.at }),
                pause.1.at - pause.0.at > .seconds(3)
            else {
                Issue.record("\(symbol): no pause seen in \(received.count) quotes")
                continue
            }
            let lastBeforePause = pause.1.sequence - 1
            #expect(pause.0.sequence == lastBeforePause, "\(symbol): the last quote before the pause (q \(lastBeforePause)) arrived, got q \(pause.0.sequence)")

            // At most 10 per second before the pause (the simulator sends each symbol hundreds):
            // counted from the symbol's first quote to the last one before the silence, with slack
            // for delivery jitter.
            let before = received.prefix { $0.at <= pause.0.at }
            let span = pause.0.at - before[0].at
            let seconds = Double(span.components.seconds) + Double(span.components.attoseconds) / 1e18
            #expect(Double(before.count) <= 10 * seconds + 5, "\(symbol): \(before.count) quotes in \(seconds) s, at most 10/s")
        }
        // The priority symbol bypasses the throttle.
        let xom = bySymbol["XOM"]?.count ?? 0
        let mostThrottled = throttled.map { bySymbol[$0]?.count ?? 0 }.max() ?? 0
        #expect(xom > 3 * mostThrottled, "XOM (priority) is not throttled: \(xom) quotes, the busiest throttled symbol \(mostThrottled)")
        let shaped = host.engine.stats.channels[Int(FeedChannel.Q.rawValue)].shaped.snapshot
        #expect((shaped.first { $0.reason == "conflated" }?.count ?? 0) > 0)
        #expect((shaped.first { $0.reason == "deferred" }?.count ?? 0) > 0)
        withExtendedLifetime(client) {}
    }
}
