import Foundation
@testable import Rules
import Testing

/// `tsql test rules` files read in-process: what promtool 2.42 cannot run
/// (so the promtool comparison in ServerTests cannot cover it).
@Suite("Rule unit-test files")
struct RuleUnitTestTests {
    static func file(fuzzy: Bool) -> String {
        """
        evaluation_interval: 1m
        fuzzy_compare: \(fuzzy)
        tests:
          - input_series:
              - series: 'x{a="1"}'
                values: '3 6 9'
            promql_expr_test:
              - expr: x / 7
                eval_time: 2m
                exp_samples:
                  - labels: '{a="1"}'
                    value: 1.2857142857142
        """
    }

    @Test("fuzzy_compare tolerates the last digits; input series default to a 1m step")
    func fuzzyCompare() throws {
        let strict = RuleTestRunner.run(try RuleTestFile.parse(Self.file(fuzzy: false), file: "/tmp/t.yml"))
        #expect(!strict.passed && strict.report.contains("got: {a=\"1\"} 1.2857142857142858E+00"), "\(strict.report)")
        let fuzzy = RuleTestRunner.run(try RuleTestFile.parse(Self.file(fuzzy: true), file: "/tmp/t.yml"))
        #expect(fuzzy.passed, "\(fuzzy.report)")
    }

    @Test("unknown fields and bad values are errors with file:line:column")
    func errors() {
        #expect(throws: (any Error).self) { try RuleTestFile.parse("tests:\n  - input_serie: []\n", file: "t.yml") }
        do {
            _ = try RuleTestFile.parse("tests:\n  - promql_expr_test:\n      - expr: up\n        exp_samples:\n          - value: lots\n", file: "t.yml")
            Issue.record("a bad value was accepted")
        } catch {
            #expect("\(error)".hasPrefix("t.yml:5:20:") && "\(error)".contains("cannot parse \"lots\""), "\(error)")
        }
    }
}
