import Foundation
import Hummingbird
import Ingest
import SwiftProtobuf
import TSDB

/// Remote read `POST /api/v1/read`: a snappy-compressed `ReadRequest`; the
/// answer is either one snappy-compressed `ReadResponse` with raw samples
/// and native histograms (SAMPLES, the default) or, when the client lists
/// STREAMED_XOR_CHUNKS first, a stream of CRC-checked `ChunkedReadResponse`
/// frames carrying Prometheus XOR chunks, one series after another.
/// Histograms are not streamed as chunks (we do not write Prometheus'
/// histogram chunk encoding): when the answer holds any, a client that also
/// accepts SAMPLES gets SAMPLES, and one that does not gets an error.
extension APIServer {
    /// Samples per streamed chunk, as Prometheus cuts them.
    static let samplesPerStreamedChunk = 120
    /// A streamed frame is closed once its chunks pass this many bytes (Prometheus: 1 MiB).
    static let streamedFrameBytes = 1 << 20

    func remoteRead(_ request: Request) async throws -> Response {
        let body = try await request.body.collect(upTo: options.maxRequestBodyBytes)
        let read: Prometheus_ReadRequest
        do {
            read = try Prometheus_ReadRequest(serializedBytes: try Snappy.decompress(Array(buffer: body)))
        } catch {
            return Self.text("remote read: cannot decode request: \(error)\n", status: .badRequest)
        }
        do {
            let db = try database()
            let external = config.parsed.global.externalLabels
            metrics.remoteRead(queries: read.queries.count)
            let selections = try read.queries.map { try select($0, db: db, external: external) }
            if read.acceptedResponseTypes.first == .streamedXorChunks {
                let histograms = selections.contains { $0.contains { $0.hasHistograms } }
                if !histograms { return try streamedRead(selections, db: db, external: external) }
                guard read.acceptedResponseTypes.contains(.samples) else {
                    throw APIError.badData("native histograms cannot be streamed as chunks; accept the SAMPLES response type to read them")
                }
            }
            var response = Prometheus_ReadResponse()
            var total = 0
            for series in selections {
                var result = Prometheus_QueryResult()
                for s in series {
                    var ts = Prometheus_TimeSeries()
                    ts.labels = Self.protoLabels(Self.adding(external, to: s.labels))
                    var samples: [Sample] = []
                    try s.appendSamples(to: &samples)
                    let histograms = s.hasHistograms ? try s.histogramSamples() : []
                    total += samples.count + histograms.count
                    if total > engine.options.maxSamples {
                        throw APIError.badData("exceeded sample limit (\(engine.options.maxSamples))")
                    }
                    ts.samples = samples.map { x in
                        var p = Prometheus_Sample()
                        p.timestamp = x.t
                        p.value = x.v
                        return p
                    }
                    ts.histograms = histograms.map(Self.protoHistogram)
                    result.timeseries.append(ts)
                }
                response.results.append(result)
            }
            let bytes: [UInt8] = try response.serializedBytes()
            return Response(status: .ok, headers: [.contentType: "application/x-protobuf", .contentEncoding: "snappy"],
                            body: .init(byteBuffer: ByteBuffer(bytes: Snappy.compress(bytes))))
        } catch let e as APIError {
            return Self.text("remote read: \(e.message)\n", status: HTTPResponse.Status(code: e.status))
        } catch {
            return Self.text("remote read: \(error)\n", status: .internalServerError)
        }
    }

