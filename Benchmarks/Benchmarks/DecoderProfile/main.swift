import Foundation
import BenchmarkSupport
import NIOCore
import TickRouter
import TickRouterConfig

// A plain loop over the decoder for profilers (perf, valgrind --tool=callgrind), which the
// benchmark harness's child process makes awkward:
//   swift build -c release --product DecoderProfile
//   valgrind --tool=callgrind .build/release/DecoderProfile 200
// Decodes the frames of DecoderBenchmark `rounds` times (default 2000 = 10 M events) and prints events/s.
let rounds = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 2000 : 2000
let frames = RealisticFrames.make(frames: 100, eventsPerFrame: 50, symbols: 800)
if CommandLine.arguments.count > 2, CommandLine.arguments[1] == "compare" {
    // `DecoderProfile compare CASE [PAIRS]`: CASE's pipeline against the default one in one
    // process, a pass over the 2,000 frames (100,000 events) each in turn (ABBA), so the VM's drift,
    // which swamps a 10% difference between separate runs, is the same for both. Prints the median
    // of the pairs' cost ratios.
    let cases = ["dedup": 1, "throttle": 2, "sample": 3, "every": 4]
    guard let index = cases[CommandLine.arguments[2]] else { fatalError("case: dedup, throttle, sample or every") }
    let pairs = CommandLine.arguments.count > 3 ? Int(CommandLine.arguments[3]) ?? 200 : 200
    let frames = RealisticFrames.make(frames: 2_000, eventsPerFrame: 50, symbols: 800)
    let symbols = SymbolTable()
    let runs = [PipelineRun(policies: PipelineCases.all[0].policies, symbols: symbols), PipelineRun(policies: PipelineCases.all[index].policies, symbols: symbols)]
    let clock = ContinuousClock()
    func pass(_ run: PipelineRun) -> Double {
        run.startPassIfAtEnd()
        let started = clock.now
        run.handle(frames, count: frames.count)
        let elapsed = clock.now - started
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }
    for run in runs { _ = pass(run) }  // warm-up
    var ratios: [Double] = []
    var totals = [0.0, 0.0]
    for pair in 0..<pairs {
        let order = pair % 2 == 0 ? [0, 1] : [1, 0]
        var seconds = [0.0, 0.0]
        for which in order { seconds[which] = pass(runs[which]) }
        totals[0] += seconds[0]
        totals[1] += seconds[1]
        ratios.append(seconds[1] / seconds[0])
    }
    ratios.sort()
    func percent(_ ratio: Double) -> String { String(format: "%+.1f%%", (ratio - 1) * 100) }
    let events = Double(pairs * frames.count * 50)
    print("\(CommandLine.arguments[2]) against default, \(pairs) pairs of 100,000-event passes: median \(percent(ratios[pairs / 2])), quartiles \(percent(ratios[pairs / 4])) .. \(percent(ratios[pairs * 3 / 4])), totals \(percent(totals[1] / totals[0])); default \(Int(events / totals[0])) events/s, \(CommandLine.arguments[2]) \(Int(events / totals[1])) events/s")
    exit(0)
}
if CommandLine.arguments.count > 2 {
    // `DecoderProfile ROUNDS CASE`: the per-connection pipeline of DecoderBenchmark's CASE
    // (default, dedup, throttle, sample, every), ROUNDS passes over its 2,000 frames, a fresh pipeline per
    // pass. Instructions per event = (Ir at 3 rounds − Ir at 1 round) / 200,000.
    let cases = ["default": 0, "dedup": 1, "throttle": 2, "sample": 3, "every": 4]
    guard let index = cases[CommandLine.arguments[2]] else { fatalError("case: default, dedup, throttle, sample or every") }
    // `DecoderProfile ROUNDS CASE EVENTS_PER_FRAME`: larger frames (100,000 events per pass, the
    // same events per second of synthetic time), to see what is paid per frame rather than per event.
    let perFrame = CommandLine.arguments.count > 3 ? Int(CommandLine.arguments[3]) ?? 50 : 50
    let frames = RealisticFrames.make(frames: 100_000 / perFrame, eventsPerFrame: perFrame, symbols: 800)
    let run = PipelineRun(
        policies: PipelineCases.all[index].policies, symbols: SymbolTable(), frameInterval: UInt64(perFrame) * 20_000
    )
    let clock = ContinuousClock()
    let started = clock.now
    for _ in 0..<rounds {
        run.startPassIfAtEnd()
        run.handle(frames, count: frames.count)
    }
    let elapsed = clock.now - started
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    print("\(PipelineCases.all[index].name): \(rounds * frames.count) frames in \(seconds) s: \(Int(Double(rounds * frames.count * perFrame) / seconds)) events/s")
    exit(0)
}
var decoder = FrameDecoder(market: .stocks, symbols: SymbolTable())
var records: [EventRecord] = []
records.reserveCapacity(64)
var statuses: [ProviderStatus] = []
var events = 0
let clock = ContinuousClock()
let started = clock.now
for _ in 0..<rounds {
    for frame in frames {
        records.removeAll(keepingCapacity: true)
        if decoder.decode(frame, into: &records, statuses: &statuses) != nil { fatalError("benchmark frame rejected") }
        events += records.count
    }
}
let elapsed = clock.now - started
let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
print("decoded \(events) events in \(seconds) s: \(Int(Double(events) / seconds)) events/s")
