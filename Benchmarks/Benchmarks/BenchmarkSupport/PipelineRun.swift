import NIOCore
import TickRouter
import TickRouterConfig

/// The per-connection pipeline configurations the benchmarks and the profiler compare: the default
/// processors (validation, counting), dedup + late data, the Q throttle alone, and every policy on
/// (dedup on T and Q, `late_after` on both — a day, so the check runs and nothing is late — Q
/// throttled to 100 ms per symbol with conflation, priority symbols and a rate cap).
public enum PipelineCases {
    public static let all: [(name: String, policies: [FeedChannel: ChannelPolicy])] = [
        ("pipeline, default processors: 100 frames = 5,000 events", [:]),
        ("pipeline, dedup + late_after: 100 frames = 5,000 events", [
            .T: ChannelPolicy(dedup: true, lateAfterMillis: 86_400_000), .Q: ChannelPolicy(dedup: true, lateAfterMillis: 86_400_000),
        ]),
        ("pipeline, Q throttle only: 100 frames = 5,000 events", [
            .Q: ChannelPolicy(throttle: ThrottleSettings(perSymbol: .milliseconds(100), mode: .conflate)),
        ]),
        // The throttle's admission alone: what it would hold is dropped (`sample`), so nothing is
        // kept or delivered later.
        ("pipeline, Q throttle sampling: 100 frames = 5,000 events", [
            .Q: ChannelPolicy(throttle: ThrottleSettings(perSymbol: .milliseconds(100), mode: .sample)),
        ]),
        (
            "pipeline, every policy on: 100 frames = 5,000 events",
            [
                .T: ChannelPolicy(dedup: true, lateAfterMillis: 86_400_000),
                .Q: ChannelPolicy(
                    dedup: true, throttle: ThrottleSettings(perSymbol: .milliseconds(100), mode: .conflate),
                    priority: ["AB", "CD", "EF"], maxRate: 1_000_000, lateAfterMillis: 86_400_000
                ),
            ]
        ),
    ]
}

/// One long-lived per-connection pipeline walking round the benchmark's frames.
public final class PipelineRun: @unchecked Sendable {
    private let makePipeline: () -> ConnectionPipeline
    private var pipeline: ConnectionPipeline
    private var index = 0
    private var handled = 0
    private var now: UInt64 = 1_000_000_000

    /// Synthetic time between frames (1 ms: 50,000 events/s of 50-event frames).
    private let frameInterval: UInt64

    public init(policies: [FeedChannel: ChannelPolicy], symbols: SymbolTable, frameInterval: UInt64 = 1_000_000) {
        self.frameInterval = frameInterval
        let stats = EngineStats(connectionNames: ["bench"], sinkNames: [])
        let fanout = Fanout(inlets: [])
        let shared = ProcessorPolicies(policies)
        makePipeline = {
            ConnectionPipeline(
                connection: 0, market: .stocks, symbols: symbols, policies: shared, fanout: fanout, mergeGate: MergeGate(),
                shaping: ShapingStage(policies: policies, symbols: symbols, fanout: fanout, stats: stats), stats: stats,
                connectionStats: stats.connections[0]
            )
        }
        pipeline = makePipeline()
    }

    /// Hands the next `count` frames to the pipeline; the synthetic clock advances 1 ms per frame.
    public func handle(_ frames: [ByteBuffer], count: Int) {
        for _ in 0..<count {
            _ = pipeline.handle(frame: frames[index], receivedAt: now)
            now += frameInterval
            index = index == frames.count - 1 ? 0 : index + 1
            handled += 1
        }
    }

    /// The frames repeat: once round them (every 20 iterations), a fresh pipeline, made before the
    /// measurement starts, so dedup sees new sequence numbers rather than every event as a duplicate.
    public func startPassIfAtEnd() {
        if index == 0, handled > 0 { pipeline = makePipeline() }
    }
}
