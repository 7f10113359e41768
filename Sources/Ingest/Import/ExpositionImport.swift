import Dispatch
import Glibc
import Synchronization
import TSDB

/// A bad line of an import: `file:line:column: message`.
public struct ImportError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var error: ExpositionError
    public var description: String { "\(file):\(error)" }
}

/// Feeds exposition text into a `BlockImporter`, buffer by buffer of whole
/// lines. Each buffer is cut at line boundaries into one piece per core;
/// the pieces are parsed in parallel into flat (series, time, value)
/// columns, then added to the importer in file order. Within a piece the
/// series of the previous line is recognised by comparing bytes; other
/// series through a shared table of their written form. By default the
/// first bad line (in file order) stops the import before anything is
/// written; with `skipInvalid` bad lines are counted and skipped.
public struct ExpositionImport {
    public struct Options: Sendable {
        public var format: ExpositionFormat = .prometheusText
        /// Milliseconds given to samples without a timestamp (else they are errors).
        public var defaultTimestamp: Int64?
        public var skipInvalid = false
        /// Pieces parsed at once.
        public var parallelism = max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))

        public init() {}
    }

    public let file: String
    public let options: Options
    public private(set) var skippedLines = 0
    public private(set) var firstSkipped: ImportError?
    private var line = 1
    private var sawEOF = false

    public init(file: String, options: Options) {
        self.file = file
        self.options = options
    }

    /// What parsing one piece produced.
    struct Piece {
        var series: [Int32] = []
        var times: [Int64] = []
        var values: [Double] = []
        var error: ExpositionError?
        var skipped = 0
        var firstSkipped: ExpositionError?
        var lines = 0
        var sawEOF = false
        var hadEntries = false
    }

    /// Series by their written form, shared by the pieces; new ones are
    /// registered with the importer (under the lock).
    final class SeriesTable: @unchecked Sendable {
        // @unchecked: `byText` and the importer are touched only with `lock`
        // held while pieces are parsed; `feed` uses the importer itself only
        // after every piece has finished.
        private let lock = Mutex(())
        private var byText: [[UInt8]: Int32] = [:]
        private let importer: BlockImporter

        init(_ importer: BlockImporter) { self.importer = importer }

        func id(_ s: ExpositionSample) throws(ExpositionError) -> Int32 {
            let text = Array(s.series)
            if let known = lock.withLock({ _ in byText[text] }) { return known }
            let labels = try s.labels()
            return lock.withLock { _ in
                if let known = byText[text] { return known }
                let id = Int32(importer.series(labels))
                byText[text] = id
                return id
            }
        }
    }

    private var table: SeriesTable?

    /// Parses one buffer of whole lines into `importer`.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, into importer: BlockImporter) throws(ImportError) {
        let table = self.table ?? SeriesTable(importer)
        self.table = table
        let bounds = Self.pieces(bytes, count: bytes.count < 1 << 20 ? 1 : options.parallelism)
        let results = Mutex([Piece?](repeating: nil, count: bounds.count))
        let options = self.options
        // The buffer is only read while the pieces are parsed, and outlives them.
        nonisolated(unsafe) let shared = bytes
        DispatchQueue.concurrentPerform(iterations: bounds.count) { k in
            // Line numbers within the piece; made absolute below, once the pieces before have counted theirs.
            let piece = Self.parse(UnsafeRawBufferPointer(rebasing: shared[bounds[k]]), firstLine: 1, options: options, table: table)
            results.withLock { $0[k] = piece }
        }
        var eof = sawEOF
        for piece in results.withLock({ $0 }).map({ $0! }) {
            func absolute(_ e: ExpositionError) -> ImportError {
                var e = e
                e.line += line - 1
                return ImportError(file: file, error: e)
            }
            if eof && piece.hadEntries {
                throw ImportError(file: file, error: ExpositionError(line: line, column: 1, message: "unexpected content after \"# EOF\""))
            }
            if let e = piece.error { throw absolute(e) }
            skippedLines += piece.skipped
            if firstSkipped == nil, let e = piece.firstSkipped { firstSkipped = absolute(e) }
            for k in piece.series.indices { importer.add(series: Int(piece.series[k]), piece.times[k], piece.values[k]) }
            eof = eof || piece.sawEOF
            line += piece.lines
        }
        sawEOF = eof
    }

    /// Checks the end of the input (an OpenMetrics file must end with `# EOF`).
    public func finish() throws(ImportError) {
        guard options.format == .openMetrics, !sawEOF else { return }
        throw ImportError(file: file, error: ExpositionError(line: line, column: 1,
                                                             message: "expected \"# EOF\" at the end of an OpenMetrics exposition"))
    }

    /// Cuts `bytes` into up to `count` ranges ending at newlines.
    static func pieces(_ bytes: UnsafeRawBufferPointer, count: Int) -> [Range<Int>] {
        var out: [Range<Int>] = []
        var start = 0
        for k in 1..<max(count, 1) {
            var cut = bytes.count * k / count
            guard cut > start else { continue }
            while cut < bytes.count && bytes[cut - 1] != UInt8(ascii: "\n") { cut += 1 }
            if cut > start && cut < bytes.count { out.append(start..<cut); start = cut }
        }
        out.append(start..<bytes.count)
        return out
    }

    static func parse(_ bytes: UnsafeRawBufferPointer, firstLine: Int, options: Options, table: SeriesTable) -> Piece {
        var piece = Piece()
        var parser = ExpositionParser(bytes, format: options.format, firstLine: firstLine)
        var previous: UnsafeRawBufferPointer?
        var previousID: Int32 = 0
        func done() -> Piece {
            piece.lines = parser.line - firstLine
            piece.sawEOF = parser.sawEOF
            return piece
        }
        while true {
            do throws(ExpositionError) {
                guard let entry = try parser.next() else { return done() }
                piece.hadEntries = true
                guard case .sample(let s) = entry else { continue }
                guard let t = s.timestamp ?? options.defaultTimestamp else {
                    throw ExpositionError(line: s.line, column: 1, message: "sample has no timestamp (give one with --default-timestamp)")
                }
                let id: Int32
                if let p = previous, p.count == s.series.count, memcmp(p.baseAddress!, s.series.baseAddress!, p.count) == 0 {
                    id = previousID
                } else {
                    id = try table.id(s)
                    (previous, previousID) = (s.series, id)
                }
                piece.series.append(id)
                piece.times.append(t)
                piece.values.append(s.value)
            } catch {
                guard options.skipInvalid else {
                    piece.error = error
                    return done()
                }
                piece.skipped += 1
                if piece.firstSkipped == nil { piece.firstSkipped = error }
            }
        }
    }
}
