import Foundation
import TSDB

// Usage: swift run -c release Footprint DUMP [DATA_DIR] [--no-flush] [--compact-during-ingest]
// --no-flush: stop after ingest and close, leaving the head in the WAL, to
//   measure replay with `tsql info --data DATA_DIR`.
// --compact-during-ingest: cut blocks while ingesting (every simulated 10 min),
//   as the server's background job does, so that the WAL holds only the head.
// Ingests a data-set dump in scrape order (one commit per scrape slot across
// all series, WAL on), writes the head out as 2 h blocks, and prints the
// figures the issue asks for: ingest rate, bytes/sample of the blocks
// (chunks + index, and chunks only), and which chunk encodings were chosen.

struct Dump {
    var timestamps: [[Int64]] = []
    var seriesTarget: [Int] = []
    var labels: [Labels] = []
    var values: [[Double]] = []

    init(path: String) throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            var off = 8
            guard raw.count > 8, String(decoding: raw[0..<8], as: UTF8.self) == "TSDUMP1\n" else {
                throw TSDBError(.corruption, "not a TSDUMP1 file", file: path)
            }
            func u32() -> Int { defer { off += 4 }; return Int(raw.loadUnaligned(fromByteOffset: off, as: UInt32.self).littleEndian) }
            func u16() -> Int { defer { off += 2 }; return Int(raw.loadUnaligned(fromByteOffset: off, as: UInt16.self).littleEndian) }
            func str() -> String { let n = u16(); defer { off += n }; return String(decoding: raw[off..<off + n], as: UTF8.self) }
            for _ in 0..<u32() {
                let n = u32()
                timestamps.append((0..<n).map { Int64(littleEndian: raw.loadUnaligned(fromByteOffset: off + $0 * 8, as: Int64.self)) })
                off += n * 8
            }
            for _ in 0..<u32() {
                let target = u32()
                var pairs: [Label] = []
                for _ in 0..<u16() {
                    let k = str()
                    pairs.append(Label(k, str()))
                }
                let n = timestamps[target].count
                seriesTarget.append(target)
                labels.append(Labels(pairs))
                values.append((0..<n).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: off + $0 * 8, as: UInt64.self))) })
                off += n * 8
            }
        }
    }
}

let args = CommandLine.arguments
guard args.count >= 2 else {
    print("usage: Footprint DUMP [DATA_DIR]")
    exit(2)
}
let dump = try Dump(path: args[1])
let dir = args.count > 2 ? args[2] : NSTemporaryDirectory() + "/tsdb-footprint-\(getpid())"
try? FileManager.default.removeItem(atPath: dir)
var options = DBOptions()
options.compactionInterval = nil
let db = try DB.open(dir, options: options)
let total = dump.values.reduce(0) { $0 + $1.count }

// Slot-major flat arrays, so that the timed loop measures the engine, not the harness.
let slots = dump.timestamps.map(\.count).max() ?? 0
let seriesCount = dump.labels.count
var flatT = [Int64](repeating: 0, count: slots * seriesCount)
var flatV = [Double](repeating: 0, count: slots * seriesCount)
for s in 0..<seriesCount {
    for slot in 0..<slots {
        flatT[slot * seriesCount + s] = dump.timestamps[dump.seriesTarget[s]][slot]
        flatV[slot * seriesCount + s] = dump.values[s][slot]
    }
}
let start = Date()
let app = db.appender()
var refs: [SeriesRef] = []
for s in 0..<seriesCount { refs.append(try app.append(dump.labels[s], flatT[s], flatV[s])) }
try app.commit()
let compactEvery = args.contains("--compact-during-ingest") ? 40 : Int.max
for slot in 1..<slots {
    let base = slot * seriesCount
    for s in 0..<seriesCount { try app.append(ref: refs[s], flatT[base + s], flatV[base + s]) }
    try app.commit()
    if slot % compactEvery == 0 { try db.compactHead() }
}
let ingestSecs = Date().timeIntervalSince(start)
let walBytes = db.stats.walBytes
if args.contains("--no-flush") {
    print("ingest: \(String(format: "%.0f", Double(total) / ingestSecs)) samples/s, WAL \(walBytes) bytes; left in \(dir)")
    try db.close()
    exit(0)
}

