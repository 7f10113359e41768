import Foundation
import Testing
@testable import PromQL
import TSDB

@Suite("PromQL annotations")
struct AnnotationTests {
    @Test("positions are line:column of the expression, in bytes, across lines")
    func positionsAcrossLines() throws {
        #expect(Annotations.lineColumn(0, in: "rate(x[5m])") == "1:1")
        #expect(Annotations.lineColumn(5, in: "rate(x[5m])") == "1:6")
        let query = "sum(\n  rate(gauge[5m])\n)"
        #expect(Annotations.lineColumn(12, in: query) == "2:8")
        #expect(Annotations.lineColumn(99, in: query) == "invalid position")

        try withTestDatabase("promql-annotations") { db in
            let app = db.appender()
            for t in stride(from: Int64(0), through: 300_000, by: 15_000) {
                try app.append(Labels(["__name__": "gauge", "i": "1"]), t, Double(t))
                try app.append(Labels(["__name__": "gauge", "i": "2"]), t, Double(t))
            }
            try app.commit()
            var stats = QueryStatistics()
            _ = try Engine().instantQuery(try Parser.parse(query), at: 300_000, db: db, stats: &stats)
            let (warnings, infos) = stats.annotations.strings(for: query)
            #expect(warnings.isEmpty)
            // Two series, one annotation.
            #expect(infos == ["PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: \"gauge\" (2:8)"])
        }
    }

    @Test func equalAnnotationsAreReportedOnceInOrder() {
        var a = Annotations()
        a.invalidQuantile(2, at: 3)
        a.possibleNonCounter(metric: "x", at: 0)
        a.invalidQuantile(2, at: 3)
        a.invalidQuantile(-1, at: 3)
        let (warnings, infos) = a.strings(for: "abcdef")
        #expect(warnings == ["PromQL warning: quantile value should be between 0 and 1, got 2 (1:4)",
                             "PromQL warning: quantile value should be between 0 and 1, got -1 (1:4)"])
        #expect(infos.count == 1)
        var b = Annotations()
        b.merge(a)
        #expect(b == a)
    }
}
