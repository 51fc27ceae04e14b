import Foundation
import NIOCore

/// One open output file: a write buffer in front of a POSIX file descriptor.
///
/// Used only on the file sink's writer thread, one call at a time.
final class FileSegment {
    let path: String
    private let fd: Int32
    private var buffer: ByteBuffer
    /// Bytes in the file plus those still buffered.
    private(set) var size: Int
    /// Events in `buffer`, counted as written once they reach the kernel.
    private(set) var bufferedEvents = 0
    private(set) var dirty = false

    struct IOError: Error, CustomStringConvertible {
        var operation: String
        var path: String
        var code: Int32
        var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
    }

    /// Opens (creating directories as needed) for appending; the file is created with `mode`.
    init(path: String, mode: Int, bufferCapacity: Int) throws {
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, mode_t(mode))
        guard fd >= 0 else { throw IOError(operation: "open", path: path, code: errno) }
        self.fd = fd
        self.path = path
        self.size = max(0, Int(lseek(fd, 0, SEEK_END)))
        self.buffer = ByteBufferAllocator().buffer(capacity: bufferCapacity)
    }

    deinit { close(fd) }

    /// Appends one event's bytes and a newline to the buffer.
    @inline(__always)
    func append(_ bytes: UnsafeRawBufferPointer) {
        buffer.writeBytes(bytes)
        buffer.writeInteger(UInt8(ascii: "\n"))
        size += bytes.count + 1
        bufferedEvents += 1
    }

    var bufferedBytes: Int { buffer.readableBytes }

    /// Writes the buffer out; returns the events that reached the kernel.
    func flush() throws -> Int {
        guard buffer.readableBytes > 0 else { return 0 }
        try buffer.withUnsafeReadableBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw IOError(operation: "write", path: path, code: errno)
                }
                offset += written
            }
        }
        buffer.clear()
        dirty = true
        defer { bufferedEvents = 0 }
        return bufferedEvents
    }

    /// Discards what is buffered (after a failed write); returns the events lost.
    func discardBuffer() -> Int {
        let lost = bufferedEvents
        size -= buffer.readableBytes
        buffer.clear()
        bufferedEvents = 0
        return lost
    }

    func sync() throws {
        guard dirty else { return }
        guard fsync(fd) == 0 else { throw IOError(operation: "fsync", path: path, code: errno) }
        dirty = false
    }
}
