import NIOCore
import Synchronization

/// Fault injection handle for a running `Simulator`. Cheap to copy; every call takes effect
/// immediately on the connections open at that moment.
public struct SimulatorFaults: Sendable {
    let core: SimulatorCore

    /// Cuts the TCP connection of every client (or only those on `path`, e.g. `/stocks`)
    /// without a WebSocket close handshake.
    public func dropConnections(path: String? = nil) {
        core.dropConnections(path: path)
    }

    /// Drops one connection, identified by the `connectionID` of its ``RecordedAction``s.
    public func dropConnection(id: Int) {
        core.dropConnection(id: id)
    }

    /// Refuses new WebSocket upgrades for `duration`, so dropped clients stay down that long.
    public func refuseConnections(for duration: Duration) {
        let until = ContinuousClock.now + duration
        core.faultState.withLock { $0.refuseUpgradesUntil = until }
    }

    /// Sends every client a text frame that is not valid JSON (a truncated event array).
    public func sendMalformedFrame() {
        core.broadcast(StatusFrame.malformed)
    }

    /// Sends every client one text frame with exactly these bytes (not checked: non-UTF-8,
    /// truncated or unknown events are the point).
    public func sendFrame(_ bytes: [UInt8]) {
        core.broadcast(ByteBuffer(bytes: bytes))
    }

    /// Sends every client one valid JSON array frame of at least `bytes` bytes (a status
    /// object whose message is padding).
    public func sendOversizedFrame(bytes: Int) {
        core.broadcast(StatusFrame.oversized(bytes: bytes))
    }

    /// Stops generating events for `duration`; no backlog is produced, sequence numbers
    /// continue without gaps afterwards. Control messages keep flowing.
    public func stall(for duration: Duration) {
        let until = ContinuousClock.now.advanced(by: duration)
        core.faultState.withLock { $0.stallUntil = until }
    }

    /// The next `auth` action (from any client) is answered with `status` and the connection closed.
    public func rejectNextAuth(status: String = "auth_failed") {
        core.faultState.withLock { $0.rejectNextAuth = status }
    }

    /// Sends every client a status frame (e.g. `max_connections`, `slow_consumer`,
    /// `force_disconnect`) and, if `thenClose`, closes it: code 1008 for `max_connections`,
    /// 1000 otherwise.
    public func sendStatus(_ status: String, message: String, thenClose: Bool) {
        core.broadcastStatus(status, message: message, thenClose: thenClose)
    }
}
