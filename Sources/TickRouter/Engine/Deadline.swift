import Synchronization

/// Runs `body` until it finishes or `deadline` passes, and returns whether it finished.
///
/// Unlike a task group racing a sleep, this returns at the deadline even when `body` ignores
/// cancellation: `body` runs in its own task, which is cancelled and left to end on its own.
/// Shutdown paths use it so that nothing a peer or a sink does can make TickRouter hang.
public func finishes(
    by deadline: ContinuousClock.Instant, _ body: @escaping @Sendable () async -> Void
) async -> Bool {
    let race = DeadlineRace()
    return await withCheckedContinuation { continuation in
        race.start(continuation)
        let work = Task {
            await body()
            race.settle(true)
        }
        Task {
            try? await Task.sleep(until: deadline)
            if race.settle(false) { work.cancel() }
        }
    }
}

/// The one-shot outcome of ``finishes(by:_:)``: whichever side settles first resumes the caller.
private final class DeadlineRace: Sendable {
    private let continuation = Mutex<CheckedContinuation<Bool, Never>?>(nil)

    func start(_ waiting: CheckedContinuation<Bool, Never>) { continuation.withLock { $0 = waiting } }

    /// Resumes the caller with `finished` if nothing did yet; returns whether this call did.
    @discardableResult
    func settle(_ finished: Bool) -> Bool {
        guard let waiting = continuation.withLock({ $0.take() }) else { return false }
        waiting.resume(returning: finished)
        return true
    }
}
