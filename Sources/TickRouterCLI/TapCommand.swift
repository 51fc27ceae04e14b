import ArgumentParser
import Foundation
import NIOCore
import TickRouter
import TickRouterConfig

/// `tickrouter tap`: reads the Unix-socket sink, prints events and reports sequence gaps.
struct TapCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tap",
        abstract: "Read events from the Unix-socket sink; reports sequence gaps on standard error."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case ndjson, table, none }

    @Option(help: "Socket path.") var socket = "tickrouter.sock"
    @Option(help: "Topics in the provider's syntax, e.g. T.AAPL,AM.*") var subscribe = "T.*"
    @Option(help: "Output: ndjson (lines as received), table, or none (only gaps and the summary).") var format: Format = .ndjson
    @Option(help: "Stop after this many seconds.") var duration: Double?
    @Option(help: "Market of the events (for decoding).") var market = "stocks"

    func run() async throws {
        guard let market = Market(rawValue: market) else { throw ValidationError("unknown market \(market)") }
        let client = TapClient(socketPath: socket, subscribe: subscribe, market: market)
        let format = self.format
        signal(SIGPIPE, SIG_IGN)
        let printLines: (@Sendable (ByteBuffer, EventRecord?, String?) -> Void)? =
            switch format {
            case .none: nil
            case .ndjson:
                { line, _, _ in
                    var bytes = Array(line.readableBytesView)
                    bytes.append(UInt8(ascii: "\n"))
                    writeStandardOutput(bytes)
                }
            case .table:
                { line, record, _ in
                    if let record {
                        let text = String(buffer: line)
                        writeStandardOutput(Array("\(record.channel?.code ?? "?")\tq=\(record.sequence)\tt=\(record.timestamp)\t\(text.prefix(100))\n".utf8))
                    } else {
                        writeStandardOutput(Array((String(buffer: line) + "\n").utf8))
                    }
                }
            }
        let summary = try await client.run(for: duration.map { .milliseconds(Int64($0 * 1000)) }, onLine: printLines) { gap in
            printError(gap)
        }
        let channels = summary.perChannel.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        printError("tap: \(summary.events) events [\(channels)], \(summary.gaps) gaps, \(summary.missing) missing, \(summary.statusCount) status lines (\(Self.tally(summary.statuses)))")
    }

    /// `connected, success×6, gap×12`: each status once with its count, in order of first arrival.
    static func tally(_ statuses: [String]) -> String {
        var order: [String] = []
        var counts: [String: Int] = [:]
        for status in statuses {
            if counts[status] == nil { order.append(status) }
            counts[status, default: 0] += 1
        }
        return order.map { counts[$0]! > 1 ? "\($0)×\(counts[$0]!)" : $0 }.joined(separator: ", ")
    }
}
