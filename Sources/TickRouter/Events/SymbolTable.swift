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

    @inline(__always)
    func hash(into hasher: inout Hasher) {
        // One combine of a mixed word is enough for tickers and far cheaper than hashing each field.
        hasher.combine(a &* 0x9E37_79B9_7F4A_7C15 ^ b &* 0xC2B2_AE3D_27D4_EB4F ^ c ^ UInt64(length))
        if let overflow { hasher.combine(overflow) }
    }
}

/// A decoder-local, lock-free front for ``SymbolTable``.
///
/// Each connection owns one; a hit costs one dictionary look-up on the stack-built key.
public struct SymbolCache {
    private var ids: [SymbolKey: SymbolID] = [:]
    public let table: SymbolTable

    public init(table: SymbolTable) {
        self.table = table
        ids.reserveCapacity(1024)
    }

    /// The id of the symbol in `bytes`, consulting the shared table only on a miss.
    @inline(__always)
    public mutating func id(for bytes: UnsafeRawBufferPointer) -> SymbolID {
        let key = SymbolKey(bytes)
        if let id = ids[key] { return id }
        let id = table.intern(bytes: bytes)
        ids[key] = id
        return id
    }
}
