import Hummingbird
import Ingest
import TSDB

extension APIServer {
    /// Remote write 1.0: snappy-compressed protobuf `WriteRequest`. Valid
    /// samples are stored even when others are rejected; any rejection is
    /// reported as 400 with the first error, as Prometheus does. Known series
    /// are appended by reference through `seriesCache`; metadata entries are
    /// kept for `/api/v1/metadata`.
    func remoteWrite(_ request: Request) async throws -> Response {
        let buffer = try await request.body.collect(upTo: options.maxRequestBodyBytes)
        let app = try database().appender()
        var firstError: String?
        var rejected = 0
        do {
            let payload = try Snappy.decompress(Array(buffer: buffer))
            let metadata = try WriteRequest.metadata(payload)
            if !metadata.isEmpty { metadataStore.record(metadata) }
            try WriteRequest.forEachSeries(payload) { series in
                guard !series.samples.isEmpty else { return }
                var ref = seriesCache.lookup(hash: series.labelHash, bytes: series.labelBytes)
                for s in series.samples {
                    do {
                        if let r = ref {
                            do { try app.append(ref: r, s.t, s.v) } catch let e as TSDBError where e.code == .unknownSeriesRef {
                                ref = nil  // the head dropped it: resolve by labels below
                            }
                        }
                        if ref == nil {
                            let r = try app.append(try series.labels(), s.t, s.v)
                            seriesCache.store(hash: series.labelHash, bytes: series.labelBytes, ref: r)
                            ref = r
                        }
                    } catch let e as WriteRequest.DecodeError {
                        throw e
                    } catch {
                        rejected += 1
                        if firstError == nil { firstError = "\(error)" }
                    }
                }
            }
        } catch {
            app.rollback()
            return Self.text("\(error)\n", status: .badRequest)
        }
        let result = try app.commit()
        metrics.remoteWrite(stored: result.appended, rejected: rejected + result.dropped.count)
        if firstError == nil, let dropped = result.dropped.first { firstError = "\(dropped)" }
        if let e = firstError {
            return Self.text("\(e) (\(rejected + result.dropped.count) samples rejected)\n", status: .badRequest)
        }
        return Response(status: .noContent)
    }
}