let flushStart = Date()
let metas = try db.flushHead()
let flushSecs = Date().timeIntervalSince(flushStart)

var chunkBytes: Int64 = 0, indexBytes: Int64 = 0, otherBytes: Int64 = 0
var encodings: [String: (chunks: Int, samples: Int, bytes: Int)] = [:]
for b in db.blockList {
    for f in FileIO.list(b.directory + "/chunks") { chunkBytes += FileIO.fileSize(b.directory + "/chunks/" + f) ?? 0 }
    indexBytes += FileIO.fileSize(b.directory + "/index") ?? 0
    otherBytes += (FileIO.fileSize(b.directory + "/meta.json") ?? 0) + (FileIO.fileSize(b.directory + "/tombstones") ?? 0)
    for s in try db.querier(mint: b.minTime, maxt: b.maxTime - 1).select([try LabelMatcher(.regexMatch, "__name__", ".+")]) {
        for c in s.chunks {
            let n = Int(c.bytes[0]) << 8 | Int(c.bytes[1])
            encodings[c.encoding.description, default: (0, 0, 0)].chunks += 1
            encodings[c.encoding.description, default: (0, 0, 0)].samples += n
            encodings[c.encoding.description, default: (0, 0, 0)].bytes += c.bytes.count
        }
    }
}
/// The data set's series kinds (as in the bench report's composition table).
func kind(_ v: [Double]) -> String {
    if Set(v.map(\.bitPattern)).count == 1 { return "constant" }
    let counter = zip(v, v.dropFirst()).filter { $1 < $0 }.count <= 1 && v.last! > v.first!
    let integer = v.allSatisfy { $0 == $0.rounded() }
    let decimal = v.allSatisfy { x in (1...3).contains { k in
        let p = [1.0, 10, 100, 1000][k]; return (x * p).rounded() / p == x } }
    return (counter ? "counter" : "gauge") + (integer ? ", integer" : decimal ? ", <=3 decimals" : ", full-precision")
}
var byKind: [String: (series: Int, samples: Int, bytes: Int)] = [:]
do {
    var index: [Labels: Int] = [:]
    for (i, l) in dump.labels.enumerated() { index[l] = i }
    for s in try db.querier(mint: .min, maxt: .max).select([try LabelMatcher(.regexMatch, "__name__", ".+")]) {
        let k = kind(dump.values[index[s.labels]!])
        byKind[k, default: (0, 0, 0)].series += 1
        for c in s.chunks {
            byKind[k, default: (0, 0, 0)].samples += Int(c.bytes[0]) << 8 | Int(c.bytes[1])
            byKind[k, default: (0, 0, 0)].bytes += c.bytes.count
        }
    }
}
let stored = metas.reduce(0) { $0 + Int($1.stats.numSamples) }
func f(_ x: Double) -> String { String(format: "%.3f", x) }
print("data set: \(dump.labels.count) series, \(total) samples (\(args[1]))")
print("ingest: \(String(format: "%.0f", Double(total) / ingestSecs)) samples/s (one commit per scrape slot, WAL on), WAL \(walBytes) bytes")
print("blocks: \(metas.count) x 2 h, \(stored) samples (\(stored == total ? "all" : "MISMATCH")), written in \(f(flushSecs)) s")
print("bytes/sample: \(f(Double(chunkBytes + indexBytes + otherBytes) / Double(stored))) (chunks+index+meta), "
    + "\(f(Double(chunkBytes) / Double(stored))) chunks only; chunks \(chunkBytes) B, index \(indexBytes) B")
for (e, v) in encodings.sorted(by: { $0.key < $1.key }) {
    print("  \(e): \(v.chunks) chunks, \(v.samples) samples, \(f(Double(v.bytes) / Double(v.samples))) payload bytes/sample")
}
try db.close()
if args.count <= 2 { try? FileManager.default.removeItem(atPath: dir) }
print("chunk payload by series kind:")
for (k, v) in byKind.sorted(by: { $0.value.bytes > $1.value.bytes }) {
    print("  \(k): \(v.series) series, \(f(Double(v.bytes) / Double(v.samples))) B/sample, \(f(Double(v.bytes) / Double(stored))) B/sample of the total")
}
