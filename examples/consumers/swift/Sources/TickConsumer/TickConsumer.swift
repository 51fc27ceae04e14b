import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Reads TickRouter's Unix socket: subscribes with the provider's syntax, parses each event line
/// and checks per-(channel, symbol) sequence numbers for gaps.
///
///     swift run TickConsumer <socket-path> <subscription> <seconds>
///     swift run TickConsumer tickrouter.sock 'T.AAPL,Q.*' 10
@main
struct TickConsumer {
    static func main() throws {
        let arguments = CommandLine.arguments
        let path = arguments.count > 1 ? arguments[1] : "tickrouter.sock"
        let subscription = arguments.count > 2 ? arguments[2] : "T.*"
        let seconds = arguments.count > 3 ? Double(arguments[3]) ?? 10 : 10

        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: Array(path.utf8.prefix(raw.count - 1)) + [0])
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            FileHandle.standardError.write(Data("cannot connect to \(path)\n".utf8))
            exit(2)
        }
        let action = #"{"action":"subscribe","params":"\#(subscription)"}"# + "\n"
        _ = action.utf8CString.withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count - 1) }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

        var last: [String: Int] = [:]
        var events = 0
        var gaps = 0
        var pending = Data()
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        let deadline = Date().addingTimeInterval(seconds)
        reading: while Date() < deadline {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count == 0 { break }
            if count < 0 { continue }
            pending.append(contentsOf: buffer[0..<count])
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = pending[pending.startIndex..<newline]
                pending = pending[(newline + 1)...]
                guard let event = try? JSONSerialization.jsonObject(with: line) as? [String: Any],
                    let channel = event["ev"] as? String
                else { continue }
                if channel == "status" {
                    FileHandle.standardError.write(Data("status: \(event["status"] ?? "") \(event["message"] ?? "")\n".utf8))
                    continue
                }
                events += 1
                let symbol = (event["sym"] as? String) ?? (event["T"] as? String) ?? "?"
                guard let sequence = (channel == "NOI" ? event["i"] : event["q"]) as? Int else { continue }
                let key = channel + "." + symbol
                if let previous = last[key], sequence > previous + 1 { gaps += 1 }
                if sequence > last[key, default: Int.min] { last[key] = sequence }
                if Date() >= deadline { break reading }
            }
        }
        close(fd)
        print(#"{"events":\#(events),"streams":\#(last.count),"gaps":\#(gaps)}"#)
        exit(events > 0 && gaps == 0 ? 0 : 1)
    }
}
