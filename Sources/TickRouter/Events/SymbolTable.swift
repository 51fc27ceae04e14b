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
        var bytes = Array(name.utf8)
        let key = bytes.withUnsafeMutableBytes { SymbolKey(UnsafeRawBufferPointer($0)) }
        return storage.withLock { $0.ids[key] }
    }

    /// The symbol's text ("" for ``none`` or an unknown id).
    public func name(_ id: SymbolID) -> String {
        storage.withLock { Int(id) < $0.names.count ? $0.names[Int(id)] : "" }
    }

    /// Number of interned symbols.
    public var count: Int { storage.withLock { $0.names.count - 1 } }
}

/// A symbol's bytes as a hashable key without allocation for symbols up to 24 bytes
/// (every stock, forex, crypto and index ticker; option contracts reach 22).
/// Longer symbols fold their remaining bytes into a hash and keep a copy for equality.
struct SymbolKey: Hashable, Sendable {
    var a: UInt64 = 0
    var b: UInt64 = 0
    var c: UInt64 = 0
    var length: Int = 0
    var overflow: [UInt8]? = nil

    @inline(__always)
    init(_ bytes: UnsafeRawBufferPointer) {
        length = bytes.count
        let inline = min(bytes.count, 24)
        var words: (UInt64, UInt64, UInt64) = (0, 0, 0)
        withUnsafeMutableBytes(of: &words) { target in
            if inline > 0, let base = bytes.baseAddress {
                target.baseAddress!.copyMemory(from: base, byteCount: inline)
            }
        }
        (a, b, c) = words
        if bytes.count > 24 { overflow = Array(bytes[24...]) }
    }

    /// An empty key (never equal to a real symbol's key, whose length is at least 1).
    static var empty: SymbolKey { SymbolKey(UnsafeRawBufferPointer(start: nil, count: 0)) }

    /// A cheap multiplicative hash for the decoder's own table.
    @inline(__always)
    var fastHash: Int {
        var mixed = a &* 0x9E37_79B9_7F4A_7C15
        mixed ^= (b &+ UInt64(truncatingIfNeeded: length)) &* 0xC2B2_AE3D_27D4_EB4F
        mixed ^= c &* 0x1656_67B1_9E37_79F9
        if let overflow { for byte in overflow { mixed = (mixed ^ UInt64(byte)) &* 0x100_0000_01B3 } }
        return Int(truncatingIfNeeded: mixed ^ (mixed >> 29))
    }

    @inline(__always)
    func hash(into hasher: inout Hasher) {
        // One combine of a mixed word is enough for tickers and far cheaper than hashing each field.
        hasher.combine(a &* 0x9E37_79B9_7F4A_7C15 ^ b &* 0xC2B2_AE3D_27D4_EB4F ^ c ^ UInt64(length))
        if let overflow { hasher.combine(overflow) }
    }
}

/// A decoder-local, lock-free front for ``SymbolTable``.
///
/// Each connection owns one. It is an open-addressing table keyed by the symbol's packed bytes
/// with a multiplicative hash: a hit is a few loads and compares, no SipHash, no allocation.
public struct SymbolCache {
    private var keys: [SymbolKey]
    private var ids: [SymbolID]
    private var used = 0
    private var mask: Int
    public let table: SymbolTable

    public init(table: SymbolTable) {
        self.table = table
        let capacity = 2048
        keys = Array(repeating: SymbolKey.empty, count: capacity)
        ids = Array(repeating: SymbolTable.none, count: capacity)
        mask = capacity - 1
    }

    /// The id of the symbol in `bytes`, consulting the shared table only on a miss.
    @inline(__always)
    public mutating func id(for bytes: UnsafeRawBufferPointer) -> SymbolID {
        let key = SymbolKey(bytes)
        var slot = key.fastHash & mask
        while ids[slot] != SymbolTable.none {
            if keys[slot] == key { return ids[slot] }
            slot = (slot + 1) & mask
        }
        let id = table.intern(bytes: bytes)
        keys[slot] = key
        ids[slot] = id
        used += 1
        if used * 2 > mask { grow() }
        return id
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldIDs = ids
        let capacity = (mask + 1) * 2
        keys = Array(repeating: SymbolKey.empty, count: capacity)
        ids = Array(repeating: SymbolTable.none, count: capacity)
        mask = capacity - 1
        for index in oldIDs.indices where oldIDs[index] != SymbolTable.none {
            var slot = oldKeys[index].fastHash & mask
            while ids[slot] != SymbolTable.none { slot = (slot + 1) & mask }
            keys[slot] = oldKeys[index]
            ids[slot] = oldIDs[index]
        }
    }
}
