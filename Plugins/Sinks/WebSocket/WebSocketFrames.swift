import NIOCore
import TickRouter

/// Events encoded as provider-style JSON array frames (`[ev1,ev2,...]`) for one subscription.
///
/// Every frame of one drain lives in a single buffer; the frames are slices of it, so encoding
/// allocates once per distinct subscription and every client sharing that subscription gets the
/// very same bytes.
struct EncodedFrames: Sendable {
    var frames: [(buffer: ByteBuffer, events: Int)] = []
    var events: Int { frames.reduce(0) { $0 + $1.events } }

    /// Encodes the events of `batches` that `subscription` matches, at most `maxEvents` events and
    /// about `maxBytes` bytes per frame (a single larger event still goes out alone).
    static func encode(
        _ batches: [EventBatch], for subscription: ClientSubscription, maxEvents: Int, maxBytes: Int, capacity: Int
    ) -> EncodedFrames {
        var out = ByteBufferAllocator().buffer(capacity: capacity)
        var bounds: [(start: Int, end: Int, events: Int)] = []
        var frameStart = -1
        var inFrame = 0
        for batch in batches where subscription.mayMatch(channelMask: batch.channelMask) {
            batch.frame.withUnsafeReadableBytes { frame in
                for record in batch.records where subscription.matches(record) {
                    let length = record.byteRange.count
                    if inFrame > 0, inFrame >= maxEvents || out.writerIndex - frameStart + length + 2 > maxBytes {
                        out.writeInteger(UInt8(ascii: "]"))
                        bounds.append((frameStart, out.writerIndex, inFrame))
                        inFrame = 0
                    }
                    if inFrame == 0 {
                        frameStart = out.writerIndex
                        out.writeInteger(UInt8(ascii: "["))
                    } else {
                        out.writeInteger(UInt8(ascii: ","))
                    }
                    out.writeBytes(UnsafeRawBufferPointer(rebasing: frame[record.byteRange]))
                    inFrame += 1
                }
            }
        }
        if inFrame > 0 {
            out.writeInteger(UInt8(ascii: "]"))
            bounds.append((frameStart, out.writerIndex, inFrame))
        }
        var result = EncodedFrames()
        result.frames.reserveCapacity(bounds.count)
        for bound in bounds {
            // Slices share the one storage; the bounds were written just above, so they exist.
            if let slice = out.getSlice(at: bound.start, length: bound.end - bound.start) {
                result.frames.append((slice, bound.events))
            }
        }
        return result
    }

    /// A provider status array with one object: `[{"ev":"status",...}]`.
    static func status(_ status: String, _ message: String, extra: [(String, Int)] = []) -> ByteBuffer {
        ByteBuffer(string: "[" + StatusLine.json(status: status, message: message, extra: extra) + "]")
    }

    /// `frame` with a status object put in front of its events: `[{status},ev1,...]`.
    static func prepending(_ statusObject: String, to frame: ByteBuffer) -> ByteBuffer {
        var out = ByteBufferAllocator().buffer(capacity: frame.readableBytes + statusObject.utf8.count + 2)
        out.writeInteger(UInt8(ascii: "["))
        out.writeString(statusObject)
        var rest = frame
        rest.moveReaderIndex(forwardBy: 1)  // past "["
        if rest.readableBytes > 1 { out.writeInteger(UInt8(ascii: ",")) }
        out.writeBuffer(&rest)
        return out
    }
}
