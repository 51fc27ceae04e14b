public import Histogram
import Synchronization

/// Added latency as consumers see it: from a frame being read off the provider's socket to its
/// events being written to a consumer's socket, one value per event, in an HDR histogram
/// (hdrhistogram-swift: 3 significant digits from 1 µs to 60 s).
///
/// Sinks record once per write with the events it carried, so the lock is taken per write, not
/// per event. ``take()`` returns the figures since the previous take and starts a new window,
/// which is how `bench-e2e` measures a steady state without its warm-up.
public final class WriteLatency: Sendable {
    /// Quantiles of one window, in nanoseconds.
    public struct Figures: Sendable, Equatable, Codable {
        public var count: UInt64
        public var p50: UInt64
        public var p90: UInt64
        public var p99: UInt64
        public var p999: UInt64
        public var max: UInt64
        /// Mean, nanoseconds.
        public var mean: Double
    }

    private struct Windows {
        /// Since the last ``take()``.
        var current = WriteLatency.makeHistogram()
        /// Since start.
        var total = WriteLatency.makeHistogram()
    }

    private let windows = Mutex(Windows())

    public init() {}

    static func makeHistogram() -> Histogram<UInt64> {
        Histogram(lowestDiscernibleValue: 1_000, highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
    }

    /// Records `events` events that waited `nanoseconds` each.
    @inline(__always)
    public func record(nanoseconds: UInt64, events: Int) {
        guard events > 0 else { return }
        let value = min(max(nanoseconds, 1_000), 60_000_000_000)
        windows.withLock { windows in
            _ = windows.current.record(value, count: UInt64(events))
            _ = windows.total.record(value, count: UInt64(events))
        }
    }

    /// The figures since the previous call (or start), and a fresh window.
    public func take() -> Figures {
        windows.withLock { windows in
            defer { windows.current.reset() }
            return Self.figures(windows.current)
        }
    }

    /// The figures since start.
    public var sinceStart: Figures { windows.withLock { Self.figures($0.total) } }

    private static func figures(_ histogram: Histogram<UInt64>) -> Figures {
        guard histogram.totalCount > 0 else { return Figures(count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0) }
        return Figures(
            count: histogram.totalCount, p50: histogram.valueAtPercentile(50), p90: histogram.valueAtPercentile(90),
            p99: histogram.valueAtPercentile(99), p999: histogram.valueAtPercentile(99.9), max: histogram.max,
            mean: histogram.mean
        )
    }
}
