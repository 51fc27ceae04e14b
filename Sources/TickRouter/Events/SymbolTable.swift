import Synchronization

/// Interns symbols to dense ``SymbolID``s, shared by every connection and sink of an engine.
///
/// Look-ups on the hot path go through a per-decoder ``SymbolCache`` and reach this table (and its
/// lock) only the first time a decoder sees a symbol. Ids are never reused; the table only grows.
public final class SymbolTable: Sendable {
    /// The id of "no symbol".
    public static let none: SymbolID = 0

    private struct Storage {
        var ids: [SymbolKey: SymbolID] = [:]
        /// Symbols longer than ``SymbolKey/maxLength`` bytes.
        var longIDs: [[UInt8]: SymbolID] = [:]
        var names: [String] = [""]
    }

    private let storage = Mutex(Storage())

    public init() {}

    /// Returns the id of `name`, interning it if new.
    public func intern(_ name: String) -> SymbolID {
        var bytes = Array(name.utf8)
        return bytes.withUnsafeMutableBytes { intern(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// Returns the id of a symbol given as UTF-8 bytes, interning it if new.
    public func intern(bytes: UnsafeRawBufferPointer) -> SymbolID {
        if bytes.count > SymbolKey.maxLength {
            let key = Array(bytes)
            return storage.withLock { storage in
                if let id = storage.longIDs[key] { return id }
                let id = SymbolID(storage.names.count)
                storage.names.append(String(decoding: bytes, as: UTF8.self))
                storage.longIDs[key] = id
                return id
            }
        }
        let key = SymbolKey(bytes)
        return storage.withLock { storage in
            if let id = storage.ids[key] { return id }
            let id = SymbolID(storage.names.count)
            storage.names.append(String(decoding: bytes, as: UTF8.self))
            storage.ids[key] = id
            return id
        }
    }

    /// The id of `name` if it was interned, without interning it.
    public func lookup(_ name: String) -> SymbolID? {
        let bytes = Array(name.utf8)
        if bytes.count > SymbolKey.maxLength { return storage.withLock { $0.longIDs[bytes] } }
        let key = bytes.withUnsafeBytes { SymbolKey($0) }
        return storage.withLock { $0.ids[key] }
    }

    /// The symbol's text ("" for ``none`` or an unknown id).
    public func name(_ id: SymbolID) -> String {
        storage.withLock { Int(id) < $0.names.count ? $0.names[Int(id)] : "" }
    }

    /// Number of interned symbols.
    public var count: Int { storage.withLock { $0.names.count - 1 } }
}

/// A symbol of up to 24 bytes (every stock, forex, crypto and index ticker; option contracts
/// reach 22) packed into three words: a plain value, so hashing and comparing it is a few
/// instructions. Longer symbols are looked up by their bytes instead (``SymbolTable``).
struct SymbolKey: Hashable, Sendable {
    static let maxLength = 24

    var a: UInt64 = 0
    var b: UInt64 = 0
    var c: UInt64 = 0
    var length: Int = 0

    /// Packs `bytes` (at most ``maxLength`` of them).
    @inline(__always)
    init(_ bytes: UnsafeRawBufferPointer) {
        length = min(bytes.count, Self.maxLength)
        var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &words) { target in
            if length > 0, let base = bytes.baseAddress {
                target.baseAddress!.copyMemory(from: base, byteCount: length)
            }
        }
        (a, b, c) = words
    }

    @inline(__always)
    init(a: UInt64, b: UInt64, c: UInt64, length: Int) {
        (self.a, self.b, self.c, self.length) = (a, b, c, length)
    }

    /// An empty key (never equal to a real symbol's key, whose length is at least 1).
    static var empty: SymbolKey { SymbolKey(a: 0, b: 0, c: 0, length: 0) }

    /// The decoder's own table hash: the words folded together, then murmur3's 64-bit finalizer,
    /// which lets every input bit reach the low bits the table indexes with (names like
    /// `SYM0001`...`SYM0500` differ only in their high bytes).
    @inline(__always)
    var fastHash: Int {
        var h = a ^ (b &* 0xC2B2_AE3D_27D4_EB4F) ^ (c &* 0x1656_67B1_9E37_79F9) ^ UInt64(truncatingIfNeeded: length)
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h &*= 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return Int(truncatingIfNeeded: h)
    }

    @inline(__always)
    func hash(into hasher: inout Hasher) {
        // One combine of a mixed word is enough for tickers and far cheaper than hashing each field.
        hasher.combine(a &* 0x9E37_79B9_7F4A_7C15 ^ b &* 0xC2B2_AE3D_27D4_EB4F ^ c ^ UInt64(length))
    }
}

/// A decoder-local, lock-free front for ``SymbolTable``.
///
/// Each connection owns one. It is an open-addressing table keyed by the symbol's packed bytes
/// with a multiplicative hash: a hit is a few loads and compares, no SipHash, no allocation.
/// Symbols longer than ``SymbolKey/maxLength`` bytes go to the shared table every time.
public struct SymbolCache {
    private var slots: [Slot]
    private var used = 0
    private var mask: Int
    public let table: SymbolTable

    private struct Slot {
        var key: SymbolKey
        var id: SymbolID
    }

    public init(table: SymbolTable) {
        self.table = table
        let capacity = 2048
        slots = Array(repeating: Slot(key: .empty, id: SymbolTable.none), count: capacity)
        mask = capacity - 1
    }

    /// The id of the symbol in `bytes`, consulting the shared table only on a miss.
    @inline(__always)
    public mutating func id(for bytes: UnsafeRawBufferPointer) -> SymbolID {
        guard bytes.count <= SymbolKey.maxLength else { return table.intern(bytes: bytes) }
        return id(for: SymbolKey(bytes), bytes: bytes)
    }

    /// The id of a symbol already packed into `key` (at most ``SymbolKey/maxLength`` bytes);
    /// `bytes` are its bytes, read only on a miss.
    @inline(__always)
    mutating func id(for key: SymbolKey, bytes: UnsafeRawBufferPointer) -> SymbolID {
        var slot = key.fastHash & mask
        while true {
            let entry = slots[slot]
            if entry.key == key { return entry.id }
            if entry.id == SymbolTable.none { break }
            slot = (slot + 1) & mask
        }
        let id = table.intern(bytes: bytes)
        slots[slot] = Slot(key: key, id: id)
        used += 1
        if used * 2 > mask { grow() }
        return id
    }

    private mutating func grow() {
        let old = slots
        let capacity = (mask + 1) * 2
        slots = Array(repeating: Slot(key: .empty, id: SymbolTable.none), count: capacity)
        mask = capacity - 1
        for entry in old where entry.id != SymbolTable.none {
            var slot = entry.key.fastHash & mask
            while slots[slot].id != SymbolTable.none { slot = (slot + 1) & mask }
            slots[slot] = entry
        }
    }
}
