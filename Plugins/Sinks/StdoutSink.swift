import Foundation
import NIOCore
import TickRouter
import TickRouterConfig

/// `stdout`: a one-line summary of the engine every interval (`format: summary`), or every event
/// as NDJSON, the provider's JSON unchanged (`format: ndjson`).
public struct StdoutSink: Sink {
    public enum Format: String, Sendable { case summary, ndjson }

    public struct Spec: SinkSpec {
        public var format: Format
        public var every: Duration
        public var planDetails: [(key: String, value: String)] { [("format", format.rawValue), ("every", "\(every)")] }
        public var consumesEvents: Bool { format == .ndjson }
        public func makeSink(_ runtime: SinkRuntime) throws -> any Sink { StdoutSink(spec: self, runtime: runtime) }
    }

    let spec: Spec
    let runtime: SinkRuntime

    public func run() async throws {
        switch spec.format {
        case .ndjson: await writeEvents()
        case .summary: await printSummaries()
        }
    }

    private func writeEvents() async {
        var out = [UInt8]()
        out.reserveCapacity(1 << 20)
        while let batches = await runtime.inlet.drain() {
            var count = 0
            for batch in batches {
                batch.frame.withUnsafeReadableBytes { frame in
                    for record in batch.records {
                        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: frame[record.byteRange]))
                        out.append(UInt8(ascii: "\n"))
                    }
                }
                count += batch.records.count
            }
            writeToStandardOutput(out)
            out.removeAll(keepingCapacity: true)
            runtime.stats.delivered.add(count)
            runtime.stats.recordHandoff(batches)
        }
    }

    private func printSummaries() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // The inlet takes no events; it only tells us when the engine shuts down.
                _ = await runtime.inlet.drain()
            }
            group.addTask {
                var summary = EngineSummary(stats: runtime.engineStats)
                while !Task.isCancelled {
                    try? await Task.sleep(for: spec.every)
                    if Task.isCancelled { break }
                    writeToStandardOutput(Array((summary.line() + "\n").utf8))
                }
            }
            await group.next()
            group.cancelAll()
        }
    }

    public static let plugin = SinkPlugin(
        type: "stdout",
        summary: "prints a one-line summary every interval, or every event as NDJSON",
        options: [
            PluginOption("format", "summary | ndjson", default: "summary", "what to print"),
            PluginOption("every", "duration", default: "1s", "summary interval"),
        ]
    ) { reader, _ in
        let format = reader.choice("format", ["summary": Format.summary, "ndjson": Format.ndjson]) ?? .summary
        let every = reader.duration("every") ?? .seconds(1)
        return Spec(format: format, every: every)
    }
}

/// Rates since the previous line, computed from the engine's counters.
struct EngineSummary {
    let stats: EngineStats
    private var previous: [Int]
    private var previousAt = ContinuousClock.now

    init(stats: EngineStats) {
        self.stats = stats
        self.previous = stats.channels.map { $0.forwarded.load }
    }

    mutating func line() -> String {
        let now = ContinuousClock.now
        let elapsed = max(0.001, Double((now - previousAt).components.attoseconds) / 1e18 + Double((now - previousAt).components.seconds))
        previousAt = now
        let current = stats.channels.map { $0.forwarded.load }
        var total = 0
        var parts: [String] = []
        for (index, channelStats) in stats.channels.enumerated() {
            let delta = current[index] - previous[index]
            guard delta > 0 else { continue }
            total += delta
            parts.append("\(channelStats.channel?.code ?? "?") \(Int(Double(delta) / elapsed))")
        }
        previous = current
        let connections = stats.connections.map { "\($0.name)=\($0.state)" }.joined(separator: " ")
        let sinks = stats.sinks.map { sink in
            let drops = sink.dropped.snapshot.filter { $0.count > 0 }.map { "\($0.reason)=\($0.count)" }.joined(separator: ",")
            return "\(sink.name)" + (sink.clients.load > 0 ? " clients=\(sink.clients.load)" : "") + (drops.isEmpty ? "" : " dropped{\(drops)}")
        }.joined(separator: " ")
        let quarantined = stats.quarantine.total.load
        var clock = time_t(Date().timeIntervalSince1970)
        var parts_ = tm()
        localtime_r(&clock, &parts_)
        let time = String(format: "%02d:%02d:%02d", parts_.tm_hour, parts_.tm_min, parts_.tm_sec)
        return "\(time)  \(Int(Double(total) / elapsed)) ev/s  [\(parts.joined(separator: "  "))]  conns: \(connections)  sinks: \(sinks)"
            + (quarantined > 0 ? "  quarantined=\(quarantined)" : "")
    }
}

/// Writes all bytes to file descriptor 1, unbuffered, so lines appear at once even when piped.
func writeToStandardOutput(_ bytes: [UInt8]) {
    bytes.withUnsafeBytes { raw in
        var offset = 0
        while offset < raw.count {
            let written = write(STDOUT_FILENO, raw.baseAddress! + offset, raw.count - offset)
            if written <= 0 {
                if written < 0, errno == EINTR { continue }
                return
            }
            offset += written
        }
    }
}
