import Foundation

/// The group a socket file is given (`group: NAME` or a numeric gid), resolved when the config is
/// loaded so an unknown group is a config error with its position, not a failure at start.
public struct SocketGroup: Sendable, Equatable {
    public var name: String
    public var gid: UInt32

    /// Looks `text` up as a group name, then as a numeric gid; nil if neither exists.
    public init?(resolving text: String) {
        if let entry = getgrnam(text) {
            self.init(name: text, gid: entry.pointee.gr_gid)
        } else if let gid = UInt32(text), let entry = getgrgid(gid) {
            self.init(name: String(cString: entry.pointee.gr_name), gid: gid)
        } else {
            return nil
        }
    }

    public init(name: String, gid: UInt32) {
        self.name = name
        self.gid = gid
    }
}
