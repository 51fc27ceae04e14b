import NIOCore
import CMemoryHints

/// Frames shared by held events, counted by plain integers: a frame is let go when the last held
/// event pointing into it is delivered or superseded and its batch has unpinned it.
struct FramePool: Sendable {
    /// nil for a free slot: freeing and filling a slot then costs one reference count, the frame's.
    private var frames: [ByteBuffer?] = []
    /// Address of each frame's readable bytes (as an integer, to stay `Sendable`): the pool
    /// keeps the frame alive and nothing writes to it, so the address holds until it is let go,
    /// and copying an event out costs no call into the buffer.
    private let bases = PlainColumn<Int>()
    /// Per frame, the held events pointing into it plus its batch's pin (plain memory: counted
    /// per held event).
    private let uses = PlainColumn<Int32>()
    private var free: [Int32] = []

    /// Adds `frame` with one use (the caller's pin).
    mutating func add(_ frame: ByteBuffer) -> Int32 {
        let base = frame.withUnsafeReadableBytes { Int(bitPattern: $0.baseAddress) }
        if let id = free.popLast() {
            frames[Int(id)] = frame
            bases[Int(id)] = base
            uses[Int(id)] = 1
            return id
        }
        frames.append(frame)
        bases.append(base)
        uses.append(1)
        return Int32(frames.count - 1)
    }

    @inline(__always) mutating func retain(_ id: Int32, by count: Int32 = 1) { uses[Int(id)] &+= count }

    @inline(__always) mutating func release(_ id: Int32) {
        uses[Int(id)] &-= 1
        if uses[Int(id)] == 0 { letGo(id) }
    }

    /// The per-frame use counts' memory, for a loop that releases uses itself (with
    /// ``letGo(_:)`` at zero); valid until the pool next adds a frame.
    @inline(__always) var useCounts: UnsafeMutablePointer<Int32> { uses.base }

    /// Lets go of a frame no held event points into any more.
    @inline(never) mutating func letGo(_ id: Int32) {
        frames[Int(id)] = nil
        bases[Int(id)] = 0
        free.append(id)
    }

    /// The bytes of `record`, an event of frame `id` (valid while the frame is held).
    @inline(__always) func bytes(of record: EventRecord, in id: Int32) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: UnsafeRawPointer(bitPattern: bases[Int(id)])! + Int(record.start), count: Int(record.length))
    }

    /// Starts bringing the bytes of `record`, an event of frame `id`, into the cache (a held
    /// event's frame arrived a window ago and has likely left the nearer caches).
    @inline(__always) func prefetch(_ record: EventRecord, in id: Int32) {
        let start = UnsafeRawPointer(bitPattern: bases[Int(id)])! + Int(record.start)
        var line = 0
        while line < Int(record.length) {
            tr_prefetch(start + line)
            line &+= 64
        }
        tr_prefetch(start + Int(record.length) - 1)
    }

    /// Copies the bytes of `record`, an event of frame `id`, to `target`.
    @inline(__always) func copy(_ record: EventRecord, in id: Int32, to target: UnsafeMutableRawPointer) {
        target.copyMemory(from: UnsafeRawPointer(bitPattern: bases[Int(id)])! + Int(record.start), byteCount: Int(record.length))
    }
}
