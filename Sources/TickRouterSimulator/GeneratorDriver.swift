import Synchronization

/// Paces the market generator: one task ticking every ~1 ms, emitting `rate × dt` events with the
/// fractional remainder carried over so the long-run rate is exact.
extension SimulatorCore {
    /// Longest interval caught up in one tick; longer pauses (a suspended process) are skipped.
    static let maxCatchUp = 0.25

    /// Generates and fans out events until the task is cancelled.
    func runGenerator() async {
        var generator = MarketGenerator(seed: configuration.seed)
        var batch = EventBatch()
        let clock = ContinuousClock()
        let rate = Double(max(0, configuration.rate))
        let fmvRate = rate * 0.05
        var carry = 0.0
        var fmvCarry = 0.0
        var last = clock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(1))
            let now = clock.now
            let elapsed = now - last
            last = now
            if let until = faultState.withLock({ $0.stallUntil }) {
                if now < until { continue }
                faultState.withLock { $0.stallUntil = nil }
                continue
            }
            let dt = min(Self.maxCatchUp, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
            generator.sync(with: symbols)
            carry += rate * dt
            fmvCarry += fmvRate * dt
            let count = Int(carry)
            let fmvCount = Int(fmvCarry)
            carry -= Double(count)
            fmvCarry -= Double(fmvCount)
            guard count + fmvCount > 0 else { continue }
            batch.removeAll()
            generator.emit(count: count, fmvCount: fmvCount, nowNanos: wallClockNanos(), into: &batch)
            fanOut(batch)
        }
    }
}
