import Foundation
import Hummingbird
import HummingbirdTesting
import Ingest
import PromQL
@testable import Server
import Testing
import TSDBTestSupport
import TSDB

@Suite("HTTP API")
struct APIServerTests {
    @Test func remoteWriteThenQueryWithPrometheusFormatting() async throws {
        try await withServer { client, _ in
            let body = writeBody([
                (Labels(["__name__": "up", "job": "api"]), [Sample(1000, 1), Sample(61_500, 0.5)]),
                (Labels(["__name__": "up", "job": "db"]), [Sample(1000, 1e-7), Sample(61_500, .infinity)]),
            ])
            try await client.execute(uri: "/api/v1/write", method: .post, body: body) { r in
                #expect(r.status == .noContent)
            }
            try await client.execute(uri: "/api/v1/query?query=up&time=61.5", method: .get) { r in
                #expect(r.status == .ok)
                #expect(String(buffer: r.body) == #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"up","job":"api"},"value":[61.500,"0.5"]},{"metric":{"__name__":"up","job":"db"},"value":[61.500,"+Inf"]}]}}"#)
            }
            try await client.execute(uri: "/api/v1/query?query=up%7Bjob%3D%22db%22%7D&time=1", method: .get) { r in
                #expect(String(buffer: r.body).contains(#""value":[1,"1e-07"]"#))
            }
            // Form POST, range query.
            try await client.execute(uri: "/api/v1/query_range", method: .post,
                                     headers: [.contentType: "application/x-www-form-urlencoded"],
                                     body: ByteBuffer(string: "query=sum(up)&start=1&end=61&step=30")) { r in
                #expect(String(buffer: r.body) == #"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"1.0000001"],[31,"1.0000001"],[61,"1.0000001"]]}]}}"#)
            }
            try await client.execute(uri: "/api/v1/query?query=1%2B1&time=4", method: .get) { r in
                #expect(String(buffer: r.body) == #"{"status":"success","data":{"resultType":"scalar","result":[4,"2"]}}"#)
            }
        }
    }

