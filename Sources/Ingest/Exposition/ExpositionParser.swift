import TSDB

/// The two exposition formats a scrape or an import file can be in.
public enum ExpositionFormat: Sendable, Equatable {
    /// Prometheus text format 0.0.4 (timestamps in milliseconds, `#` comments allowed).
    case prometheusText
    /// OpenMetrics 1.0 (timestamps in seconds, `# UNIT`, exemplars, ends with `# EOF`).
    case openMetrics

    /// The format a `Content-Type` header announces (text when absent or unknown).
    public init(contentType: String?) {
        self = contentType?.lowercased().hasPrefix("application/openmetrics-text") == true ? .openMetrics : .prometheusText
    }

    /// The format of a whole file: OpenMetrics if its last line is `# EOF`.
    public static func detect(_ bytes: UnsafeRawBufferPointer) -> ExpositionFormat {
        var end = bytes.count
        while end > 0, bytes[end - 1] == UInt8(ascii: "\n") || bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        let eof = Array("# EOF".utf8)
        guard end >= eof.count else { return .prometheusText }
        let start = end - eof.count
        guard start == 0 || bytes[start - 1] == UInt8(ascii: "\n") else { return .prometheusText }
        return (0..<eof.count).allSatisfy { bytes[start + $0] == eof[$0] } ? .openMetrics : .prometheusText
    }
}

/// A malformed exposition: where (1-based line and column, in bytes) and what was expected.
public struct ExpositionError: Error, CustomStringConvertible, Equatable, Sendable {
    public var line: Int
    public var column: Int
    public var message: String

    public init(line: Int, column: Int, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(line):\(column): \(message)" }
}

/// One sample line, as views into the parsed bytes (valid while they are).
public struct ExpositionSample {
    /// The series as written, `name{label="value",…}`: equal bytes mean the same
    /// series written the same way (a cheap key for the series of consecutive lines).
    public let series: UnsafeRawBufferPointer
    public let value: Double
    /// Milliseconds; nil when the line has none.
    public let timestamp: Int64?
    /// 1-based line number.
    public let line: Int

    /// The labels, metric name included as `__name__`, escapes resolved;
    /// invalid UTF-8 is an error naming the line.
    public func labels() throws(ExpositionError) -> Labels {
        var raw: [(name: [UInt8], value: [UInt8])] = []
        var c = ExpositionCursor(series, line: line)
        if c.peek != UInt8(ascii: "{") { raw.append((Array(Labels.metricName.utf8), c.bareName(allowColon: true))) }
        if c.peek == UInt8(ascii: "{") {
            c.advance()
            while c.peek != UInt8(ascii: "}") {
                let name = c.peek == UInt8(ascii: "\"") ? c.quoted() : c.bareName(allowColon: false)
                c.skipBlanks()
                if c.peek == UInt8(ascii: "=") {
                    c.advance()
                    c.skipBlanks()
                    raw.append((name, c.quoted()))
                } else {
                    raw.append((Array(Labels.metricName.utf8), name))  // a quoted metric name inside the braces
                }
                c.skipBlanks()
                if c.peek == UInt8(ascii: ",") { c.advance(); c.skipBlanks() }
            }
        }
        do { return try Labels(validating: raw) } catch {
            throw ExpositionError(line: line, column: 1, message: "\(error)")
        }
    }
}

/// What a line of an exposition is.
public enum ExpositionEntry {
    case sample(ExpositionSample)
    /// `# TYPE`, `# HELP`, `# UNIT` of a metric family.
    case metadata(family: String, MetadataField)
    /// Other comments and (text format) blank lines.
    case comment
    /// `# EOF` (OpenMetrics): nothing may follow.
    case eof

    public enum MetadataField: Equatable, Sendable {
        case type(MetricMetadata.Kind)
        case help(String)
        case unit(String)
    }
}

/// A streaming, zero-copy parser of the Prometheus text format and
/// OpenMetrics over a buffer of complete lines: `next()` returns one entry
/// per line without allocating for samples (series, value and timestamp are
/// read in place; labels are decoded only when asked for). Exemplars are
/// checked for syntax and dropped (the storage keeps no exemplars). Every
/// error names the line and column and says what was expected.
public struct ExpositionParser {
    public let format: ExpositionFormat
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0
    /// Line number of the next line (1-based), counted from `firstLine`.
    public private(set) var line: Int
    /// Whether `# EOF` has been read (nothing may follow it).
    public private(set) var sawEOF: Bool