    /// Frames of `ChunkedReadResponse`: uvarint length, big-endian CRC-32C of the message, the message.
    private func streamedRead(_ selections: [[Series]], db: DB, external: [Label]) throws -> Response {
        var out = ByteBuffer()
        for (index, series) in selections.enumerated() {
            for s in series {
                var samples: [Sample] = []
                try s.appendSamples(to: &samples)
                var frame = Prometheus_ChunkedReadResponse()
                frame.queryIndex = Int64(index)
                var series = Prometheus_ChunkedSeries()
                series.labels = Self.protoLabels(Self.adding(external, to: s.labels))
                var frameBytes = 0
                var start = 0
                while start < samples.count {
                    let part = samples[start..<min(start + Self.samplesPerStreamedChunk, samples.count)]
                    var chunk = Prometheus_Chunk()
                    chunk.type = .xor
                    chunk.minTimeMs = part.first!.t
                    chunk.maxTimeMs = part.last!.t
                    chunk.data = Data(PrometheusXORChunk.encode(part))
                    frameBytes += chunk.data.count
                    series.chunks.append(chunk)
                    start += part.count
                    if frameBytes >= Self.streamedFrameBytes && start < samples.count {
                        frame.chunkedSeries = [series]
                        try Self.writeFrame(frame, to: &out)
                        series.chunks = []
                        frameBytes = 0
                    }
                }
                if !series.chunks.isEmpty {
                    frame.chunkedSeries = [series]
                    try Self.writeFrame(frame, to: &out)
                }
            }
        }
        return Response(status: .ok,
                        headers: [.contentType: "application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse"],
                        body: .init(byteBuffer: out))
    }

    private static func writeFrame(_ frame: Prometheus_ChunkedReadResponse, to out: inout ByteBuffer) throws {
        let bytes: [UInt8] = try frame.serializedBytes()
        var n = UInt64(bytes.count)
        while n >= 0x80 {
            out.writeInteger(UInt8(truncatingIfNeeded: n) | 0x80)
            n >>= 7
        }
        out.writeInteger(UInt8(n))
        out.writeInteger(CRC32C.checksum(bytes), endianness: .big)
        out.writeBytes(bytes)
    }

    /// The series of one remote-read query, sorted by labels. An equality
    /// matcher on an external label with its value asks for series without
    /// that label (it is added on the way out), as Prometheus does.
    private func select(_ q: Prometheus_Query, db: DB, external: [Label]) throws -> [Series] {
        var matchers: [LabelMatcher] = []
        for var m in q.matchers {
            if m.type == .eq, external.contains(where: { $0.name == m.name && $0.value == m.value }) { m.value = "" }
            let type: LabelMatcher.MatchType = switch m.type {
            case .eq: .equal
            case .neq: .notEqual
            case .re: .regexMatch
            case .nre: .regexNoMatch
            case .UNRECOGNIZED(let n): throw APIError.badData("unknown label matcher type \(n)")
            }
            do { matchers.append(try LabelMatcher(type, m.name, m.value)) } catch {
                throw APIError.badData("invalid matcher \(m.name)\(type.rawValue)\"\(m.value)\": \(error)")
            }
        }
        return try db.querier(mint: q.startTimestampMs, maxt: q.endTimestampMs).select(matchers)
    }

    /// The series' labels plus the external labels it does not have itself.
    static func adding(_ external: [Label], to labels: Labels) -> Labels {
        guard !external.isEmpty else { return labels }
        return Labels(external.filter { e in labels[e.name].isEmpty } + labels.pairs)
    }

    /// A histogram sample as `prometheus.Histogram`, with float counts.
    static func protoHistogram(_ sample: HistogramSample) -> Prometheus_Histogram {
        let h = sample.h
        var p = Prometheus_Histogram()
        p.timestamp = sample.t
        p.countFloat = h.count
        p.sum = h.sum
        p.schema = h.schema
        p.zeroThreshold = h.zeroThreshold
        p.zeroCountFloat = h.zeroCount
        let positive = NativeHistogram.spans(of: h.positive), negative = NativeHistogram.spans(of: h.negative)
        p.positiveSpans = positive.spans.map(protoSpan)
        p.positiveCounts = positive.counts
        p.negativeSpans = negative.spans.map(protoSpan)
        p.negativeCounts = negative.counts
        p.customValues = h.customValues
        p.resetHint = switch h.counterResetHint {
        case .unknown: .unknown
        case .counterReset: .yes
        case .notCounterReset: .no
        case .gauge: .gauge
        }
        return p
    }

    private static func protoSpan(_ s: HistogramSpan) -> Prometheus_BucketSpan {
        var p = Prometheus_BucketSpan()
        p.offset = s.offset
        p.length = s.length
        return p
    }

    static func protoLabels(_ labels: Labels) -> [Prometheus_Label] {
        labels.pairs.map { l in
            var p = Prometheus_Label()
            p.name = l.name
            p.value = l.value
            return p
        }
    }
}
