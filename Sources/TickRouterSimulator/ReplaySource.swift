import Foundation
import Logging

/// Replays a recorded NDJSON file (one JSON array frame per line, or one event object per line)
/// to every client whose subscriptions match, at the recorded pacing divided by `speed`.
///
/// Pacing uses each event's `t` (any unit: 10/13/16/19 digits are read as s/ms/µs/ns); events
/// without `t` go out with the previous one. Events are re-serialized once at load time.
/// The replay starts when the first client has subscribed to something, and runs once.
struct ReplaySource {
    struct LoadError: Error, CustomStringConvertible {
        var description: String
    }

    struct Event {
        var channel: SimChannel
        var symbol: String
        var timeMs: Int64?
        var json: [UInt8]
    }

    let path: String
    let speed: Double

    /// Parses the file; lines that are not JSON, or events of unknown channels, are skipped.
    func load() throws -> [Event] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(description: "cannot read replay file \(path)")
        }
        var events: [Event] = []
        for line in data.split(separator: UInt8(ascii: "\n")) {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line), options: []) else { continue }
            let objects = (object as? [Any])?.compactMap { $0 as? [String: Any] } ?? [object as? [String: Any]].compactMap { $0 }
            for event in objects {
                guard
                    let code = event["ev"] as? String, let channel = SimChannel(code: Substring(code)),
                    let symbol = (event["sym"] as? String) ?? (event["T"] as? String),
                    let json = try? JSONSerialization.data(withJSONObject: event, options: [])
                else { continue }
                events.append(Event(channel: channel, symbol: symbol, timeMs: Self.milliseconds(event["t"]), json: Array(json)))
            }
        }
        return events
    }

    /// Reads an integer timestamp of any unit as milliseconds.
    static func milliseconds(_ value: Any?) -> Int64? {
        guard let number = value as? NSNumber else { return nil }
        let raw = number.int64Value
        switch raw {
        case ..<100_000_000_000: return raw * 1_000  // seconds
        case ..<100_000_000_000_000: return raw  // ms
        case ..<100_000_000_000_000_000: return raw / 1_000  // µs
        default: return raw / 1_000_000  // ns
        }
    }

    /// Sends the recording once, paced; returns at the end or when cancelled.
    func run(core: SimulatorCore) async throws {
        let events = try load()
        // Start when someone listens, so a recording is not sent into the void before clients subscribe.
        while !Task.isCancelled, !core.hasSubscribers {
            try? await Task.sleep(for: .milliseconds(10))
        }
        core.logger.info("replaying \(events.count) events from \(path) at speed \(speed)")
        let clock = ContinuousClock()
        let start = clock.now
        let firstTime = events.lazy.compactMap(\.timeMs).first ?? 0
        var lastTime = firstTime
        var batch = EventBatch()
        var index = 0
        while index < events.count, !Task.isCancelled {
            batch.removeAll()
            let elapsedMs = Double((clock.now - start).components.seconds) * 1_000
                + Double((clock.now - start).components.attoseconds) * 1e-15
            var nextDueMs: Double?
            while index < events.count {
                let event = events[index]
                let time = event.timeMs ?? lastTime
                let dueMs = speed > 0 ? Double(time - firstTime) / speed : 0
                if dueMs > elapsedMs {
                    nextDueMs = dueMs
                    break
                }
                lastTime = time
                if let symbol = core.symbols.intern(event.symbol) {
                    let offset = batch.writer.count
                    batch.writer.append(event.json)
                    batch.commit(start: offset, channel: event.channel, symbol: symbol)
                }
                index += 1
            }
            core.fanOut(batch)
            if let nextDueMs {
                let waitMs = max(1, min(1_000, nextDueMs - elapsedMs))
                try? await Task.sleep(for: .microseconds(Int64(waitMs * 1_000)))
            }
        }
    }
}