    @Test("remote write stores native histograms, integer (bucket deltas) and float; a bad one is refused by name")
    func remoteWriteStoresHistograms() async throws {
        try await withServer { client, db in
            // By hand, as Prometheus sends a scraped histogram: "latency" with a float
            // sample at 60 ms and an integer histogram at 61 ms.
            func field(_ n: UInt8, _ payload: [UInt8]) -> [UInt8] { [n << 3 | 2, UInt8(payload.count)] + payload }
            func label(_ name: String, _ value: String) -> [UInt8] { field(1, field(1, Array(name.utf8)) + field(2, Array(value.utf8))) }
            func sample(_ t: UInt8, _ v: Double) -> [UInt8] {
                field(2, [0x09] + withUnsafeBytes(of: v.bitPattern.littleEndian) { Array($0) } + [0x10, t])
            }
            // count_int (1) = 3, sum (3) = 1.5, schema (4) = zz(1) = 2, zero_count_int (6) = 0,
            // positive span (11) {offset zz(-1) = 1, length 2}, positive_deltas (12) packed zz [1, 1] = [2, 2],
            // reset hint (14) = NO (2), timestamp (15) = 61.
            let histogram = field(4, [0x08, 3, 0x19] + withUnsafeBytes(of: (1.5).bitPattern.littleEndian) { Array($0) }
                                  + [0x20, 2, 0x30, 0] + field(11, [0x08, 1, 0x10, 2]) + field(12, [2, 2]) + [0x70, 2, 0x78, 61])
            let latency = field(1, label("__name__", "latency") + sample(60, 7) + histogram)
            try await client.execute(uri: "/api/v1/write", method: .post, body: ByteBuffer(bytes: Snappy.compress(latency))) { r in
                #expect(r.status == .noContent, "\(String(buffer: r.body))")
            }
            // A float histogram with custom buckets through the encoder, and one with a negative count.
            let nhcb = NativeHistogram(schema: NativeHistogram.customBucketsSchema, count: 5, sum: 9,
                                       positive: [HistogramBucket(0, 2), HistogramBucket(2, 3)], customValues: [0.1, 1])
            var negative = nhcb
            negative.positive[0].count = -2
            let request = WriteRequest(timeseries: [
                .init(labels: Labels(["__name__": "rpc"]), samples: [Sample(100, 1)], histograms: [HistogramSample(200, nhcb)]),
                .init(labels: Labels(["__name__": "bad"]), samples: [Sample(100, 1)], histograms: [HistogramSample(200, negative)]),
            ])
            try await client.execute(uri: "/api/v1/write", method: .post, body: ByteBuffer(bytes: Snappy.compress(request.encode()))) { r in
                #expect(r.status == .badRequest)
                let text = String(buffer: r.body)
                #expect(text.contains("invalid native histogram for series bad at timestamp 200") && text.contains("negative"), "\(text)")
                #expect(text.contains("(1 samples rejected)"), "\(text)")
            }

            let q = db.querier(mint: 0, maxt: 1000)
            func histograms(_ name: String) throws -> [HistogramSample] {
                try q.select([.equal("__name__", name)]).first?.histogramSamples() ?? []
            }
            let got = try histograms("latency")
            #expect(got.map(\.t) == [61])
            #expect(got.first.map { $0.h.count == 3 && $0.h.sum == 1.5 && $0.h.schema == 1 } == true)
            #expect(got.first?.h.positive == [HistogramBucket(-1, 1), HistogramBucket(0, 2)])
            #expect(try q.select([.equal("__name__", "latency")]).first?.samples() == [Sample(60, 7)])
            let rpc = try histograms("rpc")
            #expect(rpc.count == 1 && rpc[0].h.customValues == [0.1, 1] && rpc[0].h.positive == nhcb.positive)
            #expect(try histograms("bad").isEmpty)
            #expect(try q.select([.equal("__name__", "bad")]).first?.samples() == [Sample(100, 1)])  // its float is stored
        }
    }

