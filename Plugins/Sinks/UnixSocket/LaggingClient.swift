import NIOCore
import TickRouter
import TickRouterConfig

/// What a lagging Unix-socket client still receives under `slow_client: conflate | demote`.
///
/// Levels: `ticks` (everything, the normal state), `conflated` (the latest quote, bar, FMV, …
/// per channel and symbol; trades, LULD and NOI are never conflated: they are dropped and
/// announced as a gap), `barsOnly` (`demote` only: the latest bar per symbol, nothing else).
/// Lives on the client's event loop, with the client.
struct LaggingClient {
    enum Level: Int, Comparable, Sendable {
        case ticks = 0, conflated = 1, barsOnly = 2

        static func < (a: Level, b: Level) -> Bool { a.rawValue < b.rawValue }

        var message: String {
            switch self {
            case .ticks: "every event again"
            case .conflated: "client is behind: latest quote/bar per symbol only; trades, LULD and NOI dropped (gap)"
            case .barsOnly: "client is still behind: latest bar per symbol only"
            }
        }
    }

    var level = Level.ticks
    /// Latest event per (channel, symbol) not yet written: a slice of its frame (no copy).
    var latest: [UInt64: ByteBuffer] = [:]
    /// When the client last could not take the pending snapshot.
    var lastLag = NIODeadline.now()
    /// Since when the client has been unable to take the pending snapshot, if it is now.
    var lagSince: NIODeadline?
    var lastTransition = NIODeadline.now()

    /// Channels whose newer event replaces the older one for a reader that only wants the current state.
    static func isConflatable(_ code: UInt8) -> Bool {
        switch FeedChannel(rawValue: code) {
        case .Q?, .A?, .AM?, .FMV?, .LV?, .C?, .CA?, .CAS?, .XQ?, .XA?, .XAS?, .XL2?, .V?: true
        default: false
        }
    }

    static func isBar(_ code: UInt8) -> Bool { FeedChannel(rawValue: code)?.isBar ?? false }

    func keeps(_ code: UInt8) -> Bool {
        level == .barsOnly ? Self.isBar(code) : Self.isConflatable(code)
    }

    /// Keeps the latest kept event per (channel, symbol); returns how many events were dropped
    /// (not kept at this level, or replaced by a newer one are not counted: those are conflated).
    mutating func absorb(_ batches: [EventBatch], subscription: ClientSubscription) -> (dropped: Int, conflated: Int) {
        var dropped = 0
        var conflated = 0
        for batch in batches where subscription.mayMatch(channelMask: batch.channelMask) {
            let base = batch.frame.readerIndex
            for record in batch.records where subscription.matches(record) {
                guard keeps(record.channelCode) else {
                    dropped += 1
                    continue
                }
                guard let slice = batch.frame.getSlice(at: base + Int(record.start), length: Int(record.length)) else { continue }
                let key = UInt64(record.channelCode) << 32 | UInt64(record.symbol)
                if latest.updateValue(slice, forKey: key) != nil { conflated += 1 }
            }
        }
        return (dropped, conflated)
    }

    /// Drops pending events this level no longer keeps (after a demotion); returns how many.
    mutating func dropUnkept() -> Int {
        let before = latest.count
        latest = latest.filter { keeps(UInt8(truncatingIfNeeded: $0.key >> 32)) }
        return before - latest.count
    }

    /// The pending events as lines, in one buffer; empties the snapshot.
    mutating func takeSnapshot(allocator: ByteBufferAllocator) -> (ByteBuffer, Int) {
        var bytes = 0
        for value in latest.values { bytes += value.readableBytes + 1 }
        var out = allocator.buffer(capacity: bytes)
        for var value in latest.values {
            out.writeBuffer(&value)
            out.writeInteger(UInt8(ascii: "\n"))
        }
        let count = latest.count
        latest.removeAll(keepingCapacity: true)
        return (out, count)
    }
}

extension Duration {
    /// Whole nanoseconds (for NIO's `TimeAmount`).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
