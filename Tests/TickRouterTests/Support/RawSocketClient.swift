import Foundation

/// A blocking Unix-socket client on plain POSIX calls: it writes when told and reads only when
/// asked, so a test can make it stall for as long as it likes.
final class RawSocketClient: @unchecked Sendable {
    let descriptor: Int32

    init(path: String) throws {
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: Array(path.utf8.prefix(raw.count - 1)) + [0])
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard result == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    func send(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    }

    /// Writes all of `bytes` (blocking), as they are: no newline added. Returns false if the server closed.
    @discardableResult
    func writeAll(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written <= 0 { return false }
            offset += written
        }
        return true
    }

    /// Reads lines until `count` lines arrived or `limit` passed.
    func readLines(_ count: Int, limit: Duration = .seconds(10)) -> [String] {
        var lines: [String] = []
        var pending: [UInt8] = []
        let deadline = ContinuousClock.now + limit
        var buffer = [UInt8](repeating: 0, count: 65536)
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        while lines.count < count, ContinuousClock.now < deadline {
            let read = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if read == 0 { break }
            if read < 0 { continue }
            pending.append(contentsOf: buffer[0..<read])
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                lines.append(String(decoding: pending[..<newline], as: UTF8.self))
                pending.removeSubrange(...newline)
            }
        }
        return lines
    }

    /// Reads lines, as fast as they come, until `stop` returns true for one (included) or `limit` passed.
    func readLines(limit: Duration = .seconds(60), until stop: (String) -> Bool) -> [String] {
        var lines: [String] = []
        var pending: [UInt8] = []
        let deadline = ContinuousClock.now + limit
        var buffer = [UInt8](repeating: 0, count: 1 << 18)
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        while ContinuousClock.now < deadline {
            let read = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if read == 0 { break }
            if read < 0 { continue }
            pending.append(contentsOf: buffer[0..<read])
            var start = 0
            while let newline = pending[start...].firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[start..<newline], as: UTF8.self)
                lines.append(line)
                start = newline + 1
                if stop(line) { return lines }
            }
            pending.removeFirst(start)
        }
        return lines
    }

    /// Bytes received and not read yet (`FIONREAD`).
    var unreadBytes: Int {
        var count: Int32 = 0
        _ = ioctl(descriptor, UInt(FIONREAD), &count)
        return Int(count)
    }

    deinit { close(descriptor) }
}

/// Runs blocking work (a `RawSocketClient` read) on its own thread, so a long blocking read never
/// occupies one of the few cooperative threads other tests need.
func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: work()) }
        thread.start()
    }
}
