/// A pool of events rendered once at start-up and sent round and round, so the simulator can feed
/// a router at millions of events a second without being the bottleneck (benchmarks).
///
/// The pool holds trades and quotes only (about 40% and 60%, the bulk of a real feed): bars would
/// repeat their windows round after round and read as corrections. Each copy out of the pool gets
/// a fresh sequence number (`q`) — consecutive per (channel, symbol) as always, so loss stays
/// measurable — and a fresh `t`. Everything else (prices, sizes) repeats with the pool.
struct PregeneratedSource {
    /// Where the two patched values of one pool event sit in the pool's bytes.
    private struct Slot {
        var event: EventBatch.Ref
        /// Offset and length of the sequence digits.
        var sequenceStart: Int32
        var sequenceLength: Int32
        /// Offset and length of the time digits (length 0: the event has no `t`).
        var timeStart: Int32
        var timeLength: Int32
        /// The time's unit as a divisor of nanoseconds (1, 1_000 or 1_000_000).
        var timeDivisor: Int64
    }

    private let pool: [UInt8]
    private let slots: [Slot]
    private let maxEventLength: Int
    private var next = 0
    /// `sequences[channel][symbol]` = last sequence number sent.
    private var sequences: [[UInt64]]

    /// Renders about `count` trades and quotes of the generator's universe.
    init(generator: inout MarketGenerator, count: Int, nowNanos: Int64) {
        var batch = EventBatch()
        batch.writer = ByteWriter(capacity: count * 160)
        // The usual mix is 90% trades and quotes; render a little more and keep those.
        generator.emit(count: max(1, count + count / 9), fmvCount: 0, nowNanos: nowNanos, into: &batch)
        pool = batch.writer.bytes
        let kept: Set<UInt8> = [UInt8(SimChannel.T.rawValue), UInt8(SimChannel.Q.rawValue)]
        self.slots = batch.events.filter { kept.contains($0.channel) }.map { Self.slot(for: $0, in: batch.writer.bytes) }
        self.maxEventLength = slots.map { Int($0.event.length) }.max() ?? 0
        sequences = Array(repeating: Array(repeating: 0, count: generator.symbolCount), count: SimChannel.count)
    }

    /// Finds the sequence and time values of a rendered event.
    private static func slot(for event: EventBatch.Ref, in bytes: [UInt8]) -> Slot {
        let start = Int(event.start)
        let end = start + Int(event.length)
        let sequence = value(of: UInt8(ascii: "q"), in: bytes, from: start, to: end) ?? (start, 0)
        let time = value(of: UInt8(ascii: "t"), in: bytes, from: start, to: end) ?? (start, 0)
        let divisor: Int64 =
            switch time.length {
            case 19: 1
            case 16: 1_000
            default: 1_000_000
            }
        return Slot(
            event: event, sequenceStart: Int32(sequence.start), sequenceLength: Int32(sequence.length),
            timeStart: Int32(time.start), timeLength: Int32(time.length), timeDivisor: divisor
        )
    }

    /// The digits of the integer value of the one-letter key `key`, e.g. `"q":123`.
    private static func value(of key: UInt8, in bytes: [UInt8], from start: Int, to end: Int) -> (start: Int, length: Int)? {
        var index = start
        while index + 4 < end {
            if bytes[index] == UInt8(ascii: "\""), bytes[index + 1] == key, bytes[index + 2] == UInt8(ascii: "\""),
                bytes[index + 3] == UInt8(ascii: ":"), bytes[index + 4] &- UInt8(ascii: "0") < 10
            {
                var digitsEnd = index + 4
                while digitsEnd < end, bytes[digitsEnd] &- UInt8(ascii: "0") < 10 { digitsEnd += 1 }
                return (index + 4, digitsEnd - index - 4)
            }
            index += 1
        }
        return nil
    }

    /// Appends the next `count` pool events to `batch`, each with its next sequence number and `now` as its time.
    mutating func emit(count: Int, nowNanos: Int64, into batch: inout EventBatch) {
        guard !slots.isEmpty, count > 0 else { return }
        // The time is the same for the whole tick: its digits are formed once per unit.
        let millis = Digits(UInt64(nowNanos / 1_000_000))
        let micros = Digits(UInt64(nowNanos / 1_000))
        let nanos = Digits(UInt64(nowNanos))
        // Room for every event with a longer sequence than in the pool (20 digits at most).
        let room = count * (maxEventLength + 40)
        let base = batch.writer.count
        batch.events.reserveCapacity(batch.events.count + count)
        batch.writer.bytes.append(contentsOf: repeatElement(0, count: room))
        let written = batch.writer.bytes.withUnsafeMutableBufferPointer { out in
            pool.withUnsafeBufferPointer { pool in
                var position = base
                for _ in 0..<count {
                    let slot = slots[next]
                    next = next == slots.count - 1 ? 0 : next + 1
                    let channel = Int(slot.event.channel)
                    let symbol = Int(slot.event.symbol)
                    sequences[channel][symbol] &+= 1
                    let start = position
                    var cursor = Int(slot.event.start)
                    let end = cursor + Int(slot.event.length)
                    // Sequence and time in the order they appear in the event.
                    let sequenceFirst = slot.timeLength == 0 || slot.sequenceStart < slot.timeStart
                    for part in 0..<2 {
                        let patchSequence = (part == 0) == sequenceFirst
                        let patchStart = Int(patchSequence ? slot.sequenceStart : slot.timeStart)
                        let patchLength = Int(patchSequence ? slot.sequenceLength : slot.timeLength)
                        guard patchLength > 0 else { continue }
                        Self.copy(pool, cursor..<patchStart, to: out, at: &position)
                        let digits =
                            patchSequence
                            ? Digits(sequences[channel][symbol])
                            : (slot.timeDivisor == 1_000_000 ? millis : slot.timeDivisor == 1_000 ? micros : nanos)
                        digits.write(to: out, at: &position)
                        cursor = patchStart + patchLength
                    }
                    Self.copy(pool, cursor..<end, to: out, at: &position)
                    batch.events.append(
                        EventBatch.Ref(
                            start: Int32(truncatingIfNeeded: start), length: Int32(truncatingIfNeeded: position - start),
                            channel: slot.event.channel, symbol: slot.event.symbol
                        )
                    )
                }
                return position
            }
        }
        batch.writer.bytes.removeLast(base + room - written)
    }

    @inline(__always)
    private static func copy(_ pool: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, to out: UnsafeMutableBufferPointer<UInt8>, at position: inout Int) {
        guard !range.isEmpty else { return }
        (out.baseAddress! + position).update(from: pool.baseAddress! + range.lowerBound, count: range.count)
        position += range.count
    }

    /// The decimal digits of a number, formed once.
    private struct Digits {
        var storage: (UInt64, UInt64, UInt64) = (0, 0, 0)
        var count = 0

        @inline(__always)
        init(_ value: UInt64) {
            var digits = 1
            var probe = value
            while probe >= 10 {
                probe /= 10
                digits += 1
            }
            count = digits
            var v = value
            withUnsafeMutableBytes(of: &storage) { raw in
                var index = digits
                repeat {
                    index -= 1
                    raw[index] = 48 &+ UInt8(truncatingIfNeeded: v % 10)
                    v /= 10
                } while index > 0
            }
        }

        @inline(__always)
        func write(to out: UnsafeMutableBufferPointer<UInt8>, at position: inout Int) {
            var copy = storage
            withUnsafeBytes(of: &copy) { raw in
                (out.baseAddress! + position).update(from: raw.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count)
            }
            position += count
        }
    }
}
