import CompressNIO
import Foundation
import Hummingbird
import HummingbirdTesting
import Ingest
@testable import Server
import Testing
import TSDB

@Suite("HTTP API: admin, remote read, federation, gzip, /metrics")
struct AdminReadFederateTests {
    static let hour: Int64 = 3_600_000

    @Test("admin endpoints answer `unavailable` unless --web.enable-admin-api")
    func adminDisabled() async throws {
        try await withServer { client, _ in
            for path in ["delete_series?match[]=up", "clean_tombstones", "snapshot"] {
                try await client.execute(uri: "/api/v1/admin/tsdb/" + path, method: .post) { r in
                    #expect(r.status == .internalServerError)
                    #expect(String(buffer: r.body) == #"{"status":"error","errorType":"unavailable","error":"admin APIs disabled"}"#)
                }
            }
        }
    }

    @Test("delete_series hides data at once in head and blocks, durably; clean_tombstones rewrites; snapshots open as databases")
    func deleteCleanSnapshot() async throws {
        var options = ServerOptions()
        options.adminAPI = true
        try await withServer(options: options) { client, db in
            let a = Labels(["__name__": "m", "job": "a"]), b = Labels(["__name__": "m", "job": "b"])
            let early = (0..<10).map { Sample(Int64($0) * 60_000, Double($0)) }
            try await client.execute(uri: "/api/v1/write", method: .post, body: writeBody([(a, early), (b, early)])) { _ in }
            _ = try db.flushHead()  // the early samples are now a block
            let late = (0..<10).map { Sample(3 * Self.hour + Int64($0) * 60_000, Double($0)) }
            try await client.execute(uri: "/api/v1/write", method: .post, body: writeBody([(a, late), (b, late)])) { _ in }

            // Delete job="a" between 2 min and 3 h + 4 min: across the block and the head.
            try await client.execute(uri: "/api/v1/admin/tsdb/delete_series?match[]=m%7Bjob%3D%22a%22%7D&start=120&end=10840",
                                     method: .post) { r in #expect(r.status == .noContent) }
            func samples(_ db: DB, _ l: Labels) throws -> [Sample] {
                try db.querier(mint: .min, maxt: .max).select(l.pairs.map { .equal($0.name, $0.value) })[0].samples()
            }
            let keptA = early.filter { $0.t < 120_000 } + late.filter { $0.t > 10_840_000 }
            #expect(try samples(db, a) == keptA)
            #expect(try samples(db, b) == early + late)

            // A snapshot holds the same data (blocks linked, head written out).
            var name = ""
            try await client.execute(uri: "/api/v1/admin/tsdb/snapshot", method: .post) { r in
                let s = String(buffer: r.body)
                #expect(s.hasPrefix(#"{"status":"success","data":{"name":""#))
                let parts = s.split(separator: "\"")
                if parts.count > 9 { name = String(parts[9]) }
            }
            let snapshotDir = db.directory + "/snapshots/" + name
            do {
                let snap = try DB.open(snapshotDir, options: { var o = DBOptions(); o.compactionInterval = nil; return o }())
                defer { try? snap.close() }
                #expect(try samples(snap, a) == keptA)
                #expect(try samples(snap, b) == early + late)
            }

            // clean_tombstones rewrites the block without the deleted samples and without tombstones.
            let before = db.blockList
            try await client.execute(uri: "/api/v1/admin/tsdb/clean_tombstones", method: .post) { r in #expect(r.status == .noContent) }
            let after = db.blockList
            #expect(after.count == 1 && after[0].meta.ulid != before[0].meta.ulid)
            #expect(!FileManager.default.fileExists(atPath: before[0].directory))
            #expect(try TombstonesFile.read(path: after[0].directory + "/tombstones").isEmpty)
            #expect(try samples(db, a) == keptA)
        }
    }

    @Test("tombstones survive a restart (WAL record for the head, tombstones file for blocks)")
    func deletionIsDurable() throws {
        let dir = NSTemporaryDirectory() + "/delete-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var o = DBOptions()
        o.compactionInterval = nil
        let l = Labels(["__name__": "m"])
        do {
            let db = try DB.open(dir, options: o)
            let app = db.appender()
            for i in 0..<10 { try app.append(l, Int64(i) * 1000, Double(i)) }
            try app.commit()
            _ = try db.flushHead()
            let app2 = db.appender()
            for i in 10..<20 { try app2.append(l, 3 * Self.hour + Int64(i) * 1000, Double(i)) }
            try app2.commit()
            try db.delete([.equal("__name__", "m")], mint: 5000, maxt: 3 * Self.hour + 15_000)
            try db.close()
        }
        let db = try DB.open(dir, options: o)
        defer { try? db.close() }
        let got = try db.querier(mint: .min, maxt: .max).select([.equal("__name__", "m")])[0].samples()
        #expect(got.map(\.v) == [0, 1, 2, 3, 4, 16, 17, 18, 19])
    }

    @Test("remote read: SAMPLES response, and streamed XOR chunks when the client asks first for them")
    func remoteRead() async throws {
        try await withServer { client, _ in
            let l = Labels(["__name__": "rr", "job": "x"])
            let samples = (0..<300).map { (i: Int) -> Sample in
                let t: Int64 = 1_000 + Int64(i) * 15_000 + Int64(i % 3)
                return Sample(t, i % 7 == 0 ? Double.nan : Double(i) * 1.5)
            }
            try await client.execute(uri: "/api/v1/write", method: .post,
                                     body: writeBody([(l, samples), (Labels(["__name__": "other"]), [Sample(1000, 1)])])) { _ in }
            var query = Prometheus_Query()
            query.startTimestampMs = 0
            query.endTimestampMs = 10_000_000
            var matcher = Prometheus_LabelMatcher()
            matcher.type = .re
            matcher.name = "__name__"
            matcher.value = "r."
            query.matchers = [matcher]
            var request = Prometheus_ReadRequest()
            request.queries = [query]
            let body = ByteBuffer(bytes: Snappy.compress(try request.serializedBytes()))
            try await client.execute(uri: "/api/v1/read", method: .post, body: body) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "application/x-protobuf")
                let response = try Prometheus_ReadResponse(serializedBytes: try Snappy.decompress(Array(buffer: r.body)))
                #expect(response.results.count == 1 && response.results[0].timeseries.count == 1)
                let ts = response.results[0].timeseries[0]
                #expect(ts.labels.map { "\($0.name)=\($0.value)" } == ["__name__=rr", "job=x"])
                #expect(ts.samples.map { Sample($0.timestamp, $0.value) }.map(\.t) == samples.map(\.t))
                #expect(zip(ts.samples, samples).allSatisfy { $0.value.bitPattern == $1.v.bitPattern })
            }
            request.acceptedResponseTypes = [.streamedXorChunks, .samples]
            try await client.execute(uri: "/api/v1/read", method: .post,
                                     body: ByteBuffer(bytes: Snappy.compress(try request.serializedBytes()))) { r in
                #expect(r.headers[.contentType] == "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse")
                var decoded: [Sample] = []
                var bytes = Array(buffer: r.body)[...]
                while !bytes.isEmpty {
                    var length = 0, shift = 0
                    while true {
                        let b = bytes.removeFirst()
                        length |= Int(b & 0x7f) << shift
                        shift += 7
                        if b < 0x80 { break }
                    }
                    let crc = bytes.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                    let message = Array(bytes.dropFirst(4).prefix(length))
                    bytes = bytes.dropFirst(4 + length)
                    #expect(CRC32C.checksum(message) == crc)
                    let frame = try Prometheus_ChunkedReadResponse(serializedBytes: message)
                    #expect(frame.queryIndex == 0)
                    for c in frame.chunkedSeries[0].chunks {
                        #expect(c.type == .xor)
                        let part = PrometheusXORDecoder.decode(Array(c.data))
                        #expect(part.count <= 120 && part.first?.t == c.minTimeMs && part.last?.t == c.maxTimeMs)
                        decoded += part
                    }
                }
                #expect(decoded.map(\.t) == samples.map(\.t))
                #expect(zip(decoded, samples).allSatisfy { $0.v.bitPattern == $1.v.bitPattern })
            }
            try await client.execute(uri: "/api/v1/read", method: .post, body: ByteBuffer(bytes: [1, 2, 3])) { r in
                #expect(r.status == .badRequest)
            }
        }
    }

