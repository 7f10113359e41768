import Glibc

extension String {
    /// Whether this string sorts before `other` by its UTF-8 bytes: the
    /// order Prometheus uses for label names, values and label sets (Swift's
    /// `<` compares by Unicode canonical equivalence instead).
    ///
    /// Native and small strings are compared with `memcmp` over their bytes
    /// in place (no copy, no reference counting); the rest (bridged strings)
    /// byte by byte. A tenth of a small instant query's time went to the
    /// generic byte-by-byte path when its series were sorted by labels.
    @inlinable
    public func utf8Precedes(_ other: String) -> Bool {
        let fast = utf8.withContiguousStorageIfAvailable { a in
            other.utf8.withContiguousStorageIfAvailable { b in
                let n = Swift.min(a.count, b.count)
                let c = n == 0 ? 0 : memcmp(a.baseAddress!, b.baseAddress!, n)
                return c != 0 ? c < 0 : a.count < b.count
            }
        }
        if let fast, let result = fast { return result }
        return utf8.lexicographicallyPrecedes(other.utf8)
    }
}
