/// An event kept by a time-based policy (a throttle window, an emission buffer): its record and
/// a copy of its bytes, in storage the policy reuses so holding costs no allocation once warm.
public struct HeldEvent: Sendable {
    public var record: EventRecord
    public var bytes: [UInt8]

    public init(record: EventRecord, bytes: [UInt8]) {
        self.record = record
        self.bytes = bytes
    }
}
