extension SymbolThrottle {
    /// A symbol's window and held event, in one half of a cache line. (The decoder's pass over
    /// each frame evicts per-symbol state from the first-level cache between a symbol's events
    /// whatever its size, so what counts is the lines an event touches: measured, a column of
    /// held records apart from the windows cost a second miss per held event.) 32 bytes, two to a
    /// line and none across two (the throttle's initialiser asserts the stride).
    struct SymbolState {
        /// End of the symbol's current window (0 = no window; ``SymbolState/priority`` for a
        /// priority symbol, which always passes).
        var windowEnd: Int64 = 0
        /// Pool index of the frame the held event points into, or -1 when nothing is held.
        var heldFrame: Int32 = -1
        /// The next symbol filed in the same due-time bucket (-1 ends the list), or
        /// ``SymbolState/notFiled``.
        var next: Int32 = SymbolState.notFiled
        /// The held event (meaningful while `heldFrame >= 0`): where its bytes are in its frame,
        /// its channel and flags. Its symbol is the state's index; its sequence and time are in
        /// its bytes, and a delivered record does not carry them.
        var heldStart: UInt32 = 0
        var heldLength: UInt32 = 0
        var heldChannel: UInt8 = 0
        var heldFlags: UInt8 = 0

        /// Keeps `record` as the held event (its frame is the caller's to set).
        @inline(__always) mutating func keep(_ record: EventRecord) {
            heldStart = record.start
            heldLength = record.length
            heldChannel = record.channelCode
            heldFlags = record.flags & ~(EventRecord.Flags.hasSequence | EventRecord.Flags.hasTimestamp)
        }

        /// The held event's record.
        @inline(__always) func heldRecord(symbol: Int) -> EventRecord {
            EventRecord(
                channelCode: heldChannel, flags: heldFlags, symbol: SymbolID(truncatingIfNeeded: symbol), start: heldStart,
                length: heldLength
            )
        }

        static let priority = Int64.min
        static let notFiled = Int32.min
        var filed: Bool { next != Self.notFiled }
    }
}
