import Foundation
public import NIOCore
import Synchronization
public import TickRouter
public import TickRouterConfig

/// A consumer of the Unix-socket sink: subscribes with the provider's action, reads one event per
/// line and checks that sequence numbers are consecutive per (channel, symbol).
///
/// It reads with blocking calls on a thread of its own, a megabyte at a time, and decodes each line
/// in place, so one tap keeps up with millions of lines a second (it is the benchmarks' reader).
public struct TapClient: Sendable {
    /// What a tap saw.
    public struct Summary: Sendable, Equatable {
        public var events = 0
        /// Times a (channel, symbol) sequence jumped.
        public var gaps = 0
        /// Sequence numbers skipped in total.
        public var missing = 0
        /// Status lines received (`status` field values), the first ``maxStatuses`` of them.
        public var statuses: [String] = []
        /// Status lines received in all.
        public var statusCount = 0
        public var perChannel: [String: Int] = [:]
        /// Lines that were not valid JSON events.
        public var malformed = 0

        public static let maxStatuses = 10_000
    }

    public struct ConnectError: Error, CustomStringConvertible {
        public var description: String
    }

    public var socketPath: String
    public var subscribe: String
    public var market: Market

    public init(socketPath: String, subscribe: String, market: Market = .stocks) {
        self.socketPath = socketPath
        self.subscribe = subscribe
        self.market = market
    }

    /// Connects, subscribes and reads until `duration` elapses (or forever when nil), the server
    /// closes the socket, or the task is cancelled.
    ///
    /// - Parameters:
    ///   - onLine: called with every line, its decoded record and the gap it revealed, if any.
    ///     Without it no per-line buffer is made.
    ///   - onGap: called with a description of every sequence gap.
    public func run(
        for duration: Duration?, onLine: (@Sendable (ByteBuffer, EventRecord?, String?) -> Void)? = nil,
        onGap: (@Sendable (String) -> Void)? = nil
    ) async throws -> Summary {
        let fd = try connect()
        let request = Array((#"{"action":"subscribe","params":"# + "\"\(subscribe)\"}\n").utf8)
        guard request.withUnsafeBytes({ Self.writeAll(fd, $0) }) else {
            close(fd)
            throw ConnectError(description: "cannot send the subscription to \(socketPath): \(String(cString: strerror(errno)))")
        }
        let stop = StopFlag()
        let deadline = duration.map { ContinuousClock.now + $0 }
        let market = self.market
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Summary, Never>) in
                let thread = Thread {
                    var reader = LineReader(fd: fd, market: market)
                    reader.tracker.locatesOnly = onLine == nil
                    let summary = reader.run(deadline: deadline, stop: stop, onGap: onGap, onLine: onLine)
                    close(fd)
                    continuation.resume(returning: summary)
                }
                thread.name = "tap"
                thread.start()
            }
        } onCancel: {
            stop.set()
        }
    }

    private func connect() throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ConnectError(description: "socket(): \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = Array(socketPath.utf8)
        guard path.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(fd)
            throw ConnectError(description: "socket path too long: \(socketPath)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path)
            raw[path.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw ConnectError(description: "cannot connect to \(socketPath): \(reason)")
        }
        return fd
    }

    static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }
}

/// Set once to stop a blocking reader.
private final class StopFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    func set() { flag.store(true, ordering: .relaxed) }
    var isSet: Bool { flag.load(ordering: .relaxed) }
}

/// The tap's blocking read loop: big reads, lines split in place, one tracker.
private struct LineReader {
    let fd: Int32
    var tracker: SequenceTracker

    init(fd: Int32, market: Market) {
        self.fd = fd
        tracker = SequenceTracker(market: market)
    }

