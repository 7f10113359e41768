import Foundation
import Testing
@testable import TSDB
import TSDBTestSupport

/// Kills a writer process with SIGKILL at random moments and checks that
/// every acknowledged sample survives with identical bits and nothing else
/// appears. The writer cuts blocks every simulated minute, so kills also
/// land during block writes, head truncation and WAL checkpoints.
@Suite("Crash recovery", .serialized)
struct CrashTests {
    static var tsqlBinary: String? { builtTSQL() }

    struct Ack {
        var t: Int64
        var bits: [UInt64]
    }

    /// Runs the writer for `millis` ms, kills it, and returns the acknowledged batches.
    static func runAndKill(_ binary: String, data: String, millis: Int) async throws -> [Ack] {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("acks-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: log) }
        let child = try ChildProcess.spawn(binary, ["debug-append", "--data", data, "--series", "20", "--step", "1000",
                                                    "--block-duration", "60000"], output: log, discardErrors: true)
        try await Task.sleep(for: .milliseconds(millis))
        await child.stop(signal: SIGKILL)
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        // The last line may be cut by the kill: only complete lines are acknowledgements.
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        return lines.map { line in
            let parts = line.split(separator: " ")
            return Ack(t: Int64(parts[0])!, bits: parts.dropFirst().map { UInt64($0, radix: 16)! })
        }
    }

    @Test func acknowledgedSamplesSurviveKill9() async throws {
        guard let binary = Self.tsqlBinary else {
            Issue.record("tsql binary not found next to the tests; run `swift build --product tsql` first (scripts/test.sh does)")
            return
        }
        let tmp = TempDir("crash")
        var acked: [Int64: [UInt64]] = [:]
        var rng = SeededRandom(seed: UInt64(Date().timeIntervalSince1970))
        var totalKills = 0
        for round in 0..<8 {
            let acks = try await Self.runAndKill(binary, data: tmp.path, millis: 300 + Int(rng.next() % 900))
            for a in acks { acked[a.t] = a.bits }
            totalKills += 1

            let db = try DB.open(tmp.path, options: testOptions(blockHours: 1))
            let series = try db.querier(mint: .min, maxt: .max).select([.equal("__name__", "crash_test")])
            #expect(db.replayReport.corruption == nil, "round \(round): \(db.replayReport)")
            var stored: [Int64: [UInt64]] = [:]
            var seriesPerTimestamp: [Int64: Int] = [:]
            for (i, s) in series.sorted(by: { Int($0.labels["series"])! < Int($1.labels["series"])! }).enumerated() {
                for sample in try s.samples() {
                    stored[sample.t, default: Array(repeating: 0, count: 20)][i] = sample.v.bitPattern
                    seriesPerTimestamp[sample.t, default: 0] += 1
                }
            }
            // Every acknowledged batch is there, bit for bit.
            for (t, bits) in acked {
                #expect(stored[t] == bits, "round \(round): acknowledged batch at t=\(t) lost or altered")
            }
            // Nothing else, except possibly the one batch in flight at the kill,
            // which must then be complete and newer than every acknowledged one.
            let extra = Set(stored.keys).subtracting(acked.keys)
            #expect(extra.count <= 1, "round \(round): unexpected timestamps \(extra.sorted().prefix(5))")
            if let e = extra.first {
                #expect(e > acked.keys.max() ?? .min)
                #expect(seriesPerTimestamp[e] == 20, "in-flight batch at t=\(e) is partial")
                acked[e] = stored[e]  // the next writer resumes after it
            }
            try db.close()
        }
        #expect(totalKills == 8)
        #expect(acked.count > 50, "the writer made too little progress to test anything (\(acked.count) batches)")
    }
}
