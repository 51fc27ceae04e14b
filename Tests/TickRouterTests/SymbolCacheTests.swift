@testable import TickRouter
import Testing

@Suite("Symbol cache")
struct SymbolCacheTests {
    /// Names that differ only in their last bytes (`SYM0001`...) must spread over the table: the
    /// cache probes linearly, so clustered hashes turn every look-up into a long walk.
    @Test func namesDifferingInTheirLastBytesSpreadOverTheTable() {
        let buckets = 2048
        var used = Set<Int>()
        for index in 1...1000 {
            let name = Array("SYM\(String(repeating: "0", count: 4 - String(index).count))\(index)".utf8)
            let key = name.withUnsafeBytes { SymbolKey($0) }
            used.insert(key.fastHash & (buckets - 1))
        }
        // A uniform hash puts 1,000 keys in about 787 distinct buckets of 2,048.
        #expect(used.count > 700, "\(used.count) distinct buckets")
    }

    @Test func theCacheAndTheTableAgreeOnIdsForShortAndLongSymbols() {
        let table = SymbolTable()
        var cache = SymbolCache(table: table)
        let names = ["AAPL", "BRK.A", "O:SPY241220P00720000", String(repeating: "X", count: 30)] + (1...3000).map { "S\($0)" }
        var ids: [SymbolID] = []
        for name in names {
            ids.append(Array(name.utf8).withUnsafeBytes { cache.id(for: $0) })
        }
        for (name, id) in zip(names, ids) {
            #expect(table.name(id) == name)
            #expect(Array(name.utf8).withUnsafeBytes { cache.id(for: $0) } == id, "a second look-up of \(name) gives the same id")
        }
        #expect(Set(ids).count == names.count)
    }
}
