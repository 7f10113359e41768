import Foundation
import TSDB

/// Runs a promqltest script against a fresh database and the engine, and
/// reports every eval's outcome. Values are compared as Prometheus' runner
/// does (`almost.Equal` with ε = 1e-6, NaN equal to NaN).
public struct ScriptRunner {
    public enum Status: Sendable, Equatable {
        case passed
        case failed(String)
    }

    public struct Outcome: Sendable {
        public var line: Int
        public var query: String
        public var status: Status
    }

    public var engine: Engine

    public init(engine: Engine = Engine()) { self.engine = engine }

    public func run(_ script: TestScript) throws -> [Outcome] {
        var outcomes: [Outcome] = []
        var dir = NSTemporaryDirectory() + "/promqltest-\(UUID().uuidString)"
        var db = try Self.openDB(dir)
        /// Series that hold native-histogram samples.
        var unsupportedData = false
        defer {
            try? db.close()
            try? FileManager.default.removeItem(atPath: dir)
        }
        for command in script.commands {
            switch command {
            case .clear:
                try db.close()
                try? FileManager.default.removeItem(atPath: dir)
                dir = NSTemporaryDirectory() + "/promqltest-\(UUID().uuidString)"
                db = try Self.openDB(dir)
                unsupportedData = false
            case .unsupported:
                unsupportedData = true
            case .loadWithNHCB(let interval, let series, _):
                try Self.load(series, interval: interval, into: db, withNHCB: true)
            case .load(let interval, let series, _):
                try Self.load(series, interval: interval, into: db)
            case .eval(let e):
                outcomes.append(Outcome(line: e.line, query: e.query, status: evaluate(e, db: db, unsupportedData: unsupportedData)))
            }
        }
        return outcomes
    }

    /// Loads float and native-histogram samples. With `withNHCB`, classic
    /// histograms are also loaded as custom-bucket native histograms.
    static func load(_ series: [TestScript.SeriesLine], interval: Int64, into db: DB, withNHCB: Bool = false) throws {
        // A series listed twice in one load: the later line wins (as upstream expects).
        var points: [Labels: [Int64: SeriesPoint]] = [:]
        var order: [Labels] = []
        for s in series {
            if points[s.labels] == nil { order.append(s.labels) }
            for (i, p) in s.points.enumerated() {
                let t = Int64(i) * interval
                switch p {
                case .value, .histogram: points[s.labels, default: [:]][t] = p
                case .stale: points[s.labels, default: [:]][t] = .value(StaleNaN.value)
                case .missing: continue
                }
            }
        }
        let app = db.appender()
        for labels in order {
            for (t, p) in (points[labels] ?? [:]).sorted(by: { $0.key < $1.key }) {
                switch p {
                case .value(let v): try app.append(labels, t, v)
                case .histogram(let h): try app.appendHistogram(labels, t, h)
                case .stale, .missing: break
                }
            }
        }
        if withNHCB {
            for (labels, samples) in try ClassicHistogramConversion.convert(points) {
                for s in samples { try app.appendHistogram(labels, s.t, s.h) }
            }
        }
        try app.commit()
    }

    static func openDB(_ dir: String) throws -> DB {
        var o = DBOptions()
        o.blockDuration = 1 << 50  // everything stays in the head: loads may span any time range
        o.compactionInterval = nil
        o.walSyncPolicy = .onSegmentClose
        return try DB.open(dir, options: o)
    }

    func evaluate(_ e: TestScript.Eval, db: DB, unsupportedData: Bool) -> Status {
        let result: QueryResult
        var stats = QueryStatistics()
        do {
            let expr = try Parser.parse(e.query)
            switch e.time {
            case .instant(let t): result = try engine.instantQuery(expr, at: t, db: db, stats: &stats)
            case .range(let s, let en, let st): result = try engine.rangeQuery(expr, start: s, end: en, step: st, db: db, stats: &stats)
            }
        } catch {
            guard e.mustFail else {
                return .failed(unsupportedData ? "unsupported data loaded; error: \(error)" : "error: \(error)")
            }
            if let expected = e.expectations.first(where: { $0.kind == .fail }), let message = expected.message {
                let ok = expected.isRegex ? (try? Regex(message).firstMatch(in: error.description)) != nil
                    : error.message == message || error.description == message
                return ok ? .passed : .failed("error message \"\(error.message)\" does not match \"\(message)\"")
            }
            return .passed
        }
        if e.mustFail { return .failed("expected an error, got a result") }
        if let problem = compare(result, e) { return .failed(problem) }
        if let problem = Self.checkAnnotations(stats.annotations.strings(for: e.query), e.expectations) { return .failed(problem) }
        return .passed
    }

