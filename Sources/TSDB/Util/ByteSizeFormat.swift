/// Parses Prometheus' byte sizes (`512MB`, `1.5GB`): units B, KB, MB, GB, TB,
/// PB, EB, powers of two (1KB = 1024 B), `KiB` … accepted too.
public enum ByteSizeFormat {
    static let units: [(String, Int64)] = [
        ("EB", 1 << 60), ("PB", 1 << 50), ("TB", 1 << 40), ("GB", 1 << 30), ("MB", 1 << 20), ("KB", 1 << 10),
        ("EiB", 1 << 60), ("PiB", 1 << 50), ("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10),
        ("B", 1),
    ]

    /// Bytes, or nil if malformed (a unit is required).
    public static func parse(_ s: String) -> Int64? {
        for (suffix, factor) in units where s.hasSuffix(suffix) {
            guard let n = Double(s.dropLast(suffix.count)), n.isFinite, n >= 0 else { return nil }
            let bytes = n * Double(factor)
            return bytes < Double(Int64.max) ? Int64(bytes) : nil
        }
        return nil
    }
}
