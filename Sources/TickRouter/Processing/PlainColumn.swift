/// A growable column of plain values in memory the column owns: reading or writing an element is
/// a load or a store, with no copy-on-write uniqueness check and no exclusivity check (its
/// bookkeeping sits behind a constant pointer). Meant for trivial values on the hot path.
///
/// A reference: a struct holding one shares it when copied. It belongs to one processor's state
/// (one throttle) and is never shared between them.
final class PlainColumn<Element>: @unchecked Sendable {
    private struct Header {
        var base: UnsafeMutablePointer<Element>
        var count: Int
        var capacity: Int
    }

    private let header: UnsafeMutablePointer<Header>
    /// Alignment of the elements' memory (at least the element's own): 64 puts elements of a
    /// 64-byte stride on one cache line each.
    private let alignment: Int

    init(capacity: Int = 64, alignment: Int = 1) {
        self.alignment = max(alignment, MemoryLayout<Element>.alignment)
        header = .allocate(capacity: 1)
        let capacity = max(capacity, 1)
        header.initialize(to: Header(base: Self.allocate(capacity, alignment: self.alignment), count: 0, capacity: capacity))
    }

    private static func allocate(_ capacity: Int, alignment: Int) -> UnsafeMutablePointer<Element> {
        UnsafeMutableRawPointer.allocate(byteCount: capacity * MemoryLayout<Element>.stride, alignment: alignment)
            .bindMemory(to: Element.self, capacity: capacity)
    }

    deinit {
        header.pointee.base.deinitialize(count: header.pointee.count)
        header.pointee.base.deallocate()
        header.deinitialize(count: 1)
        header.deallocate()
    }

    @inline(__always) var count: Int { header.pointee.count }
    @inline(__always) var isEmpty: Bool { header.pointee.count == 0 }

    /// The element at `index` (`0..<count`; not checked).
    @inline(__always) subscript(index: Int) -> Element {
        get { header.pointee.base[index] }
        set { header.pointee.base[index] = newValue }
    }

    @inline(__always) func append(_ element: Element) {
        if header.pointee.count == header.pointee.capacity { grow() }
        (header.pointee.base + header.pointee.count).initialize(to: element)
        header.pointee.count += 1
    }

    @inline(__always) func popLast() -> Element? {
        guard header.pointee.count > 0 else { return nil }
        header.pointee.count -= 1
        return (header.pointee.base + header.pointee.count).move()
    }

    /// Removes every element, keeping the memory.
    func removeAll() {
        header.pointee.base.deinitialize(count: header.pointee.count)
        header.pointee.count = 0
    }

    /// The elements, valid until the column next grows.
    @inline(__always) var elements: UnsafeBufferPointer<Element> {
        UnsafeBufferPointer(start: header.pointee.base, count: header.pointee.count)
    }

    /// The first element's address, for loops that read and write elements in place; valid until
    /// the column next grows.
    @inline(__always) var base: UnsafeMutablePointer<Element> { header.pointee.base }

    /// Appends `count` copies of `element`.
    func append(repeating element: Element, count: Int) {
        for _ in 0..<count { append(element) }
    }

    @inline(never)
    private func grow() {
        let capacity = header.pointee.capacity * 2
        let base = Self.allocate(capacity, alignment: alignment)
        base.moveInitialize(from: header.pointee.base, count: header.pointee.count)
        header.pointee.base.deallocate()
        header.pointee.base = base
        header.pointee.capacity = capacity
    }
}

/// Reused room for a batch's event indices and symbols, and 16 spare use counts.
final class IndexScratch: @unchecked Sendable {
    private var list = UnsafeMutablePointer<Int32>.allocate(capacity: 64)
    private var symbolList = UnsafeMutablePointer<SymbolID>.allocate(capacity: 64)
    private var capacity = 64
    let spareUses = UnsafeMutablePointer<Int32>.allocate(capacity: 16)

    /// Room for `count` indices.
    @inline(__always) func indices(_ count: Int) -> UnsafeMutablePointer<Int32> {
        if count > capacity { grow(count) }
        return list
    }

    /// Room for `count` symbols.
    @inline(__always) func symbols(_ count: Int) -> UnsafeMutablePointer<SymbolID> {
        if count > capacity { grow(count) }
        return symbolList
    }

    @inline(never) private func grow(_ count: Int) {
        list.deallocate()
        symbolList.deallocate()
        capacity = max(count, capacity * 2)
        list = .allocate(capacity: capacity)
        symbolList = .allocate(capacity: capacity)
    }

    deinit {
        list.deallocate()
        symbolList.deallocate()
        spareUses.deallocate()
    }
}
