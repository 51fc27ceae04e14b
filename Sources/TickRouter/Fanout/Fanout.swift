import NIOCore
import Synchronization

/// Hands each processed batch to every sink whose filter it matches: one push per sink per batch.
///
/// The set of sinks changes only on reload. A hot-path caller keeps a ``Snapshot`` of it and
/// publishes through that: one plain atomic load per batch tells whether the set changed (no lock,
/// no reference counting); other callers read it under an uncontended lock.
public final class Fanout: Sendable {
    private let inlets: Mutex<[SinkInlet]>
    /// Bumped after every change of `inlets`.
    private let generation = Atomic<Int>(0)

    public init(inlets: [SinkInlet]) {
        self.inlets = Mutex(inlets.filter { $0.channelMask != 0 })
    }

    /// Replaces the set of sinks (reload). A snapshot sees the new set at its next publish.
    public func setInlets(_ newInlets: [SinkInlet]) {
        let filtered = newInlets.filter { $0.channelMask != 0 }
        inlets.withLock { $0 = filtered }
        generation.wrappingAdd(1, ordering: .releasing)
    }

    /// A publisher's copy of the set of sinks, refreshed when it changes.
    public struct Snapshot: Sendable {
        fileprivate var generation = -1
        fileprivate var inlets: [SinkInlet] = []

        public init() {}
    }

    @inline(__always)
    public func publish(_ batch: EventBatch) {
        let current = inlets.withLock { $0 }
        for inlet in current where inlet.channelMask & batch.channelMask != 0 {
            inlet.push(batch)
        }
    }

    /// Publishes through `snapshot`, reading the set of sinks again only if it changed.
    @inline(__always)
    public func publish(_ batch: EventBatch, through snapshot: inout Snapshot) {
        let current = generation.load(ordering: .acquiring)
        if current != snapshot.generation { refresh(&snapshot, to: current) }
        for inlet in snapshot.inlets where inlet.channelMask & batch.channelMask != 0 {
            inlet.push(batch)
        }
    }

    @inline(never)
    private func refresh(_ snapshot: inout Snapshot, to generation: Int) {
        snapshot.inlets = inlets.withLock { $0 }
        snapshot.generation = generation
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
