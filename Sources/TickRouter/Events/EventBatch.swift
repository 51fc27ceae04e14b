public import NIOCore

/// Index of a feed connection in the engine's connection list.
public typealias ConnectionIndex = UInt16

/// The unit of work on the hot path: one provider frame and the events decoded from it.
///
/// A batch is a value: its frame bytes (`ByteBuffer`) and records (`Array`) are copy-on-write, so
/// handing the same batch to several sinks shares the bytes without copying them.
public struct EventBatch: Sendable {
    /// The frame exactly as received. Record offsets are relative to its reader index.
    public var frame: ByteBuffer
    /// Events in frame order. Processors remove events by compacting this array in place.
    public var records: [EventRecord]
    /// The connection that received the frame.
    public var connection: ConnectionIndex
    /// Monotonic receive time in nanoseconds (`NIODeadline.now().uptimeNanoseconds`), for latency.
    public var receivedAt: UInt64
    /// Bit `1 << channel.rawValue` is set when the batch holds an event of that channel; bit 31 for
    /// unknown `ev`, bit 30 for the router's own status objects.
    public var channelMask: UInt32

    public init(frame: ByteBuffer, records: [EventRecord] = [], connection: ConnectionIndex = 0, receivedAt: UInt64 = 0) {
        self.frame = frame
        self.records = records
        self.connection = connection
        self.receivedAt = receivedAt
        self.channelMask = 0
    }

    /// Mask bit of a record's channel code.
    @inlinable public static func maskBit(_ channelCode: UInt8) -> UInt32 {
        switch channelCode {
        case EventRecord.unknownChannel: 1 << 31
        case EventRecord.statusChannel: 1 << 30
        default: 1 << UInt32(channelCode & 0x1F)
        }
    }

    /// The mask bit of router status objects.
    public static let statusMask: UInt32 = 1 << 30

    /// Recomputes ``channelMask`` from the records.
    public mutating func recomputeChannelMask() {
        var mask: UInt32 = 0
        for record in records { mask |= Self.maskBit(record.channelCode) }
        channelMask = mask
    }

    /// Calls `body` with the raw bytes of one event.
    @inlinable public func withEventBytes<R>(_ record: EventRecord, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try frame.withUnsafeReadableBytes { all in
            try body(UnsafeRawBufferPointer(rebasing: all[record.byteRange]))
        }
    }
}
