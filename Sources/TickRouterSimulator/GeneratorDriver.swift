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
        var others = SimMarket.allCases.filter { $0 != .stocks }.map {
            OtherMarket(market: $0, source: $0.makeSource(seed: configuration.seed))
        }
        let otherRate = Double(max(0, configuration.otherMarketsRate))
        var pregenerated: PregeneratedSource?
        if configuration.pregenerated > 0 {
            generator.sync(with: symbols)
            pregenerated = PregeneratedSource(generator: &generator, count: configuration.pregenerated, nowNanos: wallClockNanos())
        }
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
            let active = activeMarkets.load(ordering: .relaxed)
            if active & ~SimMarket.stocks.bit != 0 {
                for index in others.indices where active & others[index].market.bit != 0 {
                    others[index].tick(rate: otherRate, dt: dt, core: self)
                }
            }
            if pregenerated == nil { generator.sync(with: symbols) }
            carry += rate * dt
            fmvCarry += fmvRate * dt
            let count = Int(carry)
            let fmvCount = Int(fmvCarry)
            carry -= Double(count)
            fmvCarry -= Double(fmvCount)
            guard count + fmvCount > 0 else { continue }
            batch.removeAll()
            if pregenerated != nil {
                // Trades and quotes only (FMV needs a business connection the benchmarks do not open).
                pregenerated!.emit(count: count, nowNanos: wallClockNanos(), into: &batch)
            } else {
                generator.emit(count: count, fmvCount: fmvCount, nowNanos: wallClockNanos(), into: &batch)
            }
            fanOut(batch)
        }
    }
}

/// A non-stock market's generator and its rate carry; ticked only while a client is connected to it.
struct OtherMarket {
    let market: SimMarket
    var source: any MarketEventSource
    var carry = 0.0
    var fmvCarry = 0.0
    var batch = EventBatch()

    /// Generates `rate × dt` events (plus FMV at 5% of that) and fans them out to the market's sessions.
    mutating func tick(rate: Double, dt: Double, core: SimulatorCore) {
        source.sync(with: core.universe(market))
        carry += rate * dt
        fmvCarry += rate * 0.05 * dt
        let count = Int(carry)
        let fmvCount = Int(fmvCarry)
        carry -= Double(count)
        fmvCarry -= Double(fmvCount)
        guard count + fmvCount > 0 else { return }
        batch.removeAll()
        source.emit(count: count, fmvCount: fmvCount, nowNanos: wallClockNanos(), into: &batch)
        core.fanOut(batch, market: market)
    }
}
