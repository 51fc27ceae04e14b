/// The optional `jetstream:` section of the `nats` sink: a stream over the sink's subjects so
/// that a late-joining consumer finds the last value of every subject.
///
/// Pure Swift (decoded without libnats); ``JetStreamBinding`` applies it with libnats.
public struct JetStreamSettings: Sendable, Equatable {
    /// Where the stream keeps messages.
    public enum Storage: String, Sendable { case file, memory }

    /// Stream name (letters, digits, `-` and `_`; no `.`, `*`, `>` or spaces).
    public var stream: String
    /// Subjects the stream captures; empty means the sink template's wildcard form (`md.stocks.*.*`).
    public var subjects: [String] = []
    /// Oldest message kept; nil keeps messages until another limit removes them.
    public var maxAge: Duration? = .seconds(86_400)
    /// Messages kept per subject (1 = last value only).
    public var maxMessagesPerSubject = 1
    public var storage = Storage.file
    public var replicas = 1

    public init(stream: String) { self.stream = stream }

    /// Whether `name` is a valid stream name.
    public static func isValidStreamName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { byte in
            byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: ".") && byte != UInt8(ascii: "*") && byte != UInt8(ascii: ">")
                && byte != UInt8(ascii: "/") && byte != UInt8(ascii: "\\")
        }
    }
}

#if NATS
import CNATS
import Foundation
import Logging

/// Creates the configured stream, or binds to it when it already exists (an existing stream is
/// never modified; a stream that does not capture the sink's subjects is reported).
enum JetStreamBinding {
    /// Returns a one-line description of what was done.
    static func ensure(_ settings: JetStreamSettings, subjects: [String], on connection: NATSConnection) throws(NATSError) -> String {
        var context: OpaquePointer?
        try check(natsConnection_JetStream(&context, connection.handle, nil), "natsConnection_JetStream")
        defer { jsCtx_Destroy(context) }

        var info: UnsafeMutablePointer<jsStreamInfo>?
        var errorCode = jsErrCode(rawValue: 0)
        let lookup = js_GetStreamInfo(&info, context, settings.stream, nil, &errorCode)
        if lookup == NATS_OK, let info {
            defer { jsStreamInfo_Destroy(info) }
            var existing: [String] = []
            if let config = info.pointee.Config, let list = config.pointee.Subjects {
                for index in 0..<Int(config.pointee.SubjectsLen) {
                    if let subject = list[index] { existing.append(String(cString: subject)) }
                }
            }
            let missing = subjects.filter { !existing.contains($0) }
            let state = info.pointee.State
            var line = "jetstream: bound to existing stream \(settings.stream) (subjects \(existing.joined(separator: ",")), \(state.Msgs) messages)"
            if !missing.isEmpty {
                line += "; it does not list \(missing.joined(separator: ",")): those events are not stored unless another subject filter covers them"
            }
            return line
        }
        guard lookup == NATS_NOT_FOUND || errorCode == JSStreamNotFoundErr else {
            throw NATSError(lookup, "looking up stream \(settings.stream)")
        }

        var config = jsStreamConfig()
        try check(jsStreamConfig_Init(&config), "jsStreamConfig_Init")
        let name = strdup(settings.stream)
        defer { free(name) }
        let subjectPointers = subjects.map { UnsafePointer(strdup($0)) }
        defer { subjectPointers.forEach { free(UnsafeMutablePointer(mutating: $0)) } }
        var subjectList = subjectPointers
        config.Name = UnsafePointer(name)
        config.SubjectsLen = Int32(subjectList.count)
        config.MaxAge = settings.maxAge.map { $0.components.seconds * 1_000_000_000 + $0.components.attoseconds / 1_000_000_000 } ?? 0
        config.MaxMsgsPerSubject = Int64(settings.maxMessagesPerSubject)
        config.Storage = settings.storage == .memory ? js_MemoryStorage : js_FileStorage
        config.Replicas = Int64(settings.replicas)
        let created: natsStatus = subjectList.withUnsafeMutableBufferPointer { buffer in
            config.Subjects = buffer.baseAddress
            var created: UnsafeMutablePointer<jsStreamInfo>?
            let status = js_AddStream(&created, context, &config, nil, &errorCode)
            if let created { jsStreamInfo_Destroy(created) }
            config.Subjects = nil
            return status
        }
        try check(created, "creating stream \(settings.stream) (jetstream error \(errorCode.rawValue))")
        return "jetstream: created stream \(settings.stream) over \(subjects.joined(separator: ",")) (\(settings.storage.rawValue), "
            + "max_msgs_per_subject \(settings.maxMessagesPerSubject), max_age \(settings.maxAge.map { "\($0)" } ?? "unlimited"))"
    }
}
#endif
