import Benchmark
import BenchmarkSupport
import NIOCore
import TickRouter
import TickRouterConfig

/// Decoder alone on one core: realistic frames of 50 events (40% trades, 60% quotes, 800 symbols),
/// as in swift-style.md §D. One benchmark iteration decodes 100 frames = 5,000 events, so
/// events/s = iterations/s × 5,000 and mallocs per event = mallocs per iteration / 5,000.
let benchmarks: @Sendable () -> Void = {
    let frames = RealisticFrames.make(frames: 2000, eventsPerFrame: 50, symbols: 800)
    let symbols = SymbolTable()
    let decoderRun = DecoderRun(symbols: symbols)

    Benchmark(
        "decode 100 frames = 5,000 events (40% T / 60% Q)",
        configuration: .init(metrics: [.wallClock, .cpuUser, .throughput, .mallocCountTotal], maxDuration: .seconds(5))
    ) { benchmark in
        // The harness calls this closure once per measured iteration: the decoder (its symbol
        // cache and key memo) and the frame position live outside it, as a connection's decoder
        // lives for the connection, so iterations walk all 2,000 frames in the steady state.
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            decoderRun.decode(frames, count: 100)
        }
    }

    // The whole per-connection data path (decode → processors → merge → throttle → fan-out with no
    // sink attached), first with the default processors (validation and counting), then with every
    // policy on: dedup on T, late_after on T and Q (a day, so the check runs and nothing is late),
    // bar corrections, Q throttled to 100 ms per symbol (conflate) with priority symbols and a rate
    // cap. The synthetic clock advances 1 ms per frame, so throttle windows open and close.
    for (name, policies) in PipelineCases.all {
        // The harness calls the closure once per measured iteration: the pipeline (and its frame
        // position and clock) lives outside it, as a connection's pipeline lives for the
        // connection, so iterations measure the steady state rather than a pipeline filling up.
        let run = PipelineRun(policies: policies, symbols: symbols)
        Benchmark(name, configuration: .init(metrics: [.wallClock, .cpuUser, .throughput, .mallocCountTotal], maxDuration: .seconds(5))) {
            benchmark in
            run.startPassIfAtEnd()
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                run.handle(frames, count: 100)
            }
        }
    }
}


/// One long-lived decoder walking round the benchmark's frames.
final class DecoderRun: @unchecked Sendable {
    private var decoder: FrameDecoder
    private var statuses: [ProviderStatus] = []
    private var records: [EventRecord] = []
    private var index = 0

    init(symbols: SymbolTable) {
        decoder = FrameDecoder(market: .stocks, symbols: symbols)
        records.reserveCapacity(64)
    }

    /// Decodes the next `count` frames into the reused record array.
    func decode(_ frames: [ByteBuffer], count: Int) {
        for _ in 0..<count {
            records.removeAll(keepingCapacity: true)
            _ = decoder.decode(frames[index], into: &records, statuses: &statuses)
            blackHole(records.count)
            index = index == frames.count - 1 ? 0 : index + 1
        }
    }
}
