/// Micro-benchmark of the market generator, for benchmarks and capacity planning.
public enum SimulatorBenchmark {
    /// Generates and renders events on the calling thread for about `seconds`, in ticks of
    /// 2,000 events (the 1 ms tick at 2,000,000 events/s). Returns events, bytes and elapsed seconds.
    public static func renderThroughput(
        symbolCount: Int = 500, seconds: Double = 3, seed: UInt64 = 1
    ) -> (events: Int, bytes: Int, seconds: Double) {
        let table = SymbolTable(symbols: SimulatorConfiguration(symbolCount: symbolCount).initialUniverse)
        var generator = MarketGenerator(seed: seed)
        generator.sync(with: table)
        var batch = EventBatch()
        let clock = ContinuousClock()
        let start = clock.now
        var events = 0
        var bytes = 0
        var elapsed = 0.0
        while elapsed < seconds {
            batch.removeAll()
            generator.emit(count: 2_000, fmvCount: 100, nowNanos: wallClockNanos(), into: &batch)
            events += batch.events.count
            bytes += batch.writer.count
            let duration = clock.now - start
            elapsed = Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
        }
        return (events, bytes, elapsed)
    }
}
