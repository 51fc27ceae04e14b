/// A tick's worth of rendered events: one contiguous byte array and, per event, where its JSON
/// object lies plus the (channel, symbol) it belongs to, for subscription matching.
struct EventBatch {
    /// One rendered event inside `writer.bytes`.
    struct Ref {
        var start: Int32
        var length: Int32
        var channel: UInt8
        var symbol: Int32
    }

    var writer = ByteWriter(capacity: 1 << 16)
    var events: [Ref] = []

    var isEmpty: Bool { events.isEmpty }

    mutating func removeAll() {
        writer.removeAll()
        events.removeAll(keepingCapacity: true)
    }

    /// Records that everything written since `start` is one event.
    @inline(__always) mutating func commit(start: Int, channel: SimChannel, symbol: Int) {
        events.append(
            Ref(
                start: Int32(truncatingIfNeeded: start),
                length: Int32(truncatingIfNeeded: writer.count - start),
                channel: UInt8(channel.rawValue),
                symbol: Int32(truncatingIfNeeded: symbol)
            )
        )
    }
}