    @Test("remote read: native histograms in SAMPLES responses (float counts, spans, hints); a streamed read holding them falls back to SAMPLES or fails")
    func remoteReadHistograms() async throws {
        try await withServer { client, _ in
            let exponential = NativeHistogram(counterResetHint: .gauge, schema: 1, zeroThreshold: 0.001, zeroCount: 1, count: 10, sum: 7.5,
                                              positive: [HistogramBucket(-1, 2), HistogramBucket(0, 3), HistogramBucket(3, 1)],
                                              negative: [HistogramBucket(2, 3)])
            let nhcb = NativeHistogram(schema: NativeHistogram.customBucketsSchema, count: 5, sum: 9,
                                       positive: [HistogramBucket(0, 2), HistogramBucket(2, 3)], customValues: [0.1, 1])
            let written = WriteRequest(timeseries: [
                .init(labels: Labels(["__name__": "lat", "job": "a"]), samples: [Sample(1_000, 4)],
                      histograms: [HistogramSample(16_000, exponential), HistogramSample(31_000, exponential.scaled(by: 2))]),
                .init(labels: Labels(["__name__": "lat", "job": "b"]), samples: [], histograms: [HistogramSample(16_000, nhcb)]),
            ])
            try await client.execute(uri: "/api/v1/write", method: .post, body: ByteBuffer(bytes: Snappy.compress(written.encode()))) { r in
                #expect(r.status == .noContent, "\(String(buffer: r.body))")
            }
            var query = Prometheus_Query()
            query.endTimestampMs = 100_000
            var matcher = Prometheus_LabelMatcher()
            matcher.name = "__name__"
            matcher.value = "lat"
            query.matchers = [matcher]
            var request = Prometheus_ReadRequest()
            request.queries = [query]
            func read(_ types: [Prometheus_ReadRequest.ResponseType]) async throws -> (HTTPResponse.Status, [Prometheus_TimeSeries]) {
                request.acceptedResponseTypes = types
                return try await client.execute(uri: "/api/v1/read", method: .post,
                                                body: ByteBuffer(bytes: Snappy.compress(try request.serializedBytes()))) { r in
                    guard r.status == .ok else { return (r.status, []) }
                    #expect(r.headers[.contentType] == "application/x-protobuf")
                    let response = try Prometheus_ReadResponse(serializedBytes: try Snappy.decompress(Array(buffer: r.body)))
                    return (r.status, response.results[0].timeseries)
                }
            }
            /// What the reader gets back, as our own type.
            func decoded(_ p: Prometheus_Histogram) throws -> HistogramSample {
                var h = NativeHistogram(schema: p.schema, zeroThreshold: p.zeroThreshold, zeroCount: p.zeroCountFloat,
                                        count: p.countFloat, sum: p.sum, customValues: p.customValues)
                h.positive = try NativeHistogram.buckets(spans: p.positiveSpans.map { HistogramSpan(offset: $0.offset, length: $0.length) },
                                                         counts: p.positiveCounts)
                h.negative = try NativeHistogram.buckets(spans: p.negativeSpans.map { HistogramSpan(offset: $0.offset, length: $0.length) },
                                                         counts: p.negativeCounts)
                h.counterResetHint = NativeHistogram.CounterResetHint(rawValue: UInt8(p.resetHint.rawValue))!
                return HistogramSample(p.timestamp, h)
            }
            for types: [Prometheus_ReadRequest.ResponseType] in [[], [.samples], [.streamedXorChunks, .samples]] {
                let (status, series) = try await read(types)
                #expect(status == .ok)
                #expect(series.map { $0.labels.map(\.value) } == [["lat", "a"], ["lat", "b"]])
                guard series.count == 2 else { continue }
                #expect(series[0].samples.map(\.timestamp) == [1_000])
                let a = try series[0].histograms.map(decoded), b = try series[1].histograms.map(decoded)
                #expect(a.map(\.t) == [16_000, 31_000] && b.map(\.t) == [16_000])
                #expect(a.first.map { $0.h.isIdentical(to: exponential) } == true, "\(a)")
                #expect(a.last.map { $0.h.count == 20 && $0.h.positive.map(\.count) == [4, 6, 2] } == true)
                #expect(b.first.map { $0.h.isIdentical(to: nhcb) } == true, "\(b)")
            }
            let (status, _) = try await read([.streamedXorChunks])
            #expect(status == .badRequest)
        }
    }

