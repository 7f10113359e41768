import Glibc
import TSDB

/// A bad line of an import: `file:line:column: message`.
public struct ImportError: Error, CustomStringConvertible, Sendable {
    public var file: String
    public var error: ExpositionError
    public var description: String { "\(file):\(error)" }
}

/// Feeds exposition text into a `BlockImporter`, buffer by buffer of whole
/// lines: samples of the series of the previous line are recognised by
/// comparing bytes, other series through a table of their written form.
/// By default the first bad line stops the import (nothing is written);
/// with `skipInvalid` bad lines are counted and skipped.
public struct ExpositionImport {
    public struct Options: Sendable {
        public var format: ExpositionFormat = .prometheusText
        /// Milliseconds given to samples without a timestamp (else they are errors).
        public var defaultTimestamp: Int64?
        public var skipInvalid = false

        public init() {}
    }

    public let file: String
    public let options: Options
    public private(set) var skippedLines = 0
    public private(set) var firstSkipped: ImportError?
    private var line = 1
    private var sawEOF = false
    private var previousSeries: [UInt8] = []
    private var previousIndex = -1
    private var seriesByText: [[UInt8]: Int] = [:]

    public init(file: String, options: Options) {
        self.file = file
        self.options = options
    }

    /// Parses one buffer of whole lines into `importer`.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer, into importer: BlockImporter) throws(ImportError) {
        var parser = ExpositionParser(bytes, format: options.format, firstLine: line, eofSeen: sawEOF)
        defer {
            line = parser.line
            sawEOF = parser.sawEOF
        }
        while true {
            do throws(ExpositionError) {
                guard let entry = try parser.next() else { return }
                guard case .sample(let s) = entry else { continue }
                guard let t = s.timestamp ?? options.defaultTimestamp else {
                    throw ExpositionError(line: s.line, column: 1, message: "sample has no timestamp (give one with --default-timestamp)")
                }
                let series = try index(of: s, importer)
                importer.add(series: series, t, s.value)
            } catch {
                let e = ImportError(file: file, error: error)
                guard options.skipInvalid else { throw e }
                skippedLines += 1
                if firstSkipped == nil { firstSkipped = e }
            }
        }
    }

    /// Checks the end of the input (an OpenMetrics file must end with `# EOF`).
    public func finish() throws(ImportError) {
        guard options.format == .openMetrics, !sawEOF else { return }
        throw ImportError(file: file, error: ExpositionError(line: line, column: 1,
                                                             message: "expected \"# EOF\" at the end of an OpenMetrics exposition"))
    }

    private mutating func index(of s: ExpositionSample, _ importer: BlockImporter) throws(ExpositionError) -> Int {
        if previousIndex >= 0 && s.series.count == previousSeries.count
            && previousSeries.withUnsafeBytes({ memcmp($0.baseAddress!, s.series.baseAddress!, s.series.count) }) == 0 {
            return previousIndex
        }
        let text = Array(s.series)
        let i: Int
        if let known = seriesByText[text] {
            i = known
        } else {
            i = importer.series(try s.labels())
            seriesByText[text] = i
        }
        (previousSeries, previousIndex) = (text, i)
        return i
    }
}
