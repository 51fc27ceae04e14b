/// The keys of the last plain event of each kind, in order: the plain path's prediction of the
/// next event's keys (see ``FrameDecoder/decodePlainObject(_:into:statuses:)``).
///
/// One per decoder, owned by it (a decoder belongs to one connection). Rows are chosen by a hash
/// of the `ev` code, so two kinds may share a row: they then mispredict, which costs a key scan,
/// never a wrong answer.
final class KeyMemo {
    /// Keys remembered per kind (a power of two); an object with more wraps round.
    static let positions = 16
    /// Rows: one for the first key (before `ev` is known), then eight for kinds of events.
    static let rows = 9

    /// `rows × positions` predictions, row-major.
    let keys: UnsafeMutablePointer<PredictedKey>

    init() {
        keys = .allocate(capacity: Self.rows * Self.positions)
        keys.initialize(repeating: .ev, count: Self.rows * Self.positions)
    }

    deinit { keys.deallocate() }

    /// Offset of the row for events whose `ev` code packs to `packed`. The multiplier gives each
    /// kind of a market its own row (stocks: T, Q, A, AM, LULD, NOI, FMV; crypto; forex; indices).
    @inline(__always)
    static func row(ofEventType packed: UInt64) -> Int {
        (1 &+ Int(truncatingIfNeeded: (packed &* 0xEA90_A8F0_D66B_829F) >> 61)) &* positions
    }
}

/// A key as it appears in the frame — `"key":`, at most 8 bytes — and the field it fills.
struct PredictedKey {
    /// The bytes `"key":` packed like ``ByteWord/prefix(_:count:)``.
    var bytes: UInt64
    /// Ones over those bytes.
    var mask: UInt64
    /// Their count: the key's length + 3.
    var advance: UInt8
    var field: FieldSlot

    /// The first `advance` (at most 8) bytes of `word`, which hold a scanned key and its `":`.
    @inline(__always)
    init(_ word: UInt64, advance: Int, field: FieldSlot) {
        self.mask = ByteWord.prefix(~0, count: advance)
        self.bytes = word & mask
        self.advance = UInt8(truncatingIfNeeded: advance)
        self.field = field
    }

    /// `"ev":`, what every entry predicts until it has seen a key: a real key, so a hit on it is
    /// as exact as any other.
    static let ev = PredictedKey(ByteWord.pack("\"ev\":"), advance: 5, field: .ev)
}

/// Which of ``FrameDecoder/Fields`` a key fills; `.other` for keys the router does not read.
enum FieldSlot: UInt8 {
    case other, ev, sym, ticker, pair, p, q, i, t, s, status, message

    /// The field a plain key of `length` bytes, packed into `key`, names.
    @inline(__always)
    init(packedKey key: UInt64, length: Int) {
        switch length {
        case 1:
            switch UInt8(truncatingIfNeeded: key) {
            case UInt8(ascii: "p"): self = .p
            case UInt8(ascii: "q"): self = .q
            case UInt8(ascii: "i"): self = .i
            case UInt8(ascii: "t"): self = .t
            case UInt8(ascii: "s"): self = .s
            case UInt8(ascii: "T"): self = .ticker
            default: self = .other
            }
        case 2: self = key == FrameDecoder.PackedKey.ev ? .ev : .other
        case 3: self = key == FrameDecoder.PackedKey.sym ? .sym : .other
        case 4: self = key == FrameDecoder.PackedKey.pair ? .pair : .other
        case 6: self = key == FrameDecoder.PackedKey.status ? .status : .other
        case 7: self = key == FrameDecoder.PackedKey.message ? .message : .other
        default: self = .other
        }
    }
}
