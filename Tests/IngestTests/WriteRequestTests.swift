import Testing
@testable import Ingest
import TSDB

enum ProtoEncoder {
    static func field(_ n: Int, _ payload: [UInt8], _ out: inout [UInt8]) { WriteRequest.field(n, payload, &out) }
    static func request(_ series: [(Labels, [Sample])]) -> [UInt8] { WriteRequest(series).encode() }
}

@Suite("Remote write decoding")
struct WriteRequestTests {
    @Test func roundTripThroughSnappy() throws {
        let series: [(Labels, [Sample])] = [
            (Labels(["__name__": "up", "job": "api"]), [Sample(1000, 1), Sample(2000, 0), Sample(-5, .nan)]),
            (Labels(["__name__": "x", "a.b": "ü"]), [Sample(0, StaleNaN.value)]),
        ]
        let compressed = Snappy.compress(ProtoEncoder.request(series))
        let req = try WriteRequest.decode(try Snappy.decompress(compressed))
        #expect(req.timeseries.count == 2)
        for (got, want) in zip(req.timeseries, series) {
            #expect(got.labels == want.0)
            #expect(got.samples == want.1)
        }
        #expect(StaleNaN.isStale(req.timeseries[1].samples[0].v))
    }

    @Test func batchDecodeMatchesFullDecode() throws {
        var series: [(Labels, [Sample])] = []
        for i in 0..<50 {
            let labels = Labels(["__name__": "m\(i % 5)", "i": String(i)])
            var samples: [Sample] = []
            for k in 0..<4 { samples.append(Sample(Int64(k) * 1000, Double(i * k))) }
            series.append((labels, samples))
        }
        let bytes = WriteRequest(series).encode()
        let full = try WriteRequest.decode(bytes)
        let batch = try WriteBatch(bytes)
        #expect(batch.series.count == full.timeseries.count)
        for (i, want) in full.timeseries.enumerated() {
            #expect(try batch.labels(of: i) == want.labels)
            #expect(Array(batch.samples(of: i)) == want.samples)
        }
        // Equal label sets give equal hashes and bytes; different ones differ.
        #expect(batch.series[0].labelHash != batch.series[1].labelHash)
        let again = try WriteBatch(bytes)
        #expect(again.series[7].labelHash == batch.series[7].labelHash)
        #expect(again.withLabelBytes(of: 7) { Array($0) } == batch.withLabelBytes(of: 7) { Array($0) })
    }

    @Test("labels interleaved with samples decode the same as contiguous ones, with the same hash")
    func interleavedLabels() throws {
        func labelField(_ name: String, _ value: String) -> [UInt8] {
            var l: [UInt8] = []
            ProtoEncoder.field(1, Array(name.utf8), &l)
            ProtoEncoder.field(2, Array(value.utf8), &l)
            var f: [UInt8] = []
            ProtoEncoder.field(1, l, &f)
            return f
        }
        let sample: [UInt8] = {
            var sb: [UInt8] = [0x09]
            withUnsafeBytes(of: (2.5).bitPattern.littleEndian) { sb += $0 }
            sb += [2 << 3, 0x10]
            var f: [UInt8] = []
            ProtoEncoder.field(2, sb, &f)
            return f
        }()
        let a = labelField("__name__", "up"), b = labelField("job", "x")
        var contiguous: [UInt8] = [], interleaved: [UInt8] = []
        ProtoEncoder.field(1, a + b + sample, &contiguous)
        ProtoEncoder.field(1, a + sample + b, &interleaved)
        let one = try WriteBatch(contiguous), two = try WriteBatch(interleaved)
        #expect(try two.labels(of: 0) == Labels(["__name__": "up", "job": "x"]))
        #expect(try one.labels(of: 0) == two.labels(of: 0))
        #expect(one.series[0].labelHash == two.series[0].labelHash)
        #expect(Array(two.samples(of: 0)) == [Sample(16, 2.5)])
    }