    mutating func run(
        deadline: ContinuousClock.Instant?, stop: StopFlag, onGap: (@Sendable (String) -> Void)?,
        onLine: (@Sendable (ByteBuffer, EventRecord?, String?) -> Void)?
    ) -> TapClient.Summary {
        let capacity = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        var filled = 0
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        while !stop.isSet {
            var timeout: Int32 = 100
            if let deadline {
                let left = deadline - .now
                if left <= .zero { break }
                timeout = Int32(min(100, max(1, left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000)))
            }
            let ready = poll(&poller, 1, timeout)
            if ready < 0, errno == EINTR { continue }
            guard ready > 0 else { continue }
            if filled == capacity {
                // A line longer than the buffer: count it as malformed and drop it.
                tracker.countMalformed()
                filled = 0
            }
            let count = read(fd, buffer.baseAddress! + filled, capacity - filled)
            if count < 0, errno == EINTR || errno == EAGAIN { continue }
            guard count > 0 else { break }  // closed by the server
            filled += count
            var lineStart = 0
            while lineStart < filled, let newline = memchr(buffer.baseAddress! + lineStart, 0x0A, filled - lineStart) {
                let lineEnd = buffer.baseAddress!.distance(to: newline)
                let gap = tracker.consume(UnsafeRawBufferPointer(buffer), line: lineStart..<lineEnd)
                if let gap { onGap?(gap) }
                if let onLine { onLine(ByteBuffer(bytes: UnsafeRawBufferPointer(rebasing: buffer[lineStart..<lineEnd])), tracker.lastRecord, gap) }
                lineStart = lineEnd + 1
            }
            if lineStart > 0 {
                let rest = filled - lineStart
                if rest > 0 { memmove(buffer.baseAddress!, buffer.baseAddress! + lineStart, rest) }
                filled = rest
            }
        }
        return tracker.summary
    }
}

/// Tracks per-(channel, symbol) sequence numbers over lines of the Unix-socket stream, without an
/// allocation per line.
struct SequenceTracker {
    private var decoder: FrameDecoder
    /// `last[channelSlot][symbol]`: the last sequence seen, -1 for none yet.
    private var last: [[Int64]]
    private var perChannel: [Int]
    private var records: [EventRecord] = []
    private var statuses: [ProviderStatus] = []
    private var counts = TapClient.Summary()
    private(set) var lastRecord: EventRecord?
    private let symbols = SymbolTable()
    /// Whether lines in the usual trade/quote shape may be read for channel, symbol and sequence
    /// only (``lastRecord`` then has no time); false when a caller wants whole records.
    var locatesOnly = false
    /// Lines read by locating their fields (the rest were decoded).
    private(set) var locatedLines = 0

    init(market: Market) {
        decoder = FrameDecoder(market: market, symbols: symbols)
        last = Array(repeating: [], count: FeedChannel.count + 1)
        perChannel = Array(repeating: 0, count: FeedChannel.count + 1)
        records.reserveCapacity(1)
        statuses.reserveCapacity(1)
    }

    var summary: TapClient.Summary {
        var summary = counts
        for (slot, count) in perChannel.enumerated() where count > 0 {
            summary.perChannel[slot < FeedChannel.count ? (FeedChannel(rawValue: UInt8(slot))?.code ?? "?") : "?"] = count
        }
        return summary
    }

    mutating func countMalformed() { counts.malformed += 1 }

    /// Consumes one line, `line` of `buffer` (the bytes around it speed up decoding and are never
    /// read as part of it); returns a description of the gap it revealed, if any.
    mutating func consume(_ buffer: UnsafeRawBufferPointer, line: Range<Int>) -> String? {
        lastRecord = nil
        if locatesOnly, let record = quickTradeOrQuote(buffer, line) {
            locatedLines += 1
            return track(record)
        }
        records.removeAll(keepingCapacity: true)
        statuses.removeAll(keepingCapacity: true)
        guard !line.isEmpty, decoder.decodeEvent(in: buffer, range: line, into: &records, statuses: &statuses) == nil else {
            counts.malformed += 1
            return nil
        }
        guard let record = records.first else {
            // A status line: the decoder returns no record for it.
            if let status = statuses.first {
                counts.statusCount += 1
                if counts.statuses.count < TapClient.Summary.maxStatuses { counts.statuses.append(status.status) }
            }
            return nil
        }
        return track(record)
    }