    @Test("external_labels from prometheus.yml: added by federation and remote read; remote-read matchers on them match")
    func externalLabels() async throws {
        let path = NSTemporaryDirectory() + "/ext-\(UUID().uuidString).yml"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try "global:\n  external_labels:\n    cluster: eu-1\n    job: override-not\n".write(toFile: path, atomically: true, encoding: .utf8)
        try await withServer(config: try ConfigStore(path: path)) { client, _ in
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            try await client.execute(uri: "/api/v1/write", method: .post,
                                     body: writeBody([(Labels(["__name__": "up", "job": "a"]), [Sample(now - 1000, 1)])])) { _ in }
            try await client.execute(uri: "/federate?match[]=up", method: .get) { r in
                // The series' own job wins over the external one.
                #expect(String(buffer: r.body).contains("up{cluster=\"eu-1\",job=\"a\"} 1 \(now - 1000)"), "\(String(buffer: r.body))")
            }
            var query = Prometheus_Query()
            query.startTimestampMs = now - 60_000
            query.endTimestampMs = now
            var byName = Prometheus_LabelMatcher()
            byName.name = "__name__"
            byName.value = "up"
            var byCluster = Prometheus_LabelMatcher()
            byCluster.name = "cluster"
            byCluster.value = "eu-1"
            query.matchers = [byName, byCluster]
            var request = Prometheus_ReadRequest()
            request.queries = [query]
            try await client.execute(uri: "/api/v1/read", method: .post,
                                     body: ByteBuffer(bytes: Snappy.compress(try request.serializedBytes()))) { r in
                let response = try Prometheus_ReadResponse(serializedBytes: try Snappy.decompress(Array(buffer: r.body)))
                #expect(response.results.first?.timeseries.first?.labels.map { "\($0.name)=\($0.value)" } == ["__name__=up", "cluster=eu-1", "job=a"])
            }
        }
    }

