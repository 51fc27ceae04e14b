/// Live figures of a sink's connection to a broker (NATS today), as its client library reports them.
///
/// Unused (all zero) for sinks that serve local clients. Updated from the client library's
/// callback threads and once per drained set of batches, never per event.
public final class SinkLinkStats: Sendable {
    /// 1 while connected to a server, 0 otherwise.
    public let connected = Counter()
    /// Times the connection to the server was lost.
    public let disconnects = Counter()
    /// Times it was re-established.
    public let reconnects = Counter()
    /// Asynchronous errors the client library reported (server `-ERR`, permission violations, ...).
    public let asyncErrors = Counter()
    /// Slow-consumer reports among them.
    public let slowConsumers = Counter()
    /// Events handed to the client library while disconnected, held in its reconnect buffer and
    /// sent when the connection came back.
    public let bufferedWhileDisconnected = Counter()
    /// Bytes of event payload handed to the client library.
    public let bytesPublished = Counter()
    /// Messages handed to the client library (one per event, or one per array in batch mode).
    public let messagesPublished = Counter()

    public init() {}
}
