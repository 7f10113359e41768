/// Encoded chunk bytes at a stable address, owned by this object: the head's
/// sealed chunks live here so that readers can decode them through raw
/// pointers while the head keeps appending elsewhere.
public final class ChunkBytes: Sendable {
    // Written once in init, never mutated, freed in deinit: safe to share.
    nonisolated(unsafe) private let base: UnsafeMutableRawPointer
    public let count: Int

    public init(_ bytes: [UInt8]) {
        count = bytes.count
        base = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(count, 1), alignment: 8)
        bytes.withUnsafeBytes { if count > 0 { base.copyMemory(from: $0.baseAddress!, byteCount: count) } }
    }

    /// `count` bytes written by `fill`.
    public init(count: Int, fill: (UnsafeMutableRawBufferPointer) -> Void) {
        self.count = count
        base = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(count, 1), alignment: 8)
        fill(UnsafeMutableRawBufferPointer(start: base, count: count))
    }

    deinit { base.deallocate() }

    public var raw: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }
}

/// What a reader needs to decode one chunk of a series: its time range, its
/// encoding, and its bytes, kept alive by `owner` (a `ChunkBytes` of the head
/// or the `MappedFile` of a block's chunk segment).
public struct ChunkMeta: @unchecked Sendable {
    // @unchecked: `bytes` points into memory that `owner` (itself Sendable and
    // immutable) keeps alive and never mutates.
    public let mint: Int64
    public let maxt: Int64
    public let encoding: ChunkEncoding
    public let bytes: UnsafeRawBufferPointer
    public let owner: any AnyObject & Sendable
    /// Where its iterator starts when the reader wants no sample before this
    /// point's time (set by the head on open chunks read from a later time).
    public let resume: XORResumePoint?

    public init(mint: Int64, maxt: Int64, encoding: ChunkEncoding, bytes: UnsafeRawBufferPointer,
                owner: any AnyObject & Sendable, resume: XORResumePoint? = nil) {
        self.mint = mint
        self.maxt = maxt
        self.encoding = encoding
        self.bytes = bytes
        self.owner = owner
        self.resume = resume
    }

    public init(mint: Int64, maxt: Int64, encoding: ChunkEncoding, storage: ChunkBytes, resume: XORResumePoint? = nil) {
        self.init(mint: mint, maxt: maxt, encoding: encoding, bytes: storage.raw, owner: storage, resume: resume)
    }

    /// An iterator over the chunk's samples: all of them, or those after
    /// `resume` when it is set (readers filter by time anyway).
    public func iterator() -> ChunkIterator {
        var it = ChunkIterator(encoding: encoding, bytes: bytes)
        if let resume { it.resume(at: resume) }
        return it
    }
}
