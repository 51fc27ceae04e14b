import Foundation

/// The text screen of `tickrouter top`: rates from two consecutive snapshots, lag, drops by
/// reason per connection, channel and sink. A pure function of its inputs, so it is tested
/// without a terminal.
public enum TopView {
    /// Renders one screen. `previous` is the snapshot one refresh earlier (nil on the first).
    public static func render(_ now: AdminSnapshot, previous: AdminSnapshot?, health: HealthReport?, source: String) -> String {
        let seconds = previous.map { Double(now.takenAtMillis - $0.takenAtMillis) / 1000 } ?? 0
        func rate(_ current: Int, _ before: Int?) -> String {
            guard let before, seconds > 0 else { return "-" }
            return number(Double(max(0, current - before)) / seconds)
        }
        var out = "tickrouter top — \(source) — up \(Int(now.uptimeSeconds)) s — health: \(health?.status ?? "?")\n"
        for reason in health?.reasons ?? [] { out += "  ! \(reason.code): \(reason.message)\n" }
        out += "\n"
        out += row(["CONNECTION", "STATE", "SYMBOLS", "EVENTS/S", "FRAMES/S", "MB/S", "LAG MS", "RECONN", "MALFORMED"], widths: [14, 13, 8, 10, 9, 7, 8, 7, 9])
        for connection in now.connections {
            let old = previous?.connections.first { $0.name == connection.name }
            let megabytes = old.map { seconds > 0 ? String(format: "%.2f", Double(max(0, connection.bytes - $0.bytes)) / seconds / 1e6) : "-" } ?? "-"
            out += row([
                connection.name, connection.state, "\(connection.symbols)", rate(connection.events, old?.events), rate(connection.frames, old?.frames),
                megabytes, connection.readLagMillis.map(String.init) ?? "-", "\(connection.reconnects)", "\(connection.malformedFrames)",
            ], widths: [14, 13, 8, 10, 9, 7, 8, 7, 9])
        }
        out += "\n"
        out += row(["CHANNEL", "IN/S", "OUT/S", "RECEIVED", "FORWARDED", "QUARANTINED"], widths: [10, 10, 10, 12, 12, 30])
        for channel in now.channels {
            let old = previous?.channels.first { $0.channel == channel.channel }
            out += row([
                channel.channel, rate(channel.received, old?.received), rate(channel.forwarded, old?.forwarded), "\(channel.received)", "\(channel.forwarded)",
                reasons(channel.quarantined),
            ], widths: [10, 10, 10, 12, 12, 30])
        }
        out += "\n"
        out += row(["SINK", "TYPE", "IN/S", "OUT/S", "QUEUED", "CLIENTS", "P50", "P99", "DROPPED"], widths: [14, 12, 10, 10, 9, 8, 10, 10, 40])
        for sink in now.sinks {
            let old = previous?.sinks.first { $0.name == sink.name }
            out += row([
                sink.name, sink.type, rate(sink.accepted, old?.accepted), rate(sink.delivered, old?.delivered), "\(sink.queuedEvents)", "\(sink.clients)",
                latency(sink.latencyP50Micros), latency(sink.latencyP99Micros), reasons(sink.dropped),
            ], widths: [14, 12, 10, 10, 9, 8, 10, 10, 40])
        }
        return out
    }

    /// A histogram bucket bound in µs, as `≤ 2.5ms`.
    static func latency(_ micros: Int?) -> String {
        guard let micros else { return "-" }
        if micros == .max { return "> 10s" }
        if micros >= 1_000_000 { return "≤ \(micros / 1_000_000)s" }
        if micros >= 1000 { return "≤ " + String(format: "%.1f", Double(micros) / 1000) + "ms" }
        return "≤ \(micros)µs"
    }

    static func reasons(_ map: [String: Int]) -> String {
        map.isEmpty ? "-" : map.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
    }

    static func number(_ value: Double) -> String {
        if value >= 1e6 { return String(format: "%.2fM", value / 1e6) }
        if value >= 1e4 { return String(format: "%.1fk", value / 1e3) }
        return String(Int(value.rounded()))
    }

    static func row(_ cells: [String], widths: [Int]) -> String {
        zip(cells, widths).map { cell, width in cell.count >= width ? cell + " " : cell + String(repeating: " ", count: width - cell.count) }
            .joined().trimmingCharacters(in: .whitespaces) + "\n"
    }
}
