import Foundation
import Testing
import TSDBTestSupport

/// `tsql test rules` next to Debian's `promtool test rules` on the same
/// unit-test files: the same verdict, and the same report, byte for byte.
@Suite("tsql test rules")
struct TestRulesCommandTests {
    static let testdata = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../testdata/rules").standardized

    @Test func agreesWithPromtool() async throws {
        guard let tsql = RealClientTests.tsqlBinary, let promtool = RealClientTests.which("promtool") else {
            Issue.record("SKIPPED: needs the tsql binary and promtool (scripts/test.sh builds and installs them)")
            return
        }
        let dir = NSTemporaryDirectory() + "/rule-tests-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = Self.testdata.appendingPathComponent("alerts_test.yml").path
        try FileManager.default.copyItem(atPath: Self.testdata.appendingPathComponent("alerts.yml").path, toPath: dir + "/alerts.yml")
        // The same tests with wrong expectations: an annotation, a recorded value, a count, and an alert that is not firing.
        let text = try String(contentsOfFile: good, encoding: .utf8)
            .replacingOccurrences(of: "value: 2\n", with: "value: 3\n")
            .replacingOccurrences(of: "api serves 2 requests/s", with: "api serves 3 requests/s")
            .replacingOccurrences(of: "      - eval_time: 4m\n        alertname: InstanceDown\n",
                                  with: "      - eval_time: 4m\n        alertname: InstanceDown\n        exp_alerts: [{exp_labels: {job: x}}]\n")
        let bad = dir + "/bad_test.yml"
        try text.write(toFile: bad, atomically: true, encoding: .utf8)

        for (file, passes) in [(good, true), (bad, false)] {
            let ours = try await runProcess(tsql, ["test", "rules", file])
            let theirs = try await runProcess(promtool, ["test", "rules", file])
            #expect((ours.status == 0) == passes && (theirs.status == 0) == passes, "\(file): tsql \(ours.status), promtool \(theirs.status)")
            #expect(ours.output == theirs.output, "tsql:\n\(ours.output)\npromtool:\n\(theirs.output)")
        }
        // group_eval_order decides which group sees the other's result of the same evaluation.
        try FileManager.default.copyItem(atPath: Self.testdata.appendingPathComponent("chained.yml").path, toPath: dir + "/chained.yml")
        let chained = Self.testdata.appendingPathComponent("chained_test.yml").path
        let reversed = dir + "/reversed_test.yml"
        try String(contentsOfFile: chained, encoding: .utf8).replacingOccurrences(of: "[base, derived]", with: "[derived, base]")
            .write(toFile: reversed, atomically: true, encoding: .utf8)
        for (file, passes) in [(chained, true), (reversed, false)] {
            let ours = try await runProcess(tsql, ["test", "rules", file])
            let theirs = try await runProcess(promtool, ["test", "rules", file])
            #expect((ours.status == 0) == passes && ours.output == theirs.output, "tsql:\n\(ours.output)\npromtool:\n\(theirs.output)")
        }
        let failing = try await runProcess(tsql, ["test", "rules", bad]).output
        #expect(failing.contains("alertname: InstanceDown, time: 4m,") && failing.contains("expr: \"count(up == 0)\", time: 8m,"), "\(failing)")
    }
}
