import Foundation
import Testing
@testable import TSDB
import TSDBTestSupport

/// Kills `tsql compact` with SIGKILL at random moments, round after round on
/// the same directory: after every kill the database opens with exactly the
/// data it had before compaction (overlapping blocks and tombstones
/// included), and nothing but its blocks, WAL and lock file is left.
@Suite("Compaction crash recovery", .serialized)
struct CompactionCrashTests {
    static let hour: Int64 = 3_600_000

    /// 30 h of 2 h blocks (200 series, a sample every 30 s), two blocks that
    /// overlap them (another writer's, moved in), and deleted ranges.
    func makeFixture(_ dir: String, scratch: String) throws {
        let db = try DB.open(dir, options: testOptions())
        for hour in 0..<Int64(30) {
            let app = db.appender()
            for t in stride(from: hour * Self.hour, to: (hour + 1) * Self.hour, by: 30_000) {
                for i in 0..<200 { try app.append(Labels(["__name__": "m", "i": String(i)]), t, Double(t / 1000 % 977) * Double(i)) }
            }
            try app.commit()
        }
        try db.flushHead()
        try db.delete([.equal("i", "7")], mint: 3 * Self.hour, maxt: 5 * Self.hour)
        try db.close()

        let other = try DB.open(scratch, options: testOptions())
        let app = other.appender()
        for t in stride(from: 8 * Self.hour + 15_000, to: 12 * Self.hour, by: 30_000) {
            for i in 0..<50 { try app.append(Labels(["__name__": "m", "i": String(i * 4)]), t, -Double(t % 1013)) }
            try app.append(Labels(["__name__": "late"]), t, 1)
        }
        try app.commit()
        for meta in try other.flushHead() { try FileIO.rename(scratch + "/" + meta.ulid, dir + "/" + meta.ulid) }
        try other.close()
    }

    /// Entries of the data directory that are not the lock, the WAL or a loaded block.
    func orphans(_ dir: String, _ db: DB) -> [String] {
        let known = Set(db.blockList.map(\.meta.ulid)).union(["lock", "wal"])
        return FileIO.list(dir).filter { !known.contains($0) }
    }

    /// Runs `tsql compact` on `dir`, killing it after `millis` ms (nil: let it
    /// finish, or die at `crashPoint`, see `CrashPoints`). Returns its run time.
    func compact(_ binary: String, _ dir: String, killAfter millis: Int?, crashPoint: String? = nil) async throws -> Double {
        let started = Date()
        let child = try ChildProcess.spawn(binary, ["compact", "--data", dir], environment: crashPoint.map { ["TSDB_CRASH_AT": $0] })
        if let millis {
            try await Task.sleep(for: .milliseconds(millis))
            kill(child.pid, SIGKILL)
        }
        let status = await child.wait()
        if millis == nil && crashPoint == nil { #expect(status == 0, "tsql compact failed") }
        return Date().timeIntervalSince(started)
    }

    @Test func compactionSurvivesKill9AtAnyMoment() async throws {
        guard let binary = CrashTests.tsqlBinary else {
            Issue.record("tsql binary not found next to the tests; run `swift build --product tsql` first (scripts/test.sh does)")
            return
        }
        let tmp = TempDir("compaction-crash")
        let pristine = tmp.sub("pristine"), work = tmp.sub("work")
        try makeFixture(pristine, scratch: tmp.sub("scratch"))
        func storedSamples(_ db: DB) -> UInt64 { db.blockList.reduce(0) { $0 + $1.meta.stats.numSamples } }
        let (expected, initialBlocks, initialSamples): ([Labels: [Sample]], Int, UInt64) = try {
            let db = try DB.open(pristine, options: testOptions())
            defer { try? db.close() }
            return (try allSamples(db), db.blockList.count, storedSamples(db))
        }()
        #expect(initialBlocks == 17)

        // One uninterrupted run: how long it takes, and where it ends.
        try FileManager.default.copyItem(atPath: pristine, toPath: work)
        let fullRun = try await compact(binary, work, killAfter: nil)
        let finalBlocks: Int = try {
            let db = try DB.open(work, options: testOptions())
            defer { try? db.close() }
            #expect(try allSamples(db) == expected)
            #expect(orphans(work, db).isEmpty)
            return db.blockList.count
        }()
        #expect(finalBlocks < initialBlocks)

        var rng = SeededRandom(seed: UInt64(Date().timeIntervalSince1970))
        var interrupted = 0
        for round in 0..<24 {
            // Even rounds: a kill at a random moment. Odd rounds: at a random
            // named point (the k-th time it is reached), for the narrow windows.
            let millis = Int(rng.next() % UInt64(max(1, fullRun * 1000)))
            let point = CrashPoints.all[Int(rng.next() % UInt64(CrashPoints.all.count))] + ":\(1 + rng.next() % 3)"
            if round % 2 == 0 {
                _ = try await compact(binary, work, killAfter: millis)
            } else {
                _ = try await compact(binary, work, killAfter: nil, crashPoint: point)
            }
            let db = try DB.open(work, options: testOptions())
            let blocks = db.blockList.count
            let when = round % 2 == 0 ? "at \(millis) ms" : "at \(point)"
            #expect(try allSamples(db) == expected, "round \(round): data differs after a kill \(when)")
            #expect(orphans(work, db).isEmpty, "round \(round): left behind \(orphans(work, db)) after a kill \(when)")
            // Nothing stored twice: a merged block never lives on next to its parents.
            #expect(storedSamples(db) <= initialSamples, "round \(round): blocks hold samples twice after a kill \(when)")
            try db.close()
            if blocks != initialBlocks && blocks != finalBlocks { interrupted += 1 }
            if blocks == finalBlocks {  // done: start over
                try FileManager.default.removeItem(atPath: work)
                try FileManager.default.copyItem(atPath: pristine, toPath: work)
            }
        }
        // The kills must have landed between merges at least once, or the test proved little.
        #expect(interrupted > 0, "no kill interrupted the compaction half-way (full run \(fullRun) s)")
    }
}
