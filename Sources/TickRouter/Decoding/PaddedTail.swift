/// A decoder's scratch copy of a frame's last bytes, followed by zeros.
///
/// The plain path loads eight or sixteen bytes at a time, so near the end of a frame it cannot
/// read in place and gives up; the frame's last event would then always take the general path.
/// Copied here, the last event can be decoded by the plain path: the bytes after it are loadable
/// zeros, and the decoder keeps the result only when the object ended inside the copied bytes
/// (everything it validated was the frame's), so the answer is the one the general path gives.
final class PaddedTail {
    /// Longest tail copied (the frame's last object and what follows it).
    static let capacity = 256
    /// Zero bytes after the copy: more than the plain path loads past any byte it reads.
    static let padding = 32

    let storage: UnsafeMutableRawBufferPointer

    init() {
        storage = .allocate(byteCount: Self.capacity + Self.padding, alignment: 16)
        storage.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit { storage.deallocate() }

    /// Copies `bytes` (at most ``capacity``) and returns them followed by ``padding`` zeros.
    func copy(_ bytes: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        storage.baseAddress!.copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        (storage.baseAddress! + bytes.count).initializeMemory(as: UInt8.self, repeating: 0, count: Self.padding)
        return UnsafeRawBufferPointer(rebasing: storage[0..<(bytes.count + Self.padding)])
    }
}
