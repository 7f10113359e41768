#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Thin POSIX file helpers. Every failure becomes a `TSDBError(.io)` naming
/// the path and errno text, never a trap.
public enum FileIO {
    static func errnoText() -> String { String(cString: strerror(errno)) }

    @inline(never)
    static func fail(_ what: String, _ path: String) -> TSDBError {
        TSDBError(.io, "\(what) failed: \(errnoText())", file: path)
    }

    /// Creates `path` and its parents (like `mkdir -p`).
    public static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw TSDBError(.io, "cannot create directory: \(error.localizedDescription)", file: path)
        }
    }

    public static func exists(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0
    }

    public static func isDirectory(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }

    public static func fileSize(_ path: String) -> Int64? {
        var st = stat()
        return stat(path, &st) == 0 ? Int64(st.st_size) : nil
    }

    /// Entries of a directory (names only), sorted; empty if it does not exist.
    public static func list(_ path: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
    }

    public static func removeAll(_ path: String) throws {
        guard exists(path) else { return }
        do { try FileManager.default.removeItem(atPath: path) } catch {
            throw TSDBError(.io, "cannot remove: \(error.localizedDescription)", file: path)
        }
    }

    public static func rename(_ from: String, _ to: String) throws {
        guard Glibc.rename(from, to) == 0 else { throw fail("rename to \(to)", from) }
    }

    /// fsyncs a directory so that renames and creations inside it are durable.
    public static func syncDirectory(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_DIRECTORY)
        guard fd >= 0 else { throw fail("open directory", path) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw fail("fsync directory", path) }
    }

    /// Writes `data` to `path` atomically: temp file, fsync, rename, fsync dir.
    public static func writeAtomically(_ data: [UInt8], to path: String) throws {
        let tmp = path + ".tmp"
        let f = try WritableFile(creating: tmp)
        try f.write(data)
        try f.sync()
        f.close()
        try rename(tmp, path)
        try syncDirectory((path as NSString).deletingLastPathComponent)
    }

    public static func readAll(_ path: String) throws -> [UInt8] {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw fail("open", path) }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 { if errno == EINTR { continue }; throw fail("read", path) }
            if n == 0 { return out }
            out.append(contentsOf: buf[0..<n])
        }
    }
}

/// An append-only file descriptor with an offset we track ourselves.
public final class WritableFile {
    public let path: String
    private(set) var fd: Int32
    public private(set) var size: Int

    /// Creates (truncating) a file.
    public init(creating path: String) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileIO.fail("create", path) }
        size = 0
    }

    /// Opens an existing file for appending at `offset` (truncating anything after it).
    public init(appendingTo path: String, at offset: Int) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileIO.fail("open", path) }
        guard ftruncate(fd, off_t(offset)) == 0, lseek(fd, off_t(offset), SEEK_SET) >= 0 else {
            let e = FileIO.fail("truncate", path)
            Glibc.close(fd)
            throw e
        }
        size = offset
    }

    deinit { if fd >= 0 { Glibc.close(fd) } }

    public func write(_ data: [UInt8]) throws {
        try data.withUnsafeBytes { (b) throws in try write(b) }
    }

    /// Writes all of `data` at the end, or throws with the file as it was:
    /// the bytes of a failed write (a short write, then `ENOSPC`) are cut off
    /// again, so that a later write never follows a torn one. If even that
    /// fails, the file refuses every further write.
    public func write(_ data: UnsafeRawBufferPointer) throws {
        guard fd >= 0 else { throw TSDBError(.io, "write failed: file was closed after an earlier failure", file: path) }
        var done = 0
        while done < data.count {
            let n: Int
            if WriteFaults.shouldFail(path) {
                n = done == 0 && data.count > 1 ? Glibc.write(fd, data.baseAddress!, data.count / 2) : -1
                if n < 0 { errno = ENOSPC }
            } else {
                n = Glibc.write(fd, data.baseAddress! + done, data.count - done)
            }
            if n < 0 {
                if errno == EINTR { continue }
                let failure = FileIO.fail("write", path)
                if done > 0 && (ftruncate(fd, off_t(size)) != 0 || lseek(fd, off_t(size), SEEK_SET) < 0) { close() }
                throw failure
            }
            done += n
        }
        size += data.count
    }

    public func sync() throws {
        guard fdatasync(fd) == 0 else { throw FileIO.fail("fsync", path) }
    }

    public func close() {
        if fd >= 0 { Glibc.close(fd) }
        fd = -1
    }
}

/// A read-only memory mapping of a whole file, unmapped when released. The
/// mapping stays valid after the file is unlinked, so a query that holds a
/// block keeps reading it while compaction or retention deletes the files.
public final class MappedFile: Sendable {
    public let path: String
    // The mapping is read-only and never changes after init: sharing the
    // pointer across threads is safe.
    nonisolated(unsafe) private let base: UnsafeMutableRawPointer?
    public let count: Int

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileIO.fail("open", path) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw FileIO.fail("stat", path) }
        count = Int(st.st_size)
        if count == 0 {
            base = nil
            return
        }
        let p = mmap(nil, count, PROT_READ, MAP_SHARED, fd, 0)
        guard let p, p != MAP_FAILED else { throw FileIO.fail("mmap", path) }
        base = p
    }

    deinit { if let base { munmap(base, count) } }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Drops the pages before `offset` (rounded down to a page) from this
    /// process's resident set; the page cache keeps them, and reading them
    /// again faults them back in. A reader streaming through a large file
    /// calls this as it goes, so the file does not count whole in its RSS.
    public func releasePages(before offset: Int) {
        guard let base else { return }
        let length = min(offset, count) & ~(MappedFile.pageSize - 1)
        if length > 0 { _ = madvise(base, length, MADV_DONTNEED) }
    }

    static let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
}
