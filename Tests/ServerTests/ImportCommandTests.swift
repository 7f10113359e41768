import Foundation
import Testing
import TSDBTestSupport

/// `tsql import` as a user runs it: the summary, the refusal of a bad file
/// that leaves the database exactly as it was, standard input.
@Suite("tsql import")
struct ImportCommandTests {
    @Test func importSummaryBadFileAndStdin() async throws {
        guard let tsql = RealClientTests.tsqlBinary else {
            Issue.record("SKIPPED: needs a built tsql (scripts/test.sh builds it)")
            return
        }
        let dir = NSTemporaryDirectory() + "/import-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let good = dir + "/good.om", bad = dir + "/bad.txt", data = dir + "/data"
        try "# TYPE up gauge\nup{job=\"a\"} 1 1700000000\nup{job=\"a\"} 0 1700000015.5\n# EOF\n"
            .write(toFile: good, atomically: true, encoding: .utf8)
        let (status, output) = try await RealClientTests.runStatus(tsql, ["import", "--data", data, good])
        #expect(status == 0, "\(output)")
        #expect(output.contains("imported 2 samples of 1 series"), "\(output)")
        #expect(output.contains("blocks written: 1"), "\(output)")

        // A bad line: an error naming file, line and column; the database as before.
        try "up{job=\"b\"} 1 1700000000000\nup{job=\"b\"} oops 1700000015000\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let before = try FileManager.default.subpathsOfDirectory(atPath: data).sorted()
        let (badStatus, badOutput) = try await RealClientTests.runStatus(tsql, ["import", "--data", data, bad])
        #expect(badStatus != 0)
        #expect(badOutput.contains("\(bad):2:13: expected a number as the value, got \"o\""), "\(badOutput)")
        #expect(badOutput.contains("nothing was imported"))
        #expect(try FileManager.default.subpathsOfDirectory(atPath: data).sorted() == before)

        // --skip-invalid keeps the good line and reports the bad one.
        let (skipStatus, skipOutput) = try await RealClientTests.runStatus(tsql, ["import", "--data", data, "--skip-invalid", bad])
        #expect(skipStatus == 0 && skipOutput.contains("skipped 1 invalid line(s) in \(bad)"), "\(skipOutput)")

        // Standard input, text format, with a default timestamp.
        let fromStdin = try await runProcess(tsql, ["import", "--data", data, "--format", "text", "--default-timestamp", "1700000100", "-"],
                                             input: Data("from_stdin 42\n".utf8))
        #expect(fromStdin.status == 0 && fromStdin.output.contains("imported 1 samples of 1 series"), "\(fromStdin.output)")
    }
}
