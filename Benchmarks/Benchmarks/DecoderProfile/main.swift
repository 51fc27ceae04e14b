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
// `DecoderProfile ROUNDS throttle` runs the whole per-connection pipeline with Q throttled instead.
let rounds = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 2000 : 2000
let frames = RealisticFrames.make(frames: 100, eventsPerFrame: 50, symbols: 800)
if CommandLine.arguments.count > 2, CommandLine.arguments[2] == "throttle" {
    let policies: [FeedChannel: ChannelPolicy] = [.Q: ChannelPolicy(throttle: ThrottleSettings(perSymbol: .milliseconds(100), mode: .conflate))]
    let symbols = SymbolTable()
    let stats = EngineStats(connectionNames: ["bench"], sinkNames: [])
    let fanout = Fanout(inlets: [])
    var pipeline = ConnectionPipeline(
        connection: 0, market: .stocks, symbols: symbols, policies: ProcessorPolicies(policies), fanout: fanout, mergeGate: MergeGate(),
        shaping: ShapingStage(policies: policies, symbols: symbols, fanout: fanout, stats: stats), stats: stats,
        connectionStats: stats.connections[0]
    )
    var now: UInt64 = 1_000_000_000
    for _ in 0..<rounds {
        for frame in frames {
            _ = pipeline.handle(frame: frame, receivedAt: now)
            now += 1_000_000
        }
    }
    print("pipeline with Q throttled: \(rounds * frames.count) frames")
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
