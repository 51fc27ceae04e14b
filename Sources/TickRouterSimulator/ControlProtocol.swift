import Foundation
import NIOCore

/// Builders for the provider's status frames: `[{"ev":"status","status":..,"message":..}]`.
enum StatusFrame {
    static func make(_ status: String, _ message: String) -> ByteBuffer {
        var writer = ByteWriter(capacity: 64 + message.utf8.count)
        writer.append("[{\"ev\":\"status\",\"status\":")
        writer.appendJSONString(status)
        writer.append(",\"message\":")
        writer.appendJSONString(message)
        writer.append("}]")
        return ByteBuffer(bytes: writer.bytes)
    }

    static let connected = make("connected", "Connected Successfully")
    static let authSuccess = make("auth_success", "authenticated")
    static let authFailed = make("auth_failed", "authentication failed")
    static let authRequired = make("auth_required", "you must authenticate before subscribing")
}

/// A client action as sent on the socket: `{"action":"auth"|"subscribe"|"unsubscribe","params":"..."}`.
struct ClientAction: Sendable, Equatable {
    var action: String
    var params: String

    /// Why a client message could not be understood; the text goes into an `error` status.
    struct Invalid: Error {
        var message: String
    }

    /// Parses a client message with `JSONSerialization` (control plane, not hot).
    static func parse(_ bytes: [UInt8]) -> Result<ClientAction, Invalid> {
        guard
            let object = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]),
            let dictionary = object as? [String: Any]
        else { return .failure(Invalid(message: "invalid json")) }
        guard let action = dictionary["action"] as? String else {
            return .failure(Invalid(message: "missing action"))
        }
        let params: String
        switch dictionary["params"] {
        case nil, is NSNull: params = ""
        case let text as String: params = text
        default: return .failure(Invalid(message: "params must be a string"))
        }
        return .success(ClientAction(action: action, params: params))
    }

    /// Splits subscribe params: comma-separated, trimmed, empty items dropped; each item is
    /// split on its first dot into (prefix, symbol) — `T.BRK.A` is channel T, symbol `BRK.A`.
    static func items(_ params: String) -> [(item: String, prefix: Substring, symbol: Substring?)] {
        params.split(separator: ",", omittingEmptySubsequences: true).compactMap { raw in
            let item = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !item.isEmpty else { return nil }
            let text = Substring(item)
            guard let dot = text.firstIndex(of: ".") else { return (item, text, nil) }
            return (item, text[..<dot], text[text.index(after: dot)...])
        }
    }
}

extension StatusFrame {
    /// A frame that is not valid JSON: an event array cut in the middle of an object.
    static let malformed = ByteBuffer(string: "[{\"ev\":\"T\",\"sym\":\"AAPL\",\"p\":12")

    /// A valid single-status array of at least `bytes` bytes.
    static func oversized(bytes: Int) -> ByteBuffer {
        let overhead = #"[{"ev":"status","status":"padding","message":""}]"#.utf8.count
        return make("padding", String(repeating: "x", count: max(0, bytes - overhead)))
    }
}