    @Test("histogram samples come out as Prometheus writes them: buckets with boundaries, empty ones left out")
    func histogramJSON() async throws {
        try await withServer { client, _ in
            let h = NativeHistogram(schema: 0, zeroThreshold: 0.001, zeroCount: 4, count: 12, sum: 1.5,
                                    positive: [HistogramBucket(0, 1), HistogramBucket(1, 2), HistogramBucket(2, 0)],
                                    negative: [HistogramBucket(0, 5)])
            let request = WriteRequest(timeseries: [.init(labels: Labels(["__name__": "latency"]), samples: [],
                                                          histograms: [HistogramSample(60_000, h)])])
            try await client.execute(uri: "/api/v1/write", method: .post, body: ByteBuffer(bytes: Snappy.compress(request.encode()))) { r in
                #expect(r.status == .noContent)
            }
            let body = #"{"count":"12","sum":"1.5","buckets":[[1,"-1","-0.5","5"],[3,"-0.001","0.001","4"],[0,"0.5","1","1"],[0,"1","2","2"]]}"#
            try await client.execute(uri: "/api/v1/query?query=latency&time=90", method: .get) { r in
                #expect(String(buffer: r.body) == #"{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__name__":"latency"},"histogram":[90,"#
                    + body + "]}]}}")
            }
            try await client.execute(uri: "/api/v1/query_range?query=latency&start=0&end=120&step=60", method: .get) { r in
                #expect(String(buffer: r.body) == #"{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"__name__":"latency"},"histograms":[[60,"#
                    + body + "],[120," + body + "]]}]}}")
            }
        }
    }

    @Test("labels, label values, series and buildinfo as Grafana calls them")
    func metadataEndpoints() async throws {
        try await withServer { client, _ in
            let body = writeBody([
                (Labels(["__name__": "up", "job": "api", "instance": "a"]), [Sample(1000, 1)]),
                (Labels(["__name__": "up", "job": "db", "instance": "b"]), [Sample(1000, 1)]),
                (Labels(["__name__": "http_requests_total", "job": "api", "http.status": "200"]), [Sample(500_000, 5)]),
            ])
            try await client.execute(uri: "/api/v1/write", method: .post, body: body) { _ in }
            try await client.execute(uri: "/api/v1/labels", method: .get) { r in
                #expect(String(buffer: r.body) == #"{"status":"success","data":["__name__","http.status","instance","job"]}"#)
            }
            try await client.execute(uri: "/api/v1/labels?match[]=up", method: .get) { r in
                #expect(String(buffer: r.body) == #"{"status":"success","data":["__name__","instance","job"]}"#)
            }
            try await client.execute(uri: "/api/v1/label/job/values?limit=1", method: .get) { r in
                #expect(String(buffer: r.body) == #"{"status":"success","data":["api"],"warnings":["results truncated due to limit"]}"#)
            }
            try await client.execute(uri: "/api/v1/label/U__http_2e_status/values", method: .get) { r in
                #expect(String(buffer: r.body) == #"{"status":"success","data":["200"]}"#)
            }
            try await client.execute(uri: "/api/v1/label/job/values?match[]=http_requests_total", method: .get) { r in
                #expect(String(buffer: r.body) == #"{"status":"success","data":["api"]}"#)
            }
            try await client.execute(uri: "/api/v1/label/nosuch/values", method: .get) { r in
                #expect(String(buffer: r.body) == #"{"status":"success","data":[]}"#)
            }
            try await client.execute(uri: "/api/v1/series", method: .post,
                                     headers: [.contentType: "application/x-www-form-urlencoded"],
                                     body: ByteBuffer(string: "match[]=up%7Bjob%3D%22db%22%7D&match[]=http_requests_total&start=0&end=10")) { r in
                // Only series with samples in [0 s, 10 s]: http_requests_total's sample is at 500 s.
                #expect(String(buffer: r.body) == #"{"status":"success","data":[{"__name__":"up","instance":"b","job":"db"}]}"#)
            }
            try await client.execute(uri: "/api/v1/series", method: .get) { r in
                #expect(r.status == .badRequest)
                #expect(String(buffer: r.body).contains("no match[] parameter provided"))
            }
            try await client.execute(uri: "/api/v1/series?match[]=%7Bjob%3D~%22.*%22%7D", method: .get) { r in
                #expect(String(buffer: r.body) == #"{"status":"error","errorType":"bad_data","error":"invalid parameter \"match[]\": match[] must contain at least one non-empty matcher"}"#)
            }
            for (path, body) in [
                ("/api/v1/targets", #"{"status":"success","data":{"activeTargets":[],"droppedTargets":[],"droppedTargetCounts":{}}}"#),
                ("/api/v1/rules", #"{"status":"success","data":{"groups":[]}}"#),
                ("/api/v1/alerts", #"{"status":"success","data":{"alerts":[]}}"#),
            ] {
                try await client.execute(uri: path, method: .get) { r in
                    #expect(r.status == .ok)
                    #expect(String(buffer: r.body) == body)
                }
            }
            try await client.execute(uri: "/api/v1/status/buildinfo", method: .get) { r in
                let s = String(buffer: r.body)
                #expect(s.hasPrefix(#"{"status":"success","data":{"version":"3.14.0","#))
                #expect(!s.contains("features"))  // a features map would make Grafana treat us as Mimir
            }
        }
    }

    @Test("metadata sent by remote write is served by /api/v1/metadata with Prometheus' limits")
    func metadataFromRemoteWrite() async throws {
        try await withServer { client, _ in
            try await client.execute(uri: "/api/v1/metadata", method: .get) { r in
                #expect(String(buffer: r.body) == #"{"status":"success","data":{}}"#)
            }
            let first = WriteRequest([], metadata: [
                MetricMetadata(family: "up", kind: .gauge, help: "Target is up."),
                MetricMetadata(family: "http_requests", kind: .counter, help: "Requests.", unit: ""),
                MetricMetadata(family: "temp_celsius", kind: .gauge, help: "Temperature.", unit: "celsius"),
            ])
            let second = WriteRequest([], metadata: [
                MetricMetadata(family: "up", kind: .gauge, help: "Target is up."),  // a duplicate: kept once
                MetricMetadata(family: "http_requests", kind: .counter, help: "Requests \"served\"."),
            ])
            for request in [first, second] {
                try await client.execute(uri: "/api/v1/write", method: .post,
                                         body: ByteBuffer(bytes: Snappy.compress(request.encode()))) { r in
                    #expect(r.status == .noContent)
                }
            }
            try await client.execute(uri: "/api/v1/metadata", method: .get) { r in
                #expect(String(buffer: r.body) == #"{"status":"success","data":{"http_requests":[{"type":"counter","help":"Requests.","unit":""},{"type":"counter","help":"Requests \"served\".","unit":""}],"temp_celsius":[{"type":"gauge","help":"Temperature.","unit":"celsius"}],"up":[{"type":"gauge","help":"Target is up.","unit":""}]}}"#)
            }
            try await client.execute(uri: "/api/v1/metadata?limit=1&limit_per_metric=1", method: .get) { r in
                #expect(String(buffer: r.body) == #"{"status":"success","data":{"http_requests":[{"type":"counter","help":"Requests.","unit":""}]}}"#)
            }
            try await client.execute(uri: "/api/v1/metadata?metric=up", method: .get) { r in
                #expect(String(buffer: r.body) == #"{"status":"success","data":{"up":[{"type":"gauge","help":"Target is up.","unit":""}]}}"#)
            }
            try await client.execute(uri: "/api/v1/metadata?metric=nosuch", method: .get) { r in
                #expect(String(buffer: r.body) == #"{"status":"success","data":{}}"#)
            }
            try await client.execute(uri: "/api/v1/metadata?limit=x", method: .get) { r in
                #expect(r.status == .badRequest)
                #expect(String(buffer: r.body) == #"{"status":"error","errorType":"bad_data","error":"limit must be a number"}"#)
            }
        }
    }

    @Test func errorsUsePrometheusTypesAndCodes() async throws {
        try await withServer { client, _ in
            try await client.execute(uri: "/api/v1/query?query=sum(", method: .get) { r in
                #expect(r.status == .badRequest)
                let s = String(buffer: r.body)
                #expect(s.hasPrefix(#"{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": "#))
            }
            try await client.execute(uri: "/api/v1/query_range?query=up&start=10&end=0&step=1", method: .get) { r in
                #expect(r.status == .badRequest)
            }
            try await client.execute(uri: "/api/v1/query?query=up&time=abc", method: .get) { r in
                #expect(r.status == .badRequest)
                #expect(String(buffer: r.body).contains("cannot parse"))
            }
            try await client.execute(uri: "/api/v1/write", method: .post, body: ByteBuffer(bytes: [0xff, 0xff, 0xff])) { r in
                #expect(r.status == .badRequest)
            }
            for odd in ["/api/v1/query?=", "/api/v1/query?&&=x&query", "/api/v1/query?query=%zz"] {
                try await client.execute(uri: odd, method: .get) { r in #expect(r.status == .badRequest) }
            }
            try await client.execute(uri: "/-/ready", method: .get) { r in #expect(r.status == .ok) }
        }
    }

    @Test("known series are appended through the cache, and re-resolved after the head dropped them")
    func seriesCacheFallsBackWhenTheHeadDropsASeries() async throws {
        try await withServer { client, db in
            let l = Labels(["__name__": "cached", "job": "x"])
            let hour: Int64 = 3_600_000
            try await client.execute(uri: "/api/v1/write", method: .post, body: writeBody([(l, [Sample(0, 1)])])) { r in
                #expect(r.status == .noContent)
            }
            try await client.execute(uri: "/api/v1/write", method: .post, body: writeBody([(l, [Sample(1000, 2)])])) { r in
                #expect(r.status == .noContent)  // by reference, from the cache
            }
            _ = try db.flushHead()  // the series leaves the head; its cached reference is now unknown
            #expect(db.head.stats.numSeries == 0)
            try await client.execute(uri: "/api/v1/write", method: .post, body: writeBody([(l, [Sample(3 * hour, 3)])])) { r in
                #expect(r.status == .noContent)
            }
            let got = try db.querier(mint: .min, maxt: .max).select([.equal("__name__", "cached")])
            #expect(got.count == 1)
            #expect(try got[0].samples() == [Sample(0, 1), Sample(1000, 2), Sample(3 * hour, 3)])
        }
    }

    @Test func outOfOrderRemoteWriteIsRejectedButValidSamplesStay() async throws {
        try await withServer { client, db in
            let l = Labels(["__name__": "x"])
            try await client.execute(uri: "/api/v1/write", method: .post, body: writeBody([(l, [Sample(2000, 2)])])) { _ in }
            try await client.execute(uri: "/api/v1/write", method: .post,
                                     body: writeBody([(l, [Sample(1000, 1), Sample(3000, 3)])])) { r in
                #expect(r.status == .badRequest)
                #expect(String(buffer: r.body).contains("out of order"))
            }
            let got = try db.querier(mint: .min, maxt: .max).select([.equal("__name__", "x")])[0].samples()
            #expect(got == [Sample(2000, 2), Sample(3000, 3)])
        }
    }
}

@Suite("Response formatting")
struct ResponseFormattingTests {
    @Test("large matrices formatted in parallel are byte-identical to formatting them in one pass")
    func parallelMatrixFormatting() throws {
        var series: [RangeSeries] = []
        for k in 0..<31 {
            let labels = Labels(["__name__": "m", "k": String(k), "text": "quote \" and \\ and \n"])
            series.append(RangeSeries(labels: labels, points: (0..<2_000).map { i in
                Sample(Int64(i) * 15_000 + Int64(k), i % 7 == 0 ? .nan : Double(i) / 3 + Double(k) * 1e-9)
            }))
        }
        #expect(series.reduce(0) { $0 + $1.points.count } > PrometheusJSON.pointsPerTask * 2)
        let parallel = PrometheusJSON.success(.matrix(series))
        var sequential = PrometheusJSON()
        sequential.raw("{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[")
        PrometheusJSON.write(series[...], into: &sequential)
        sequential.raw("]}}")
        #expect(parallel == sequential.out)
        let decoded = try JSONSerialization.jsonObject(with: Data(buffer: parallel)) as? [String: Any]
        #expect(((decoded?["data"] as? [String: Any])?["result"] as? [Any])?.count == 31)
    }

    @Test("points copy the timestamps earlier series formatted, byte-identical to formatting each: off the grid, late starts, negative, rebuilt tables")
    func sharedTimestamps() {
        let grid = (0..<50).map { Int64($0) * 15_000 - 300_500 }  // negative, zero-crossing, with milliseconds
        var rng = SystemRandomNumberGenerator()
        let series: [[Int64]] = [
            grid,
            Array(grid[20...]),                                       // starts late: the cursor seeks
            grid.enumerated().map { $0.offset % 3 == 0 ? $0.element + 1 : $0.element },  // some times off the grid
            [grid[0] - 1_000, grid[5], grid[49] + 15_000],            // before, on and after the table
            (0..<120).map { Int64($0) * 7_001 },                      // over twice as long: a new table
            grid,                                                     // the old grid is no longer the table
            (0..<40).map { _ in Int64.random(in: -1_000_000...1_000_000, using: &rng) }.sorted(),
            [Int64.min + 1, -1, 0, 1, 999, 1_000, Int64.max],
            [42],
        ]
        var shared = PrometheusJSON()
        var expected = ""
        for times in series {
            let points = times.enumerated().map { Sample($0.element, Double($0.offset) / 7) }
            shared.points(points)
            for (k, p) in points.enumerated() {
                var one = PrometheusJSON()
                one.point(p.t, p.v)
                expected += (k > 0 ? "," : "") + String(buffer: one.out)
            }
            shared.raw("|")
            expected += "|"
        }
        #expect(String(buffer: shared.out) == expected)
    }

    @Test("label sets and strings: plain ones copied, ones with quotes, backslashes or control bytes escaped; both decode back")
    func labelEscaping() throws {
        let values = ["plain", "", "naïve ünïcode ✓", "say \"hi\"", "back\\slash", "tab\there", "line\nbreak", "bell\u{7}", "\u{1}"]
        for v in values {
            var w = PrometheusJSON()
            w.labels(Labels(["__name__": "m", "a": v, "z": "after"]))
            w.raw(",")
            w.string(v)
            let text = "[" + String(buffer: w.out) + "]"
            let decoded = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [Any], "\(text)")
            let expected = v.isEmpty ? ["__name__": "m", "z": "after"] : ["__name__": "m", "a": v, "z": "after"]  // empty values are no labels
            #expect(decoded[0] as? [String: String] == expected, "\(text)")
            #expect(decoded[1] as? String == v)
        }
        var w = PrometheusJSON()
        w.labels(Labels(["a": "x\"y", "b": "plain"]))
        #expect(String(buffer: w.out) == #"{"a":"x\"y","b":"plain"}"#, "escapes as Go's encoder does, no bytes left over from the fast attempt")
    }
}

@Suite("HTTP import")
struct HTTPImportTests {
    @Test("POST /api/v1/import/prometheus stores the samples at once; a bad line stores nothing; gzip and extra labels")
    func importEndpoint() async throws {
        try await withServer { client, _ in
            let text = "# TYPE disk_bytes gauge\ndisk_bytes{dev=\"sda\"} 100 1000\ndisk_bytes{dev=\"sda\"} 200 2000\nno_time 7\n"
            try await client.execute(uri: "/api/v1/import/prometheus?extra_label=src%3Dbackfill&timestamp=1500", method: .post,
                                     body: ByteBuffer(string: text)) { r in
                #expect(r.status == .noContent, "\(String(buffer: r.body))")
            }
            try await client.execute(uri: "/api/v1/query?query=disk_bytes&time=2", method: .get) { r in
                #expect(String(buffer: r.body).contains(#"{"metric":{"__name__":"disk_bytes","dev":"sda","src":"backfill"},"value":[2,"200"]}"#))
            }
            try await client.execute(uri: "/api/v1/query?query=no_time&time=1.5", method: .get) { r in
                #expect(String(buffer: r.body).contains(#""value":[1.500,"7"]"#))
            }
            try await client.execute(uri: "/api/v1/import/prometheus", method: .post,
                                     body: ByteBuffer(string: "fine 1 5000\nbroken{x=\"1\"} 1 oops\n")) { r in
                #expect(r.status == .badRequest)
                #expect(String(buffer: r.body) == "2:17: expected a timestamp in milliseconds, got \"o\"\n")
            }
            try await client.execute(uri: "/api/v1/query?query=fine&time=5", method: .get) { r in
                #expect(String(buffer: r.body).contains(#""result":[]"#))  // nothing of the bad body was stored
            }
            let gz = try await gzipped("zipped 3 3000\n")
            try await client.execute(uri: "/api/v1/import/prometheus", method: .post,
                                     headers: [.contentEncoding: "gzip"], body: ByteBuffer(bytes: gz)) { r in
                #expect(r.status == .noContent)
            }
            try await client.execute(uri: "/api/v1/query?query=zipped&time=3", method: .get) { r in
                #expect(String(buffer: r.body).contains(#""value":[3,"3"]"#))
            }
        }
    }

    func gzipped(_ text: String) async throws -> [UInt8] {
        Array(try await runProcess("/bin/gzip", ["-c"], input: Data(text.utf8)).bytes)
    }
}
