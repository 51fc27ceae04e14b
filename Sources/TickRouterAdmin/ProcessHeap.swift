import CProcessHeap
public import Logging
public import ServiceLifecycle
import Synchronization

/// The process's malloc heap: what the program holds, what the allocator keeps free, and handing
/// the free pages back to the kernel (glibc; elsewhere the figures are zero and nothing is done).
public enum ProcessHeap {
    /// Heap figures in bytes.
    public struct Figures: Sendable {
        /// Bytes in allocated chunks: the program's live data.
        public var inUse: Int
        /// Bytes in free chunks the allocator keeps (resident or already given back).
        public var free: Int
        /// The process's resident memory not backed by files: the heap's resident part, stacks.
        public var residentAnonymous: Int
    }

    /// The heap's figures now (walks the allocator's arenas: call it seconds apart, not per event).
    public static var figures: Figures {
        let figures = tr_heap_figures_now()
        return Figures(inUse: Int(figures.in_use), free: Int(figures.free), residentAnonymous: Int(tr_process_resident_anonymous()))
    }

    /// Times ``releaseFree()`` gave memory back.
    public static let releases = Atomic<Int>(0)

    /// Gives every arena's free pages back to the kernel; true when some were.
    @discardableResult
    public static func releaseFree() -> Bool {
        let released = tr_heap_release_free() != 0
        if released { releases.add(1, ordering: .relaxed) }
        return released
    }
}

/// Gives the heap's free memory back to the kernel once the process keeps more than a threshold
/// of resident memory beyond what it holds.
///
/// A burst (a backlog after a stall, a client's queue filling and draining) allocates buffers on
/// one thread that are freed on another; glibc keeps the freed chunks in their arenas, scattered
/// between live ones, so resident memory stays at the burst's high-water mark although the
/// program no longer holds it. Checked every `interval` (resident anonymous memory minus the bytes
/// in use); a release walks the arenas once, and the next waits until a threshold more than the
/// release left is kept.
public struct HeapReclaimer: Service {
    let interval: Duration
    let threshold: Int
    let logger: Logger

    /// - Parameters:
    ///   - interval: how often the heap is checked.
    ///   - threshold: resident bytes beyond those in use from which free memory is given back.
    public init(interval: Duration = .seconds(5), threshold: Int = 16 << 20, logger: Logger) {
        self.interval = interval
        self.threshold = threshold
        self.logger = logger
    }

    public func run() async throws {
        // What a release could not give back (the top of a thread arena's heap, which glibc
        // trims only on free): the next release waits for a threshold more than that.
        var unreleasable = 0
        while !Task.isCancelled {
            try await Task.sleep(for: interval)
            let before = ProcessHeap.figures
            let kept = before.residentAnonymous - before.inUse
            unreleasable = min(unreleasable, max(0, kept))
            guard kept >= unreleasable + threshold else { continue }
            ProcessHeap.releaseFree()
            let after = ProcessHeap.figures
            unreleasable = max(0, after.residentAnonymous - after.inUse)
            logger.debug("heap: gave free memory back", metadata: [
                "in_use_mb": "\(before.inUse >> 20)", "resident_mb_before": "\(before.residentAnonymous >> 20)",
                "resident_mb_after": "\(after.residentAnonymous >> 20)",
            ])
        }
    }
}
