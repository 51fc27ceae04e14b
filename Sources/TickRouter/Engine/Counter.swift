import Synchronization

/// A relaxed atomic counter, updated once per batch on the hot path and read by the control plane.
public final class Counter: Sendable {
    private let value = Atomic<Int>(0)

    public init() {}

    /// Wrapping (one atomic add, not a compare-and-swap loop); an event count cannot reach 2^63.
    @inline(__always) public func add(_ amount: Int) {
        value.wrappingAdd(amount, ordering: .relaxed)
    }

    @inline(__always) public func set(_ newValue: Int) {
        value.store(newValue, ordering: .relaxed)
    }

    @inline(__always) public var load: Int { value.load(ordering: .relaxed) }
}

/// Counters keyed by a small closed set of reasons (an enum's raw values), never by symbol.
public final class ReasonCounters: Sendable {
    public let names: [String]
    private let counters: [Counter]

    public init(names: [String]) {
        self.names = names
        self.counters = names.map { _ in Counter() }
    }

    @inline(__always) public func add(_ index: Int, _ amount: Int) { counters[index].add(amount) }

    public var snapshot: [(reason: String, count: Int)] { zip(names, counters).map { ($0, $1.load) } }
    public var total: Int { counters.reduce(0) { $0 + $1.load } }
}
