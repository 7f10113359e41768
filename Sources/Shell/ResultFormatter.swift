import PromQL
import Server
import TSDB

/// How results are printed: `\format table|json|csv|chart`.
public enum OutputFormat: String, Sendable, CaseIterable {
    case table, json, csv, chart
}

/// Turns query results into text: tables, CSV, the API's JSON, or a chart
/// (range results; instant ones fall back to a table).
public struct ResultFormatter: Sendable {
    public var format: OutputFormat
    /// Terminal width in characters, for charts.
    public var width = 100
    /// ANSI colours in charts.
    public var color = false
    /// What the values measure, for the chart's value axis.
    public var unit = ValueFormat.Unit.plain

    public init(format: OutputFormat) { self.format = format }

    public func render(_ answer: QueryAnswer) -> String {
        switch format {
        case .json:
            return QueryResultJSON.encode(answer.result, warnings: answer.warnings, infos: answer.infos)
        case .csv:
            return Self.csv(answer.result)
        case .table, .chart:
            switch answer.result {
            case .scalar(_, let v): return ValueFormat.text(v, digits: 17)
            case .string(_, let s): return s
            case .vector(let samples): return Self.table(samples)
            case .matrix(let series):
                if format == .chart && series.contains(where: { $0.points.count > 1 }) {
                    return ChartRenderer(width: width, color: color, unit: unit).render(series)
                }
                return Self.table(series)
            }
        }
    }

    /// Label columns for a set of series: `__name__` first, then the others sorted.
    static func columns(_ labelSets: [Labels]) -> [String] {
        var names = Set<String>()
        for l in labelSets { for p in l.pairs { names.insert(p.name) } }
        let hasName = names.remove("__name__") != nil
        return (hasName ? ["__name__"] : []) + names.sorted()
    }

    static func table(_ samples: [VectorSample]) -> String {
        let cols = columns(samples.map(\.labels))
        var t = TextTable(header: cols + ["value"], rightAligned: [cols.count])
        for s in samples { t.rows.append(cols.map { s.labels[$0] } + [s.h.map(GoFormat.histogram) ?? ValueFormat.text(s.v)]) }
        let at = samples.first.map { " at \(TimeFormat.rfc3339($0.t))" } ?? ""
        return t.render() + "\n(\(samples.count) series\(at))"
    }

    /// Range results as rows of labels, time and value, series after series.
    static func table(_ series: [RangeSeries]) -> String {
        let cols = columns(series.map(\.labels))
        var t = TextTable(header: cols + ["time", "value"], rightAligned: [cols.count + 1])
        var points = 0
        for s in series {
            let labels = cols.map { s.labels[$0] }
            for p in s.points { t.rows.append(labels + [TimeFormat.rfc3339(p.t), ValueFormat.text(p.v)]) }
            for p in s.histograms { t.rows.append(labels + [TimeFormat.rfc3339(p.t), GoFormat.histogram(p.h)]) }
            points += s.points.count + s.histograms.count
        }
        return t.render() + "\n(\(series.count) series, \(points) points)"
    }

    static func csv(_ result: QueryResult) -> String {
        func field(_ s: String) -> String {
            s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
        }
        func seconds(_ ms: Int64) -> String { GoFormat.formatFloat(Double(ms) / 1000) }
        func value(_ v: Double) -> String { GoFormat.formatFloat(v, .api) }
        switch result {
        case .scalar(let t, let v): return "timestamp,value\n\(seconds(t)),\(value(v))"
        case .string(let t, let s): return "timestamp,value\n\(seconds(t)),\(field(s))"
        case .vector(let samples):
            let cols = columns(samples.map(\.labels))
            var lines = [(cols + ["timestamp", "value"]).map(field).joined(separator: ",")]
            for s in samples {
                lines.append((cols.map { field(s.labels[$0]) } + [seconds(s.t), s.h.map { field(GoFormat.histogram($0)) } ?? value(s.v)]).joined(separator: ","))
            }
            return lines.joined(separator: "\n")
        case .matrix(let series):
            let cols = columns(series.map(\.labels))
            var lines = [(cols + ["timestamp", "value"]).map(field).joined(separator: ",")]
            for s in series {
                let labels = cols.map { field(s.labels[$0]) }
                for p in s.points { lines.append((labels + [seconds(p.t), value(p.v)]).joined(separator: ",")) }
                for p in s.histograms { lines.append((labels + [seconds(p.t), field(GoFormat.histogram(p.h))]).joined(separator: ",")) }
            }
            return lines.joined(separator: "\n")
        }
    }
}
