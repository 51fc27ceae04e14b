import Foundation
import TickRouterCLI
import TickRouterConfig
import NIOCore
import Synchronization
import TickRouter
import TickRouterCLI

/// What one Unix-socket consumer saw, judged by sequence numbers: every jump of `q` per
/// (channel, symbol), whether a router `gap` status line arrived between that symbol's previous
/// event and the jump (announced), and every repeat or step back. Fed by ``TapClient``'s `onLine`.
final class SequenceLedger: Sendable {
    struct Gap: Sendable, CustomStringConvertible {
        var key: UInt64
        var from: Int64
        var to: Int64
        var announced: Bool
        var description: String { "key \(key): q \(from) → \(to)\(announced ? "" : " (unannounced)")" }
    }

    struct Figures: Sendable {
        var events = 0
        var gaps: [Gap] = []
        /// Events whose `q` was not above the previous one of their (channel, symbol).
        var repeats = 0
        /// `status` values of the status lines, in order.
        var statuses: [String] = []
        /// Sequence numbers skipped in total.
        var missing: Int64 { gaps.reduce(0) { $0 + max(0, $1.to - $1.from - 1) } }
        var unannounced: [Gap] { gaps.filter { !$0.announced } }
        var gapAnnouncements: Int { statuses.filter { $0 == "gap" }.count }
    }

    private struct State {
        var figures = Figures()
        var lines = 0
        var lastAnnouncement = -1
        var last: [UInt64: (sequence: Int64, line: Int)] = [:]
    }

    private let state = Mutex(State())

    var figures: Figures { state.withLock { $0.figures } }

    /// Events received so far.
    var events: Int { state.withLock { $0.figures.events } }

    /// Records one line as `TapClient` decoded it (`record` is nil for status lines).
    func observe(_ line: ByteBuffer, _ record: EventRecord?) {
        guard let record else {
            let status = Self.status(of: line)
            state.withLock { state in
                state.lines += 1
                guard let status else { return }
                state.figures.statuses.append(status)
                if status == "gap" { state.lastAnnouncement = state.lines }
            }
            return
        }
        state.withLock { state in
            state.lines += 1
            state.figures.events += 1
            guard record.flags & EventRecord.Flags.hasSequence != 0 else { return }
            let key = UInt64(record.channelCode) << 32 | UInt64(record.symbol)
            if let previous = state.last[key] {
                if record.sequence <= previous.sequence {
                    state.figures.repeats += 1
                    return
                }
                if record.sequence != previous.sequence + 1 {
                    state.figures.gaps.append(Gap(
                        key: key, from: previous.sequence, to: record.sequence, announced: state.lastAnnouncement > previous.line
                    ))
                }
            }
            state.last[key] = (record.sequence, state.lines)
        }
    }

    private static func status(of line: ByteBuffer) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.readableBytesView)) as? [String: Any] else { return nil }
        return object["status"] as? String
    }

    /// Runs a ``TapClient`` on `socket` for `duration`, recording into a new ledger.
    static func tap(socket: String, subscribe: String, for duration: Duration) -> (ledger: SequenceLedger, task: Task<TapClient.Summary, any Error>) {
        let ledger = SequenceLedger()
        let task = Task {
            try await TapClient(socketPath: socket, subscribe: subscribe).run(for: duration) { line, record, _ in
                ledger.observe(line, record)
            }
        }
        return (ledger, task)
    }
}
