#if canImport(Glibc)
import Glibc
#endif

/// Snapshots: a directory that can be opened as a database on its own.
extension DB {
    /// Creates `dir` with hard links to every block's files (blocks are
    /// immutable, so links cost no space) and, with `withHead`, the head's
    /// samples written as one more block. The result opens with `DB.open`.
    public func snapshot(into dir: String, withHead: Bool) throws {
        try compactionLock.withLock {
            guard !isClosed else { throw TSDBError(.closed, "database is closed") }
            try FileIO.makeDirectory(dir)
            for b in blockList {
                let target = dir + "/" + b.meta.ulid
                try Self.link(directory: b.directory, to: target)
            }
            if withHead {
                let (minT, maxT) = head.lock.withLock { (head.minT, head.maxT) }
                if minT <= maxT {
                    let series = head.select([], mint: minT, maxt: maxT).sorted { $0.labels < $1.labels }
                    _ = try BlockWriter.write(into: dir, mint: minT, maxt: maxT + 1, series: series)
                }
            }
            try FileIO.syncDirectory(dir)
        }
    }

    /// Recreates `source`'s tree under `target` with hard-linked files.
    private static func link(directory source: String, to target: String) throws {
        try FileIO.makeDirectory(target)
        for name in FileIO.list(source) where !name.hasSuffix(".tmp") {
            let from = source + "/" + name, to = target + "/" + name
            if FileIO.isDirectory(from) {
                try link(directory: from, to: to)
            } else if Glibc.link(from, to) != 0 {
                throw FileIO.fail("hard-link \(from) to", to)
            }
        }
        try FileIO.syncDirectory(target)
    }
}
