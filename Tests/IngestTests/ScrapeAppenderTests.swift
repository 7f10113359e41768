import Foundation
import Testing
@testable import Ingest
import TSDB

@Suite("Scrape appends")
struct ScrapeAppenderTests {
    func setup(_ jobYAML: String) throws -> (DB, ScrapeAppender, String) {
        let dir = NSTemporaryDirectory() + "/scrape-\(UUID().uuidString)"
        let db = try DB.open(dir, options: { var o = DBOptions(); o.compactionInterval = nil; return o }())
        let job = try PrometheusConfig.parse(jobYAML, file: "t.yml").scrapeConfigs[0]
        let target = try #require(try TargetBuilder.targets(for: job, groups: TargetBuilder.staticGroups(job)).active.first)
        return (db, try ScrapeAppender(target: target, job: job), dir)
    }

    func scrape(_ s: inout ScrapeAppender, _ body: String?, at t: Int64, db: DB, failure: String? = nil) throws -> ScrapeReport {
        let app = db.appender()
        let bytes = Array((body ?? "").utf8)
        let report = bytes.withUnsafeBytes { raw in
            s.append(body: body == nil ? nil : raw, format: .prometheusText, failure: failure, at: t, duration: 0.25, into: app)
        }
        try app.commit()
        return report
    }

    func value(_ db: DB, _ matchers: [LabelMatcher], at t: Int64) throws -> [Labels: Double] {
        var out: [Labels: Double] = [:]
        for s in try db.querier(mint: t, maxt: t).select(matchers) {
            if let last = try s.samples().last { out[s.labels] = last.v }
        }
        return out
    }

    static let job = """
        scrape_configs:
          - job_name: app
            static_configs: [{targets: ["h:1"], labels: {env: prod}}]
            metric_relabel_configs:
              - source_labels: [__name__]
                regex: go_.*
                action: drop
        """

    @Test("target labels attached, clashing exposed labels exported_*, metric relabelling, report series, staleness")
    func lifecycle() throws {
        var (db, s, dir) = try setup(Self.job)
        defer { try? db.close(); try? FileManager.default.removeItem(atPath: dir) }
        let body1 = "# TYPE a counter\na_total{job=\"exposed\"} 1\nb 2 123\ngo_goroutines 7\n"
        let r1 = try scrape(&s, body1, at: 10_000, db: db)
        #expect(r1 == ScrapeReport(up: true, scraped: 3, postRelabeling: 2, seriesAdded: 2, error: nil))
        let a = Labels(["__name__": "a_total", "job": "app", "exported_job": "exposed", "instance": "h:1", "env": "prod"])
        let b = Labels(["__name__": "b", "job": "app", "instance": "h:1", "env": "prod"])
        #expect(try value(db, [.equal("instance", "h:1"), try LabelMatcher(.regexMatch, "__name__", "a_total|b")], at: 10_000) == [a: 1])
        let stored = try #require(try db.querier(mint: 0, maxt: .max).select([.equal("__name__", "b")]).first)
        #expect(stored.labels == b)
        #expect(try stored.samples() == [Sample(123, 2)])  // the exposed timestamp (honor_timestamps)
        #expect(try db.querier(mint: 0, maxt: .max).select([.equal("__name__", "go_goroutines")]).isEmpty)
        #expect(try value(db, [.equal("__name__", "up")], at: 10_000) == [Labels(["__name__": "up", "job": "app", "instance": "h:1", "env": "prod"]): 1])
        #expect(try value(db, [.equal("__name__", "scrape_samples_post_metric_relabeling")], at: 10_000).values.first == 2)

        // b disappears: a staleness marker at the scrape time; a continues.
        let r2 = try scrape(&s, "a_total{job=\"exposed\"} 2\n", at: 20_000, db: db)
        #expect(r2.up && r2.seriesAdded == 0)
        let bSamples = try #require(try db.querier(mint: 0, maxt: .max).select([.equal("__name__", "b")]).first?.samples())
        #expect(bSamples.count == 2 && bSamples[1].t == 20_000 && StaleNaN.isStale(bSamples[1].v))

        // A failed scrape: up 0, everything the target had goes stale.
        let r3 = try scrape(&s, nil, at: 30_000, db: db, failure: "connection refused")
        #expect(r3 == ScrapeReport(up: false, scraped: 0, postRelabeling: 0, seriesAdded: 0, error: "connection refused"))
        let aSamples = try #require(try db.querier(mint: 0, maxt: .max).select([.equal("__name__", "a_total")]).first?.samples())
        #expect(StaleNaN.isStale(aSamples.last!.v) && aSamples.last!.t == 30_000)
        #expect(try value(db, [.equal("__name__", "up")], at: 30_000).values.first == 0)

        // Garbage: the parse error is the scrape's error.
        let r4 = try scrape(&s, "a_total{ 1\n", at: 40_000, db: db)
        #expect(!r4.up && r4.error == "1:10: expected a label name, got \"1\"", "\(r4)")
        // The target goes away: its report series go stale too.
        let app = db.appender()
        s.markStale(at: 50_000, into: app)
        try app.commit()
        #expect(try db.querier(mint: 0, maxt: .max).select([.equal("__name__", "up")]).first?.samples().last.map { StaleNaN.isStale($0.v) } == true)
    }

    @Test("OpenMetrics _created series of counters are not stored, as Prometheus 3 scrapes them")
    func createdSeries() throws {
        var (db, s, dir) = try setup(Self.job)
        defer { try? db.close(); try? FileManager.default.removeItem(atPath: dir) }
        let app = db.appender()
        let body = Array("# TYPE req counter\nreq_total 5\nreq_created 1.7e9\n# TYPE temp gauge\ntemp_created 3\n# EOF\n".utf8)
        let report = body.withUnsafeBytes { s.append(body: $0, format: .openMetrics, failure: nil, at: 1_000, duration: 0.1, into: app) }
        try app.commit()
        #expect(report.up && report.scraped == 2, "\(report)")
        let names = try db.querier(mint: 0, maxt: .max).labelValues("__name__")
        #expect(names.contains("req_total") && names.contains("temp_created") && !names.contains("req_created"))
    }

    @Test("honor_labels keeps the exposed labels; honor_timestamps false uses the scrape time; limits fail the scrape")
    func optionsAndLimits() throws {
        var (db, s, dir) = try setup("""
            scrape_configs:
              - job_name: fed
                honor_labels: true
                honor_timestamps: false
                sample_limit: 2
                label_limit: 4
                static_configs: [{targets: ["h:1"]}]
            """)
        defer { try? db.close(); try? FileManager.default.removeItem(atPath: dir) }
        let r = try scrape(&s, "m{job=\"origin\"} 1 5\n", at: 10_000, db: db)
        #expect(r.up)
        #expect(try db.querier(mint: 0, maxt: .max).select([.equal("__name__", "m")]).map { $0.labels["job"] } == ["origin"])
        #expect(try db.querier(mint: 0, maxt: .max).select([.equal("__name__", "m")]).first?.samples() == [Sample(10_000, 1)])
        let tooMany = try scrape(&s, "m1 1\nm2 2\nm3 3\n", at: 20_000, db: db)
        #expect(!tooMany.up && tooMany.error == "sample limit exceeded")
        #expect(try db.querier(mint: 0, maxt: .max).select([.equal("__name__", "m1")]).isEmpty)
        let wide = try scrape(&s, "w{a=\"1\",b=\"2\",c=\"3\"} 1\n", at: 30_000, db: db)
        #expect(wide.error == "label_limit exceeded (metric: w, number of labels: 6, limit: 4)")  // __name__ counts, as in Prometheus
    }
}