    /// Counts an event and checks its sequence number; returns the gap it revealed, if any.
    private mutating func track(_ record: EventRecord) -> String? {
        lastRecord = record
        counts.events += 1
        let slot = record.channelCode < FeedChannel.count ? Int(record.channelCode) : FeedChannel.count
        perChannel[slot] += 1
        guard record.flags & EventRecord.Flags.hasSequence != 0 else { return nil }
        let symbol = Int(record.symbol)
        if symbol >= last[slot].count {
            last[slot].append(contentsOf: repeatElement(-1, count: symbol - last[slot].count + 1024))
        }
        let previous = last[slot][symbol]
        last[slot][symbol] = record.sequence
        guard previous >= 0, record.sequence != previous + 1 else { return nil }
        counts.gaps += 1
        let missing = record.sequence - previous - 1
        if missing > 0 { counts.missing += Int(missing) }
        let code = record.channel?.code ?? "?"
        return "gap \(code).\(symbols.name(record.symbol)): q \(previous) → \(record.sequence) (\(missing) missing)"
    }

    /// The router has validated every event it writes, so for the bulk of the stream — a stocks
    /// trade or quote in the provider's key order, `{"ev":"T","sym":"AAPL",...,"q":123,...}` —
    /// tap only locates the three fields it checks instead of decoding the line; anything else
    /// (other channels, other key orders, escapes) is decoded in full.
    @inline(__always)
    private mutating func quickTradeOrQuote(_ bytes: UnsafeRawBufferPointer, _ line: Range<Int>) -> EventRecord? {
        let start = line.lowerBound
        let end = line.upperBound
        guard end - start >= 26, bytes[end - 1] == UInt8(ascii: "}"), start + 17 + 8 <= bytes.count else { return nil }
        // `{"ev":"` + T|Q + `","sym":"`
        let head = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: start, as: UInt64.self)) & 0x00FF_FFFF_FFFF_FFFF
        guard head == 0x22_3A22_7665_227B else { return nil }  // {"ev":"
        let channel: FeedChannel
        switch bytes[start + 7] {
        case UInt8(ascii: "T"): channel = .T
        case UInt8(ascii: "Q"): channel = .Q
        default: return nil
        }
        guard decoder.market == .stocks,
            UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: start + 8, as: UInt64.self)) == 0x3A22_6D79_7322_2C22,  // ","sym":
            bytes[start + 16] == UInt8(ascii: "\"")
        else { return nil }
        var symbolEnd = start + 17
        while symbolEnd < end, bytes[symbolEnd] != UInt8(ascii: "\"") {
            guard bytes[symbolEnd] != UInt8(ascii: "\\"), symbolEnd - start - 17 < FrameDecoder.maxSymbolLength else { return nil }
            symbolEnd += 1
        }
        guard symbolEnd > start + 17, symbolEnd < end else { return nil }
        // `"q":` searched from the end, where the provider puts it; the pattern cannot occur
        // inside a string (a quote there is escaped).
        var colon = end - 2
        while colon > symbolEnd + 3 {
            if bytes[colon] == UInt8(ascii: ":"), bytes[colon - 1] == UInt8(ascii: "\""), bytes[colon - 2] == UInt8(ascii: "q"),
                bytes[colon - 3] == UInt8(ascii: "\"")
            {
                break
            }
            colon -= 1
        }
        guard colon > symbolEnd + 3 else { return nil }
        var position = colon + 1
        var sequence: Int64 = 0
        while position < end, bytes[position] &- UInt8(ascii: "0") < 10, position - colon <= 18 {
            sequence = sequence * 10 + Int64(bytes[position] &- UInt8(ascii: "0"))
            position += 1
        }
        guard position > colon + 1, position < end, bytes[position] == UInt8(ascii: ",") || bytes[position] == UInt8(ascii: "}") else { return nil }
        let symbol = decoder.symbols.id(for: UnsafeRawBufferPointer(rebasing: bytes[(start + 17)..<symbolEnd]))
        return EventRecord(
            channelCode: channel.rawValue, flags: EventRecord.Flags.hasSequence, symbol: symbol, start: UInt32(start),
            length: UInt32(end - start), sequence: sequence
        )
    }

    /// Consumes one line held in a buffer.
    mutating func consume(_ line: ByteBuffer) -> String? {
        line.withUnsafeReadableBytes { consume($0, line: 0..<$0.count) }
    }
}
