import Foundation
@testable import Shell
import Testing
import TSDB

@Suite("Shell completion and multi-line input")
struct CompletionTests {
    @Test("candidates depend on where the cursor is")
    func contexts() throws {
        let dir = Fixture.tempDirectory
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try Fixture.makeDatabase(dir)
        defer { try? db.close() }
        let c = Completer(backend: EmbeddedBackend(db: db))

        // Functions, aggregations, metric names and keywords at the start of an expression.
        #expect(c.candidates("ra") == ["rad(", "range(", "rate("])
        #expect(c.candidates("http") == ["http_requests_total"])
        #expect(c.candidates("su").contains("sum(") && c.candidates("su").contains("sum_over_time("))
        #expect(c.candidates("sum(rate(ht") == ["http_requests_total"])
        #expect(c.candidates("up o") == ["offset", "on", "or"])
        // Label names inside braces: of that metric only.
        #expect(c.candidates("node_memory_free_bytes{") == ["instance"])
        #expect(c.candidates("up{j") == ["job"])
        #expect(c.candidates("up{job=\"api\", ") == ["instance", "job"])
        // Label values after an operator and a quote, closing the quote.
        #expect(c.candidates("up{job=\"") == ["api\"", "db\""])
        #expect(c.candidates("up{job=~'a") == ["api'"])
        #expect(c.candidates("node_memory_free_bytes{instance!=\"") == ["a\"", "b\""])
        // Label names in grouping lists.
        #expect(c.candidates("sum by (") == ["instance", "job"])
        #expect(c.candidates("sum without (inst") == ["instance"])
        #expect(c.candidates("a / on (j") == ["job"])
        // Not inside durations; backslash commands by name.
        #expect(c.candidates("rate(up[5") == [])
        #expect(c.candidates("\\ra") == ["\\range"])
        #expect(c.candidates("\\") .count == MetaCommand.names.count)
        // Earlier lines of a multi-line query give the context.
        #expect(c.candidates("sum by (job) (\n  rate(http_requests_total{instance=\"") == ["a\"", "b\"", "c\""])
    }

    @Test("an unfinished expression continues on the next line")
    func multiLine() {
        for unfinished in ["sum(", "rate(x[5m]", "up{job=\"a\"", "up{job=\"a", "a +", "a and", "sum by", "x /\n on(job)",
                           "sum(\n rate(x[5m])", "a offset", "a ==", "`raw", "sum by (job)", "a * on (job) group_left (x)",
                           "a + fill(0)", "a + on (x) group_left fill_left(1) fill_right(2)", "h </", "h >/ on (le)"] {
            #expect(QueryScanner.needsMore(unfinished), "\(unfinished) should continue")
        }
        for complete in ["up", "sum(rate(x[5m]))", "a + b", "up{job=\"(\"}", "x # comment (", "sum by (job) (x)", "",
                         "a)", "rate(x[5m:1m])", "\"a + \"", "a + fill", "a + fill(0) fill", "rate(x[5m] anchored)"] {
            #expect(!QueryScanner.needsMore(complete), "\(complete) is complete (or broken), not unfinished")
        }
    }
}