    @Test func metadataRoundTripsAndIsSkippedBySeriesDecoding() throws {
        let metadata = [
            MetricMetadata(family: "http_requests", kind: .counter, help: "Requests served.", unit: ""),
            MetricMetadata(family: "temperature_celsius", kind: .gauge, help: "Ambient \"temp\"\n", unit: "celsius"),
            MetricMetadata(family: "x", kind: .stateset),
        ]
        let bytes = WriteRequest([(Labels(["__name__": "up"]), [Sample(1, 1)])], metadata: metadata).encode()
        let decoded = try WriteRequest.decode(bytes)
        #expect(decoded.metadata == metadata)
        #expect(decoded.timeseries.count == 1)
        #expect(try WriteRequest.metadata(bytes) == metadata)
        // Types beyond the known enum values are `unknown`, not an error.
        var entry: [UInt8] = [1 << 3, 99]
        ProtoEncoder.field(2, Array("future".utf8), &entry)
        var request: [UInt8] = []
        ProtoEncoder.field(3, entry, &request)
        #expect(try WriteRequest.metadata(request) == [MetricMetadata(family: "future", kind: .unknown)])
        // Invalid UTF-8 in help text is an error naming the byte.
        var bad: [UInt8] = []
        ProtoEncoder.field(4, [0x41, 0xff], &bad)
        var badRequest: [UInt8] = []
        ProtoEncoder.field(3, bad, &badRequest)
        #expect(throws: WriteRequest.DecodeError(message: "invalid UTF-8 in string", offset: 5)) {
            try WriteRequest.metadata(badRequest)
        }
    }

    @Test func malformedInputIsAnErrorWithOffset() {
        #expect(throws: Snappy.Failure.self) { try Snappy.decompress([0xff, 0xff, 0xff, 0xff, 0xff, 0x01]) }
        let good = ProtoEncoder.request([(Labels(["__name__": "up"]), [Sample(1, 1)])])
        for cut in 1..<good.count {
            do {
                _ = try WriteRequest.decode(Array(good.prefix(cut)))
            } catch {
                #expect(error.offset <= cut)
                #expect(error.description.contains("at byte"))
            }
        }
        // Invalid UTF-8 in a label value is rejected, naming the label.
        var bad: [UInt8] = []
        var ts: [UInt8] = []
        var lb: [UInt8] = []
        ProtoEncoder.field(1, Array("job".utf8), &lb)
        ProtoEncoder.field(2, [0xff, 0xfe], &lb)
        ProtoEncoder.field(1, lb, &ts)
        ProtoEncoder.field(1, ts, &bad)
        #expect(throws: WriteRequest.DecodeError.self) { try WriteRequest.decode(bad) }
    }
}

@Suite("Remote write native histograms")
struct WriteHistogramTests {
    static let exponential = NativeHistogram(
        counterResetHint: .gauge, schema: -2, zeroThreshold: 1e-9, zeroCount: 0.5, count: 8.5, sum: -3.25,
        positive: [HistogramBucket(-3, 1), HistogramBucket(-2, 0), HistogramBucket(4, 5)], negative: [HistogramBucket(0, 2)])

    /// The label `__name__="x"` as a TimeSeries field.
    static var nameLabel: [UInt8] {
        func field(_ n: Int, _ payload: [UInt8]) -> [UInt8] {
            var out: [UInt8] = []
            WriteRequest.field(n, payload, &out)
            return out
        }
        return field(1, field(1, Array("__name__".utf8)) + field(2, Array("x".utf8)))
    }

    @Test("float histograms round-trip through the encoder and decoder, beside float samples")
    func floatHistogramsRoundTrip() throws {
        let nhcb = NativeHistogram(schema: -53, count: 3, sum: 1, positive: [HistogramBucket(1, 3)], customValues: [1, 2.5])
        let labels = Labels(["__name__": "h"])
        let request = WriteRequest(timeseries: [
            .init(labels: labels, samples: [Sample(1, 1)],
                  histograms: [HistogramSample(-1000, Self.exponential), HistogramSample(5, nhcb)]),
        ])
        let decoded = try WriteRequest.decode(request.encode())
        #expect(decoded.timeseries.count == 1 && decoded.timeseries[0].samples == [Sample(1, 1)])
        let h = decoded.timeseries[0].histograms
        #expect(h.map(\.t) == [-1000, 5])
        #expect(h[0].h.isIdentical(to: Self.exponential) && h[0].h.counterResetHint == .gauge)
        #expect(h[1].h.isIdentical(to: nhcb))
    }

    @Test("integer histograms: bucket deltas add up per side; unpacked fields decode like packed ones")
    func integerHistogramDeltas() throws {
        var m: [UInt8] = [0x08, 10]  // count_int 10
        m += [0x30, 1]  // zero_count_int 1
        m += [0x5a, 4, 0x08, 0x03, 0x10, 3]  // positive span: offset zz(-2) = 3, length 3
        m += [0x62, 3, 4, 1, 1]  // positive deltas packed: zz(2), zz(-1), zz(-1): counts 2, 1, 0
        m += [0x42, 4, 0x08, 0x00, 0x10, 1]  // negative span: offset 0, length 1
        m += [0x48, 6]  // one unpacked negative delta: zz(3)
        var ts = Self.nameLabel
        WriteRequest.field(4, m, &ts)
        var body: [UInt8] = []
        WriteRequest.field(1, ts, &body)
        let h = try #require(try WriteRequest.decode(body).timeseries.first?.histograms.first).h
        #expect(h.count == 10 && h.zeroCount == 1)
        #expect(h.positive == [HistogramBucket(-2, 2), HistogramBucket(-1, 1), HistogramBucket(0, 0)])
        #expect(h.negative == [HistogramBucket(0, 3)])
    }

    @Test("a histogram whose spans need other bucket counts is an error at its offset")
    func malformedHistogram() {
        var ts = Self.nameLabel
        let histogramAt = ts.count + 2  // after the field key and length
        WriteRequest.field(4, [0x5a, 4, 0x08, 0x00, 0x10, 5, 0x62, 1, 2], &ts)  // five buckets, one delta
        var body: [UInt8] = []
        WriteRequest.field(1, ts, &body)
        let e = #expect(throws: WriteRequest.DecodeError.self) { try WriteRequest.decode(body) }
        #expect(e?.message.contains("positive side") == true && e?.message.contains("spans need 5") == true, "\(String(describing: e))")
        #expect(e?.offset == 2 + histogramAt)
    }
}