    /// promqltest's rules: `expect warn|info` needs at least one annotation of
    /// that kind and each message given must match one; once any is given, every
    /// annotation of that kind must match some expect line; `no_warn|no_info` need none.
    static func checkAnnotations(_ got: (warnings: [String], infos: [String]),
                                 _ expectations: [TestScript.Expectation]) -> String? {
        for (kind, none, texts) in [(TestScript.Expectation.Kind.warn, TestScript.Expectation.Kind.noWarn, got.warnings),
                                    (.info, .noInfo, got.infos)] {
            let expected = expectations.filter { $0.kind == kind }
            func matches(_ x: TestScript.Expectation, _ text: String) -> Bool {
                guard let m = x.message else { return true }
                return x.isRegex ? (try? Regex(m).firstMatch(in: text)) != nil : text == m
            }
            if expectations.contains(where: { $0.kind == none }) && !texts.isEmpty {
                return "expected no \(kind == .warn ? "warnings" : "infos"), got \(texts)"
            }
            guard !expected.isEmpty else { continue }
            if texts.isEmpty { return "expected \(kind.rawValue) annotations, got none" }
            for x in expected where !texts.contains(where: { matches(x, $0) }) {
                return "no \(kind.rawValue) annotation matches \"\(x.message ?? "")\"; got \(texts)"
            }
            for t in texts where !expected.contains(where: { matches($0, t) }) {
                return "unexpected \(kind.rawValue) annotation \"\(t)\""
            }
        }
        return nil
    }

    /// Prometheus' `almost.Equal` with ε = 1e-6.
    public static func almostEqual(_ a: Double, _ b: Double) -> Bool {
        if a.isNaN && b.isNaN { return true }
        if a == b { return true }
        let minNormal = Double(bitPattern: 0x0010_0000_0000_0000)
        let absSum = abs(a) + abs(b)
        let diff = abs(a - b)
        if a == 0 || b == 0 || absSum < minNormal { return diff < 1e-6 * minNormal }
        return diff / Swift.min(absSum, .greatestFiniteMagnitude) < 1e-6
    }

    func compare(_ result: QueryResult, _ e: TestScript.Eval) -> String? {
        if let s = e.expectedString {
            guard case .string(_, let got) = result else { return "expected string \"\(s)\", got \(result)" }
            return got == s ? nil : "expected string \"\(s)\", got \"\(got)\""
        }
        switch result {
        case .scalar(_, let v):
            guard e.expected.count == 1, e.expected[0].labels.isEmpty, case .value(let want)? = e.expected[0].points.first else {
                return "got scalar \(v), expected \(e.expected.count) series"
            }
            return Self.almostEqual(v, want) ? nil : "expected scalar \(want), got \(v)"
        case .string(_, let s):
            return "got string \"\(s)\", expected series"
        case .vector(let samples):
            if e.expectsScalar { return "expected a scalar, got a vector of \(samples.count)" }
            guard samples.count == e.expected.count else {
                return "expected \(e.expected.count) series, got \(samples.count): \(samples.map { "\($0.labels) \(Self.describe($0))" }.prefix(5))"
            }
            for (k, want) in e.expected.enumerated() {
                guard let point = want.points.first, want.points.count == 1 else { return "expected series \(want.labels) has \(want.points.count) points" }
                let got = e.ordered ? (samples[k].labels == want.labels ? samples[k] : nil) : samples.first { $0.labels == want.labels }
                guard let g = got else { return "series \(want.labels) missing or out of order" }
                switch (point, g.h) {
                case (.value(let wv), nil):
                    if !Self.almostEqual(g.v, wv) { return "series \(want.labels): expected \(wv), got \(g.v)" }
                case (.histogram(let wh), let gh?):
                    if !Self.sameHistogram(wh, gh) { return "series \(want.labels): expected \(GoFormat.histogram(wh)), got \(GoFormat.histogram(gh))" }
                default:
                    return "series \(want.labels): expected \(point), got \(Self.describe(g))"
                }
            }
            return nil
        case .matrix(let series):
            guard series.count == e.expected.count else {
                return "expected \(e.expected.count) series, got \(series.count): \(series.map(\.labels).prefix(5))"
            }
            let times: [Int64]
            switch e.expectedRangeVector ?? e.time {
            case .range(let s, let en, let st): times = Array(stride(from: s, through: en, by: Int(st)))
            case .instant: return "got a range vector, expected \(e.expected.count) instant series"
            }
            for want in e.expected {
                guard let got = series.first(where: { $0.labels == want.labels }) else { return "series \(want.labels) missing" }
                var floats: [Sample] = []
                var histograms: [HistogramSample] = []
                for (i, p) in want.points.enumerated() where i < times.count {
                    switch p {
                    case .value(let v): floats.append(Sample(times[i], v))
                    case .histogram(let h): histograms.append(HistogramSample(times[i], h))
                    case .missing, .stale: break
                    }
                }
                guard got.points.count == floats.count,
                      zip(got.points, floats).allSatisfy({ $0.t == $1.t && Self.almostEqual($0.v, $1.v) }) else {
                    return "series \(want.labels): expected \(floats.map { "\($0.v)@\($0.t)" }), got \(got.points.map { "\($0.v)@\($0.t)" })"
                }
                guard got.histograms.count == histograms.count,
                      zip(got.histograms, histograms).allSatisfy({ $0.t == $1.t && Self.sameHistogram($1.h, $0.h) }) else {
                    return "series \(want.labels): expected histograms \(histograms.map { "\(GoFormat.histogram($0.h))@\($0.t)" }), got \(got.histograms.map { "\(GoFormat.histogram($0.h))@\($0.t)" })"
                }
            }
            return nil
        }
    }
}
