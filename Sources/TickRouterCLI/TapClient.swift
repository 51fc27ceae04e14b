public import Foundation
import NIOCore
import NIOPosix
public import TickRouter
public import TickRouterConfig

/// A consumer of the Unix-socket sink: subscribes with the provider's action, reads one event per
/// line and checks that sequence numbers are consecutive per (channel, symbol).
public struct TapClient: Sendable {
    /// What a tap saw.
    public struct Summary: Sendable, Equatable {
        public var events = 0
        /// Times a (channel, symbol) sequence jumped.
        public var gaps = 0
        /// Sequence numbers skipped in total.
        public var missing = 0
        /// Status lines received (`status` field values).
        public var statuses: [String] = []
        public var perChannel: [String: Int] = [:]
        /// Lines that were not valid JSON events.
        public var malformed = 0
    }

    public var socketPath: String
    public var subscribe: String
    public var market: Market

    public init(socketPath: String, subscribe: String, market: Market = .stocks) {
        self.socketPath = socketPath
        self.subscribe = subscribe
        self.market = market
    }

    /// Connects, subscribes and reads until `duration` elapses (or forever when nil).
    /// `onLine` sees every line, its decoded record, and a gap description when one was found.
    public func run(
        for duration: Duration?, onLine: @escaping @Sendable (ByteBuffer, EventRecord?, String?) -> Void = { _, _, _ in }
    ) async throws -> Summary {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(unixDomainSocketPath: socketPath) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let market = self.market
        let request = #"{"action":"subscribe","params":"# + "\"\(subscribe)\"}\n"
        return try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(ByteBuffer(string: request))
            return try await withThrowingTaskGroup(of: Summary?.self) { group in
                group.addTask {
                    var tracker = SequenceTracker(market: market)
                    var pending = ByteBuffer()
                    do {
                        // Chunks, not lines, cross the async boundary; lines are split here.
                        for try await var chunk in inbound {
                            pending.writeBuffer(&chunk)
                            while let newline = pending.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) {
                                let line = pending.readSlice(length: newline - pending.readerIndex)!
                                pending.moveReaderIndex(forwardBy: 1)
                                let gap = tracker.consume(line)
                                onLine(line, tracker.lastRecord, gap)
                            }
                            pending.discardReadBytes()
                            if Task.isCancelled { break }
                        }
                    } catch {
                        // Closed or cancelled: report what was read.
                    }
                    return tracker.summary
                }
                if let duration {
                    group.addTask {
                        try await Task.sleep(for: duration)
                        return nil
                    }
                }
                var result = Summary()
                while let next = try? await group.next() {
                    if let summary = next {
                        result = summary
                        break
                    }
                    // The timer fired: close the socket so the reader finishes with what it saw.
                    try? await channel.channel.close()
                }
                group.cancelAll()
                return result
            }
        }
    }
}

/// Tracks per-(channel, symbol) sequence numbers over lines of the Unix-socket stream.
struct SequenceTracker {
    private var decoder: FrameDecoder
    private var last: [UInt64: Int64] = [:]
    private(set) var summary = TapClient.Summary()
    private(set) var lastRecord: EventRecord?
    private let symbols = SymbolTable()

    init(market: Market) {
        decoder = FrameDecoder(market: market, symbols: symbols)
    }

    /// Consumes one line; returns a description of the gap it revealed, if any.
    mutating func consume(_ line: ByteBuffer) -> String? {
        lastRecord = nil
        let result = line.withUnsafeReadableBytes { decoder.decodeEvent($0) }
        guard case .success(let decoded) = result else {
            summary.malformed += 1
            return nil
        }
        guard let record = decoded else {
            // A status line: the decoder returns no record for it.
            if let text = line.getString(at: line.readerIndex, length: line.readableBytes),
                let data = text.data(using: .utf8),
                let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let status = object["status"] as? String
            {
                summary.statuses.append(status)
            }
            return nil
        }
        lastRecord = record
        summary.events += 1
        let code = record.channel?.code ?? "?"
        summary.perChannel[code, default: 0] += 1
        guard record.flags & EventRecord.Flags.hasSequence != 0 else { return nil }
        let key = UInt64(record.channelCode) << 32 | UInt64(record.symbol)
        defer { last[key] = record.sequence }
        guard let previous = last[key], record.sequence != previous + 1 else { return nil }
        summary.gaps += 1
        let missing = record.sequence - previous - 1
        if missing > 0 { summary.missing += Int(missing) }
        return "gap \(code).\(symbols.name(record.symbol)): q \(previous) → \(record.sequence) (\(missing) missing)"
    }
}