    @Test("/federate: newest sample per series within the lookback, text format with timestamps")
    func federate() async throws {
        try await withServer { client, _ in
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            try await client.execute(uri: "/api/v1/write", method: .post, body: writeBody([
                (Labels(["__name__": "up", "job": "a", "path": "c:\\x \"q\""]), [Sample(now - 60_000, 0), Sample(now - 30_000, 1)]),
                (Labels(["__name__": "up", "job": "old"]), [Sample(now - 3_600_000, 1)]),
                (Labels(["__name__": "mem_bytes"]), [Sample(now - 1000, 123_456_789)]),
            ])) { _ in }
            try await client.execute(uri: "/federate?match[]=up&match[]=mem_bytes", method: .get) { r in
                #expect(r.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
                #expect(String(buffer: r.body) == """
                    # TYPE mem_bytes untyped
                    mem_bytes 1.23456789e+08 \(now - 1000)
                    # TYPE up untyped
                    up{job="a",path="c:\\\\x \\"q\\""} 1 \(now - 30_000)

                    """)
            }
            try await client.execute(uri: "/federate", method: .get) { r in
                #expect(r.status == .ok)  // no match[]: nothing, as Prometheus
                #expect(r.body.readableBytes == 0)
            }
            try await client.execute(uri: "/federate?match[]=up%7B", method: .get) { r in
                #expect(r.status == .badRequest)
                #expect(r.headers[.contentType] == "text/plain; charset=utf-8")
            }
        }
    }

    @Test("gzip when asked; /metrics under Prometheus' self-monitoring names")
    func gzipAndMetrics() async throws {
        try await withServer { client, _ in
            let series = (0..<200).map { (Labels(["__name__": "g", "i": String($0)]), [Sample(1000, Double($0))]) }
            try await client.execute(uri: "/api/v1/write", method: .post, body: writeBody(series)) { _ in }
            var plain = ByteBuffer()
            try await client.execute(uri: "/api/v1/query?query=g&time=1", method: .get) { r in
                #expect(r.headers[.contentEncoding] == nil)
                plain = r.body
            }
            try await client.execute(uri: "/api/v1/query?query=g&time=1", method: .get, headers: [.acceptEncoding: "gzip, deflate"]) { r in
                #expect(r.headers[.contentEncoding] == "gzip")
                var body = r.body
                #expect(body.readableBytes < plain.readableBytes / 4)
                let unzipped = try body.decompress(with: .gzip())
                #expect(unzipped == plain)
            }
            try await client.execute(uri: "/api/v1/query?query=g&time=1", method: .get, headers: [.acceptEncoding: "gzip;q=0"]) { r in
                #expect(r.headers[.contentEncoding] == nil)
            }
            try await client.execute(uri: "/metrics", method: .get) { r in
                let s = String(buffer: r.body)
                #expect(s.contains("prometheus_tsdb_head_series 200"))
                #expect(s.contains(#"prometheus_http_requests_total{code="200",handler="/api/v1/query"} 3"#))
                #expect(s.contains("prometheus_remote_write_samples_received_total 200"))
                #expect(s.contains("process_resident_memory_bytes "))
            }
        }
    }
}

/// Decodes Prometheus' XOR chunk format (written here from its description,
/// independently of the encoder under test).
enum PrometheusXORDecoder {
    struct Bits {
        let bytes: [UInt8]
        var pos = 0
        mutating func bit() -> UInt64 {
            defer { pos += 1 }
            return UInt64(bytes[pos / 8] >> (7 - UInt8(pos % 8)) & 1)
        }
        mutating func bits(_ n: Int) -> UInt64 { (0..<n).reduce(0) { acc, _ in acc << 1 | bit() } }
        mutating func uvarint() -> UInt64 {
            var v: UInt64 = 0, shift: UInt64 = 0
            while true {
                let b = bits(8)
                v |= (b & 0x7f) << shift
                shift += 7
                if b < 0x80 { return v }
            }
        }
        mutating func signed(_ n: Int) -> Int64 {
            let u = bits(n)
            return u > 1 << (n - 1) ? Int64(u) - (1 << n) : Int64(u)
        }
    }

    static func decode(_ chunk: [UInt8]) -> [Sample] {
        var r = Bits(bytes: chunk)
        let count = Int(r.bits(16))
        var out: [Sample] = []
        var t: Int64 = 0, delta: Int64 = 0, v: UInt64 = 0, leading = 0, trailing = 0
        for i in 0..<count {
            switch i {
            case 0:
                let z = r.uvarint()
                t = Int64(bitPattern: z >> 1) ^ -Int64(bitPattern: z & 1)  // zig-zag
                v = r.bits(64)
                out.append(Sample(t, Double(bitPattern: v)))
                continue
            case 1:
                delta = Int64(bitPattern: r.uvarint())
            default:
                var dod: Int64 = 0
                if r.bit() == 1 {
                    if r.bit() == 0 { dod = r.signed(14) } else if r.bit() == 0 { dod = r.signed(17) } else if r.bit() == 0 {
                        dod = r.signed(20)
                    } else { dod = Int64(bitPattern: r.bits(64)) }
                }
                delta += dod
            }
            t += delta
            if r.bit() == 1 {
                if r.bit() == 1 {
                    leading = Int(r.bits(5))
                    var sig = Int(r.bits(6))
                    if sig == 0 { sig = 64 }
                    trailing = 64 - leading - sig
                }
                v ^= r.bits(64 - leading - trailing) << UInt64(trailing)
            }
            out.append(Sample(t, Double(bitPattern: v)))
        }
        return out
    }
}
