import Foundation
import Ingest
import PromQL
import TSDB

/// The shell over a data directory opened in this process: queries run on
/// the engine directly, with no server in between.
public final class EmbeddedBackend: ShellBackend {
    public let db: DB
    public let engine: Engine
    public var name: String { db.directory }

    public init(db: DB, engine: Engine = Engine()) {
        self.db = db
        self.engine = engine
    }

    public func query(_ query: String, at t: Int64, cancellation: QueryCancellation) throws(ShellError) -> QueryAnswer {
        let (expr, engine) = try prepare(query, cancellation)
        var stats = QueryStatistics()
        do {
            let result = try engine.instantQuery(expr, at: t, db: db, stats: &stats)
            return answer(result, stats, query)
        } catch {
            throw ShellError(error.description)
        }
    }

    public func queryRange(_ query: String, start: Int64, end: Int64, step: Int64,
                           cancellation: QueryCancellation) throws(ShellError) -> QueryAnswer {
        let (expr, engine) = try prepare(query, cancellation)
        var stats = QueryStatistics()
        do {
            let result = try engine.rangeQuery(expr, start: start, end: end, step: step, db: db, stats: &stats)
            return answer(result, stats, query)
        } catch {
            throw ShellError(error.description)
        }
    }

    private func prepare(_ query: String, _ cancellation: QueryCancellation) throws(ShellError) -> (Expr, Engine) {
        var engine = self.engine
        engine.options.cancellation = cancellation
        do {
            return (try Parser.parse(query), engine)
        } catch {
            throw ShellError(error.message + (error.expected.map { ", expected \($0)" } ?? ""),
                             line: error.position?.line, column: error.position?.column)
        }
    }

    private func answer(_ result: QueryResult, _ stats: QueryStatistics, _ query: String) -> QueryAnswer {
        let (warnings, infos) = stats.annotations.strings(for: query)
        return QueryAnswer(result: result, warnings: warnings, infos: infos, samples: stats.totalQueryableSamples)
    }

    /// The matchers of selectors like `up{job="x"}`.
    private func matcherSets(_ selectors: [String]) throws(ShellError) -> [[LabelMatcher]] {
        var sets: [[LabelMatcher]] = []
        for s in selectors {
            do {
                guard case .vectorSelector(let vs) = try Parser.parse(s) else { throw ShellError("\(s) is not a series selector") }
                sets.append(vs.matchers)
            } catch let e as ShellError {
                throw e
            } catch {
                throw ShellError("\(s): \(error)")
            }
        }
        return sets.isEmpty ? [[]] : sets
    }

    private func reading<T>(_ body: () throws -> T) throws(ShellError) -> T {
        do { return try body() } catch { throw ShellError("\(error)") }
    }

    public func labelNames(_ matchers: [String]) throws(ShellError) -> [String] {
        let sets = try matcherSets(matchers)
        return try reading {
            let q = db.querier(mint: .min, maxt: .max)
            return Array(Set(try sets.flatMap { try q.labelNames($0) })).sorted()
        }
    }

    public func labelValues(_ name: String, _ matchers: [String]) throws(ShellError) -> [String] {
        let sets = try matcherSets(matchers)
        return try reading {
            let q = db.querier(mint: .min, maxt: .max)
            return Array(Set(try sets.flatMap { try q.labelValues(name, $0) })).sorted()
        }
    }

    public func series(_ matchers: [String]) throws(ShellError) -> [Labels] {
        let sets = try matcherSets(matchers)
        return try reading {
            let q = db.querier(mint: .min, maxt: .max)
            return Array(Set(try sets.flatMap { try q.select($0).map(\.labels) })).sorted()
        }
    }

    public func stats() throws(ShellError) -> [String] {
        let s = db.stats
        let card = db.head.cardinality(limit: 5)
        var lines = [
            "data directory  \(db.directory)",
            "head            \(s.head.numSeries) series, \(s.head.samplesAppended) samples, \(s.head.numChunks) chunks"
                + (s.head.minTime.map { ", \(TimeFormat.rfc3339($0)) – \(TimeFormat.rfc3339(s.head.maxTime ?? $0))" } ?? ""),
            "blocks          \(s.blocks.count), \(s.blockSamples) samples, \(ByteCount.text(s.blockBytes))"
                + (s.blockSamples > 0 ? String(format: " (%.2f bytes/sample)", Double(s.blockBytes) / Double(s.blockSamples)) : ""),
            "WAL             \(ByteCount.text(s.walBytes))",
            "disk use        \(ByteCount.text(s.blockBytes + s.walBytes))",
        ]
        if !card.seriesCountByMetricName.isEmpty {
            lines.append("most series     " + card.seriesCountByMetricName.map { "\($0.name) \($0.value)" }.joined(separator: ", "))
        }
        return lines
    }

    public func importFile(_ path: String) throws(ShellError) -> String {
        do {
            let importer = BlockImporter()
            var options = ExpositionImport.Options()
            options.format = path.hasSuffix(".om") || path.hasSuffix(".om.gz") ? .openMetrics : .prometheusText
            var feeder = ExpositionImport(file: path, options: options)
            let reader = ExpositionFileReader(path: path)
            try reader.forEachChunk { lines, _ in try feeder.feed(lines, into: importer) }
            try feeder.finish()
            let summary = try importer.write(into: db.directory)
            _ = try db.loadNewBlocks()
            return "imported \(summary.samples) samples of \(summary.series) series into \(summary.blocks.count) block(s)"
        } catch {
            throw ShellError("\(error)")
        }
    }
}
