#if canImport(Glibc)
import Glibc
import Logging
import Synchronization
import Testing
import TickRouterAdmin

/// The heap reclaimer against glibc's real allocator: memory freed between live chunks (what a
/// drained backlog leaves) stays resident until it is given back.
@Suite(.serialized)
struct ProcessHeapTests {
    /// 100 MiB in 64 KiB chunks, every other one then freed: the allocator cannot shrink its heap
    /// past the live chunks, so the freed pages stay. (The live ones are as large as the freed:
    /// small separators may be served from the allocator's free lists elsewhere, which would leave
    /// the freed chunks together at the top of the heap, where glibc trims them by itself.)
    private func scatterFreedMemory() -> [UnsafeMutableRawPointer] {
        let (big, live) = scatter()
        for chunk in big { free(chunk) }
        return live
    }

    /// The chunks of ``scatterFreedMemory()`` before every other one is freed: those to free, and
    /// those that stay.
    private func scatter() -> (big: [UnsafeMutableRawPointer], live: [UnsafeMutableRawPointer]) {
        var big: [UnsafeMutableRawPointer] = []
        var live: [UnsafeMutableRawPointer] = []
        for index in 0..<1600 {
            let chunk = malloc(64 << 10)!
            memset(chunk, 1, 64 << 10)
            if index % 2 == 0 { big.append(chunk) } else { live.append(chunk) }
        }
        return (big, live)
    }

    @Test func freedMemoryBetweenLiveChunksIsGivenBack() {
        let live = scatterFreedMemory()
        defer { for chunk in live { free(chunk) } }
        let before = ProcessHeap.figures
        #expect(before.free >= 48 << 20, "the freed chunks are free heap: \(before.free >> 20) MiB")
        #expect(ProcessHeap.releaseFree())
        let after = ProcessHeap.figures
        #expect(
            before.residentAnonymous - after.residentAnonymous >= 40 << 20,
            "resident \(before.residentAnonymous >> 20) MiB before, \(after.residentAnonymous >> 20) MiB after"
        )
    }

    @Test func theReclaimerGivesBackWhatIsOverItsThresholdAndOnlyThen() async throws {
        let releases = ProcessHeap.releases.load(ordering: .relaxed)
        let reclaimer = HeapReclaimer(interval: .milliseconds(20), threshold: 32 << 20, logger: Logger(label: "heap-test"))
        let task = Task { try await reclaimer.run() }
        defer { task.cancel() }
        // Under the threshold: nothing to give back, so nothing is released.
        try await Task.sleep(for: .milliseconds(200))
        let quiet = ProcessHeap.releases.load(ordering: .relaxed)
        // Resident is read while the big chunks are still in use: the reclaimer runs concurrently
        // and may give the memory back as soon as it is freed.
        let (big, live) = scatter()
        defer { for chunk in live { free(chunk) } }
        let resident = ProcessHeap.figures.residentAnonymous
        for chunk in big { free(chunk) }
        var after = resident
        for _ in 0..<250 where resident - after < 40 << 20 {
            try await Task.sleep(for: .milliseconds(20))
            after = ProcessHeap.figures.residentAnonymous
        }
        #expect(resident - after >= 40 << 20, "resident \(resident >> 20) MiB, then \(after >> 20) MiB")
        // The pages go while the reclaimer is inside the release, before it counts it.
        for _ in 0..<50 where ProcessHeap.releases.load(ordering: .relaxed) == quiet {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(ProcessHeap.releases.load(ordering: .relaxed) > quiet)
        #expect(quiet - releases <= 1, "a heap under the threshold is left alone")
    }
}
#endif