    /// `bytes` must hold whole lines; `firstLine` is the number of its first
    /// line in the whole input and `eofSeen` whether an earlier buffer ended
    /// with `# EOF` (when feeding a long input buffer by buffer).
    public init(_ bytes: UnsafeRawBufferPointer, format: ExpositionFormat, firstLine: Int = 1, eofSeen: Bool = false) {
        self.bytes = bytes
        self.format = format
        self.line = firstLine
        self.sawEOF = eofSeen
    }

    /// Bytes consumed so far.
    public var consumed: Int { offset }

    /// The next entry; nil at the end of the buffer (for OpenMetrics, a
    /// missing `# EOF` is reported by `finish()`).
    public mutating func next() throws(ExpositionError) -> ExpositionEntry? {
        guard offset < bytes.count else { return nil }
        var end = offset
        while end < bytes.count && bytes[end] != UInt8(ascii: "\n") { end += 1 }
        var lineEnd = end
        if lineEnd > offset && bytes[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
        let text = UnsafeRawBufferPointer(rebasing: bytes[offset..<lineEnd])
        let number = line
        offset = min(end + 1, bytes.count)
        line += 1
        if sawEOF {
            throw ExpositionError(line: number, column: 1, message: "unexpected content after \"# EOF\"")
        }
        return try parseLine(text, number)
    }

    /// Checks the end of the input: OpenMetrics must have ended with `# EOF`.
    public func finish() throws(ExpositionError) {
        if format == .openMetrics && !sawEOF {
            throw ExpositionError(line: line, column: 1, message: "expected \"# EOF\" at the end of an OpenMetrics exposition")
        }
    }

    private mutating func parseLine(_ text: UnsafeRawBufferPointer, _ number: Int) throws(ExpositionError) -> ExpositionEntry {
        var c = ExpositionCursor(text, line: number)
        if format == .prometheusText { c.skipBlanks() }
        if c.atEnd {
            if format == .openMetrics { throw c.error("unexpected blank line (OpenMetrics has none)") }
            return .comment
        }
        if c.peek == UInt8(ascii: "#") { return try comment(&c) }
        return .sample(try sample(&c, text, number))
    }

    private mutating func comment(_ c: inout ExpositionCursor) throws(ExpositionError) -> ExpositionEntry {
        c.advance()
        let afterHash = c.position
        c.skipBlanks()
        let keyword = c.word()
        switch keyword {
        case "EOF" where format == .openMetrics:
            c.skipBlanks()
            guard c.atEnd else { throw c.error("unexpected text after \"# EOF\"") }
            sawEOF = true
            return .eof
        case "TYPE", "HELP", "UNIT":
            if keyword == "UNIT" && format == .prometheusText { return .comment }
            guard c.peek == UInt8(ascii: " ") || c.peek == UInt8(ascii: "\t") else {
                if format == .prometheusText { return .comment }
                throw c.error("expected a metric family name after \"# \(keyword)\"")
            }
            c.skipBlanks()
            guard !c.atEnd else { throw c.error("expected a metric family name after \"# \(keyword)\"") }
            let familyBytes = c.peek == UInt8(ascii: "\"") ? try c.checkedQuoted() : try c.checkedName(allowColon: true)
            guard let family = String(validating: familyBytes, as: UTF8.self) else { throw c.error("metric family name is not valid UTF-8") }
            if keyword == "HELP" {
                if c.atEnd { return .metadata(family: family, .help("")) }
                guard c.peek == UInt8(ascii: " ") || c.peek == UInt8(ascii: "\t") else { throw c.error("expected a space before the help text") }
                c.advance()
                return .metadata(family: family, .help(try c.helpText()))
            }
            guard c.peek == UInt8(ascii: " ") || c.peek == UInt8(ascii: "\t") else {
                throw c.error("expected a \(keyword == "TYPE" ? "metric type" : "unit") after the family name")
            }
            c.skipBlanks()
            let valueColumn = c.position + 1
            let value = c.rest()
            if keyword == "UNIT" { return .metadata(family: family, .unit(value)) }
            let kinds: [MetricMetadata.Kind] = format == .openMetrics
                ? [.counter, .gauge, .histogram, .gaugehistogram, .summary, .info, .stateset, .unknown]
                : [.counter, .gauge, .histogram, .summary, .unknown]
            let typeName = value == "untyped" && format == .prometheusText ? "unknown" : value
            guard let kind = MetricMetadata.Kind(rawValue: typeName), kinds.contains(kind) else {
                let expected = format == .prometheusText ? "counter, gauge, histogram, summary, untyped" : kinds.map(\.rawValue).joined(separator: ", ")
                throw ExpositionError(line: c.line, column: valueColumn, message: "unknown metric type \"\(value)\", expected one of \(expected)")
            }
            return .metadata(family: family, .type(kind))
        default:
            if format == .openMetrics {
                c.position = afterHash
                throw c.error("expected \"TYPE\", \"HELP\", \"UNIT\" or \"EOF\" after \"#\" (OpenMetrics allows no other comments)")
            }
            return .comment
        }
    }

    private func sample(_ c: inout ExpositionCursor, _ text: UnsafeRawBufferPointer, _ number: Int) throws(ExpositionError) -> ExpositionSample {
        let seriesStart = c.position
        var hasName = false
        if c.peek != UInt8(ascii: "{") {
            try c.skipName(allowColon: true)
            hasName = true
        }
        if c.peek == UInt8(ascii: "{") {
            c.advance()
            c.skipBlanks()
            var first = true
            while c.peek != UInt8(ascii: "}") {
                guard !c.atEnd else { throw c.error("expected a label name or \"}\"") }
                if c.peek == UInt8(ascii: "\"") {
                    try c.skipQuoted()
                    c.skipBlanks()
                    if c.peek != UInt8(ascii: "=") {
                        // A quoted metric name: only as the first item, and only if there was no name before the braces.
                        guard first && !hasName else { throw c.error("expected \"=\" after the label name") }
                        hasName = true
                    } else {
                        c.advance()
                        c.skipBlanks()
                        guard c.peek == UInt8(ascii: "\"") else { throw c.error("expected a quoted label value") }
                        try c.skipQuoted()
                    }
                } else {
                    try c.skipName(allowColon: false)
                    c.skipBlanks()
                    guard c.peek == UInt8(ascii: "=") else { throw c.error("expected \"=\" after the label name") }
                    c.advance()
                    c.skipBlanks()
                    guard c.peek == UInt8(ascii: "\"") else { throw c.error("expected a quoted label value") }
                    try c.skipQuoted()
                }
                first = false
                c.skipBlanks()
                if c.peek == UInt8(ascii: ",") {
                    c.advance()
                    c.skipBlanks()
                } else if c.peek != UInt8(ascii: "}") {
                    throw c.error("expected \",\" or \"}\" after a label")
                }
            }
            c.advance()
        }
        guard hasName else { throw c.error("expected a metric name") }
        let series = UnsafeRawBufferPointer(rebasing: text[seriesStart..<c.position])
        guard c.peek == UInt8(ascii: " ") || c.peek == UInt8(ascii: "\t") else {
            throw c.error(c.atEnd ? "expected a value after the series" : "expected a space before the value")
        }
        c.skipBlanks()
        let value = try c.float()
        var timestamp: Int64?
        c.skipBlanks()
        if !c.atEnd && c.peek != UInt8(ascii: "#") {
            timestamp = format == .openMetrics ? try c.secondsTimestamp() : try c.millisecondsTimestamp()
            c.skipBlanks()
        }
        if !c.atEnd {
            guard format == .openMetrics, c.peek == UInt8(ascii: "#") else {
                throw c.error(format == .prometheusText ? "expected the end of the line after the timestamp" : "expected an exemplar (\" # {…} value\") or the end of the line")
            }
            try exemplar(&c)
        }
        return ExpositionSample(series: series, value: value, timestamp: timestamp, line: number)
    }

    /// ` # {labels} value [timestamp]`: checked, then dropped.
    private func exemplar(_ c: inout ExpositionCursor) throws(ExpositionError) {
        c.advance()
        c.skipBlanks()
        guard c.peek == UInt8(ascii: "{") else { throw c.error("expected \"{\" to start the exemplar's labels") }
        c.advance()
        c.skipBlanks()
        while c.peek != UInt8(ascii: "}") {
            guard !c.atEnd else { throw c.error("expected an exemplar label or \"}\"") }
            if c.peek == UInt8(ascii: "\"") { try c.skipQuoted() } else { try c.skipName(allowColon: false) }
            c.skipBlanks()
            guard c.peek == UInt8(ascii: "=") else { throw c.error("expected \"=\" after the exemplar label name") }
            c.advance()
            c.skipBlanks()
            try c.skipQuoted()
            c.skipBlanks()
            if c.peek == UInt8(ascii: ",") { c.advance(); c.skipBlanks() }
        }
        c.advance()
        c.skipBlanks()
        _ = try c.float()
        c.skipBlanks()
        if !c.atEnd { _ = try c.secondsTimestamp() }
        c.skipBlanks()
        guard c.atEnd else { throw c.error("expected the end of the line after the exemplar") }
    }
}
