/// Small, fast, deterministic random number generator (SplitMix64) for the simulated market.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    @inline(__always) mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform integer in `0..<bound` (bound > 0; the tiny modulo bias is irrelevant here).
    @inline(__always) mutating func below(_ bound: UInt64) -> UInt64 { next() % bound }

    /// Uniform double in `[0, 1)`.
    @inline(__always) mutating func unit() -> Double { Double(next() >> 11) * 0x1.0p-53 }
}
