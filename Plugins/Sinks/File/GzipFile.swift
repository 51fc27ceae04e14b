import CompressNIO
import Foundation
import NIOCore

/// Compresses a closed file to `path.gz` (zlib through compress-nio), streaming in chunks,
/// then removes the original. The `.gz` appears under its final name only once complete.
enum GzipFile {
    static let chunkBytes = 1 << 20

    static func compress(_ path: String, syncToDisk: Bool) throws {
        let input = open(path, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw FileSegment.IOError(operation: "open", path: path, code: errno) }
        defer { close(input) }
        let temporary = path + ".gz.partial"
        let output = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard output >= 0 else { throw FileSegment.IOError(operation: "open", path: temporary, code: errno) }
        var outputOpen = true
        defer { if outputOpen { close(output) } }

        let compressor = try ZlibCompressor(algorithm: .gzip)
        var chunk = ByteBufferAllocator().buffer(capacity: chunkBytes)
        var out = ByteBufferAllocator().buffer(capacity: chunkBytes + 1024)
        var finished = false
        while !finished {
            chunk.clear()
            let count = chunk.writeWithUnsafeMutableBytes(minimumWritableBytes: chunkBytes) { raw in
                max(0, read(input, raw.baseAddress!, chunkBytes))
            }
            finished = count == 0
            out.clear()
            out.reserveCapacity(compressor.maxSize(from: chunk) + 64)
            if finished {
                // The stream's end; retried with more room until zlib says it is done.
                while true {
                    do {
                        try compressor.deflate(from: &chunk, to: &out, flush: .finish)
                        break
                    } catch let error as CompressNIOError where error == .bufferOverflow {
                        try writeAll(output, &out, path: temporary)
                        out.reserveCapacity(64 << 10)
                    }
                }
            } else {
                try compressor.deflate(from: &chunk, to: &out, flush: .no)
            }
            try writeAll(output, &out, path: temporary)
        }
        if syncToDisk, fsync(output) != 0 { throw FileSegment.IOError(operation: "fsync", path: temporary, code: errno) }
        close(output)
        outputOpen = false
        guard rename(temporary, path + ".gz") == 0 else { throw FileSegment.IOError(operation: "rename", path: temporary, code: errno) }
        unlink(path)
    }

    private static func writeAll(_ fd: Int32, _ buffer: inout ByteBuffer, path: String) throws {
        try buffer.withUnsafeReadableBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw FileSegment.IOError(operation: "write", path: path, code: errno)
                }
                offset += written
            }
        }
        buffer.clear()
    }
}
