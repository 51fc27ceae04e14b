/// One client action the simulator received, kept for tests and diagnostics.
public struct RecordedAction: Sendable, Equatable, CustomStringConvertible {
    /// Server-assigned connection number, starting at 1, in order of upgrade.
    public var connectionID: Int
    /// The WebSocket path the connection was opened on (`/stocks`, `/business/stocks`, ...).
    public var path: String
    /// The `action` field (`auth`, `subscribe`, ...), or `invalid` for an unparseable message.
    public var action: String
    /// The `params` field, or the raw message text for an unparseable message.
    public var params: String

    public init(connectionID: Int, path: String, action: String, params: String) {
        self.connectionID = connectionID
        self.path = path
        self.action = action
        self.params = params
    }

    public var description: String { "#\(connectionID) \(path) \(action) \(params)" }
}
