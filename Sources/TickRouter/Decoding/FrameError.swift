/// Why a frame could not be decoded. Frames that fail are counted and quarantined whole.
public struct FrameError: Error, Sendable, Equatable, CustomStringConvertible {
    /// What was wrong.
    public enum Reason: String, Sendable, CaseIterable {
        case notAnArray = "frame is not a JSON array"
        case elementNotObject = "array element is not an object"
        case unexpectedByte = "unexpected byte"
        case unexpectedEnd = "frame ends inside a value"
        case invalidString = "invalid string (control character or bad escape)"
        case invalidUTF8 = "invalid UTF-8"
        case invalidNumber = "invalid number"
        case invalidLiteral = "invalid literal"
        case tooDeep = "nesting deeper than 64"
        case trailingData = "data after the closing bracket"
        case tooLarge = "frame larger than 4 GiB"
    }

    public var reason: Reason
    /// Byte offset in the frame where the problem was found.
    public var offset: Int

    public init(_ reason: Reason, at offset: Int) {
        self.reason = reason
        self.offset = offset
    }

    public var description: String { "\(reason.rawValue) at byte \(offset)" }
}

/// A provider status message (`{"ev":"status","status":...,"message":...}`) found in a frame.
public struct ProviderStatus: Sendable, Equatable {
    public var status: String
    public var message: String

    public init(status: String, message: String) {
        self.status = status
        self.message = message
    }
}
