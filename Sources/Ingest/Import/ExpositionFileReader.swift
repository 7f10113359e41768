import CZlib
import Foundation
import Glibc

/// Reads an exposition file (or standard input, `-`) in large chunks of
/// whole lines, inflating gzip on the fly (recognised by its magic bytes),
/// with memory bounded by the chunk size, not the file.
public struct ExpositionFileReader {
    public let path: String
    public let chunkSize: Int
    /// Size on disk (nil for standard input), for progress.
    public let fileSize: Int64?

    public init(path: String, chunkSize: Int = 8 << 20) {
        self.path = path
        self.chunkSize = chunkSize
        fileSize = path == "-" ? nil : (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value
    }

    public struct ReadError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Calls `body(lines, compressedBytesReadSoFar)` with consecutive buffers of whole lines (the last may lack its newline).
    public func forEachChunk(_ body: (UnsafeRawBufferPointer, Int64) throws -> Void) throws {
        let fd = path == "-" ? 0 : open(path, O_RDONLY)
        guard fd >= 0 else { throw ReadError(description: "\(path): \(String(cString: strerror(errno)))") }
        defer { if fd != 0 { close(fd) } }
        var raw = [UInt8](repeating: 0, count: chunkSize)
        var pending: [UInt8] = []  // decoded bytes not yet handed out (a partial last line)
        var readTotal: Int64 = 0
        var inflater: Inflater?
        var first = true
        while true {
            let n = raw.withUnsafeMutableBytes { read(fd, $0.baseAddress!, chunkSize) }
            if n < 0 { throw ReadError(description: "\(path): \(String(cString: strerror(errno)))") }
            if n == 0 { break }
            readTotal += Int64(n)
            if first {
                first = false
                if n >= 2 && raw[0] == 0x1f && raw[1] == 0x8b { inflater = try Inflater(path: path) }
            }
            if let inf = inflater {
                try raw.withUnsafeBytes { try inf.inflate(UnsafeRawBufferPointer(rebasing: $0[0..<n]), into: &pending) }
            } else {
                pending.append(contentsOf: raw[0..<n])
            }
            // Hand out everything up to the last newline; keep the rest.
            guard let lastNewline = pending.lastIndex(of: UInt8(ascii: "\n")) else { continue }
            try pending.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0...lastNewline]), readTotal) }
            pending.removeSubrange(0...lastNewline)
        }
        if let inf = inflater, !inf.finished { throw ReadError(description: "\(path): truncated gzip data") }
        if !pending.isEmpty { try pending.withUnsafeBytes { try body($0, readTotal) } }
    }
}

/// Streaming gzip (or zlib) decompression with zlib's inflate.
final class Inflater {
    private var stream = z_stream()
    private(set) var finished = false
    let path: String

    init(path: String) throws {
        self.path = path
        // 15 + 32: any window size, gzip or zlib header detected automatically.
        guard inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ExpositionFileReader.ReadError(description: "\(path): cannot start gzip decompression")
        }
    }

    deinit { inflateEnd(&stream) }

    func inflate(_ input: UnsafeRawBufferPointer, into out: inout [UInt8], limit: Int = .max) throws {
        guard !input.isEmpty else { return }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress!.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(input.count)
        repeat {
            if finished {
                // Concatenated gzip members (as `cat a.gz b.gz` makes): start the next one.
                guard inflateReset(&stream) == Z_OK else { throw ExpositionFileReader.ReadError(description: "\(path): corrupt gzip data") }
                finished = false
            }
            let produced: Int = try buffer.withUnsafeMutableBytes { b in
                stream.next_out = b.baseAddress!.assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(b.count)
                let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                switch status {
                case Z_OK, Z_BUF_ERROR: break
                case Z_STREAM_END: finished = true
                default:
                    let why = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    throw ExpositionFileReader.ReadError(description: "\(path): corrupt gzip data (\(why)) at compressed byte \(stream.total_in)")
                }
                return b.count - Int(stream.avail_out)
            }
            out.append(contentsOf: buffer[0..<produced])
            if out.count > limit { throw ExpositionFileReader.ReadError(description: "\(path): more than \(limit) bytes once decompressed") }
        } while stream.avail_in > 0 || stream.avail_out == 0
    }
}
