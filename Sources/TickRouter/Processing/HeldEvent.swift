public import NIOCore

/// An event kept by a time-based policy (a throttle window, an emission buffer): its record and
/// the bytes it came in.
///
/// Holding an event shares the frame it arrived in (a reference count, no copy): most held events
/// are superseded by a newer one before they are due, so their bytes are copied only once, when
/// they are delivered. A frame larger than ``sharedFrameLimit`` is not kept alive for one event:
/// that event's bytes are copied out instead.
public struct HeldEvent: Sendable {
    /// The event's record; `start` and `length` locate its bytes in ``storage``'s readable bytes.
    public var record: EventRecord
    /// The frame the event arrived in, or a copy of the event's bytes alone.
    public var storage: ByteBuffer

    /// What a freed slot holds instead of a frame.
    public static let noStorage = ByteBufferAllocator().buffer(capacity: 0)

    /// Frames up to this size are shared by the events held from them.
    public static let sharedFrameLimit = 64 << 10

    /// Holds `record`, an event of `frame`.
    @inlinable public init(record: EventRecord, in frame: ByteBuffer) {
        if frame.readableBytes <= Self.sharedFrameLimit {
            self.record = record
            self.storage = frame
        } else {
            self = frame.withUnsafeReadableBytes { HeldEvent(record: record, copying: UnsafeRawBufferPointer(rebasing: $0[record.byteRange])) }
        }
    }

    /// Holds `record` with a copy of its bytes.
    public init(record: EventRecord, copying bytes: UnsafeRawBufferPointer) {
        var copy = ByteBufferAllocator().buffer(capacity: bytes.count)
        copy.writeBytes(bytes)
        var record = record
        record.start = 0
        record.length = UInt32(copy.readableBytes)
        self.record = record
        self.storage = copy
    }

    /// Calls `body` with the event's bytes.
    @inlinable public func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try storage.withUnsafeReadableBytes { all in
            try body(UnsafeRawBufferPointer(rebasing: all[record.byteRange]))
        }
    }

    /// A copy of the event's bytes (tests, diagnostics).
    public var bytes: [UInt8] { withBytes { Array($0) } }
}
