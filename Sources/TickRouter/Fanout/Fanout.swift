/// Hands each processed batch to every sink whose filter it matches: one push per sink per batch.
public struct Fanout: Sendable {
    public let inlets: [SinkInlet]

    public init(inlets: [SinkInlet]) {
        self.inlets = inlets
    }

    @inline(__always)
    public func publish(_ batch: EventBatch) {
        for inlet in inlets where inlet.channelMask & batch.channelMask != 0 {
            inlet.push(batch)
        }
    }
}
