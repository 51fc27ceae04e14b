import NIOCore
import Synchronization

/// Hands each processed batch to every sink whose filter it matches: one push per sink per batch.
/// The set of sinks changes only on reload; a publish reads it under an uncontended lock.
public final class Fanout: Sendable {
    private let inlets: Mutex<[SinkInlet]>

    public init(inlets: [SinkInlet]) {
        self.inlets = Mutex(inlets.filter { $0.channelMask != 0 })
    }

    /// Replaces the set of sinks (reload).
    public func setInlets(_ newInlets: [SinkInlet]) {
        let filtered = newInlets.filter { $0.channelMask != 0 }
        inlets.withLock { $0 = filtered }
    }

    @inline(__always)
    public func publish(_ batch: EventBatch) {
        let current = inlets.withLock { $0 }
        for inlet in current where inlet.channelMask & batch.channelMask != 0 {
            inlet.push(batch)
        }
    }

    /// Sends a provider-shaped status object (`{"ev":"status",...}`) to every sink, as its own batch.
    public func publishStatus(_ json: String) {
        var frame = ByteBufferAllocator().buffer(capacity: json.utf8.count)
        frame.writeString(json)
        var batch = EventBatch(
            frame: frame,
            records: [EventRecord(channelCode: EventRecord.statusChannel, symbol: SymbolTable.none, start: 0, length: UInt32(frame.readableBytes))]
        )
        batch.recomputeChannelMask()
        publish(batch)
    }
}
