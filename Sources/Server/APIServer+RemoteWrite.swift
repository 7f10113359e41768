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
        func reject(_ s: Sample, _ e: TSDBError) {
            rejected += 1
            if firstError == nil { firstError = "\(e)" }
        }
        do {
            let batch = try WriteBatch(try Snappy.decompress(Array(buffer: buffer)))
            if !batch.metadata.isEmpty { metadataStore.record(batch.metadata) }
            try batch.withView { view in
                let known = seriesCache.lookup(view)
                for i in 0..<view.count {
                    let samples = view.samples(i)
                    guard !samples.isEmpty else { continue }
                    if let ref = known[i] {
                        do throws(TSDBError) {
                            try app.append(ref: ref, samples: samples, rejected: reject)
                            continue
                        } catch {
                            // The head dropped the series since it was cached: resolve it by labels below.
                        }
                    }
                    let labels = try batch.labels(of: i)  // malformed labels reject the whole request
                    do throws(TSDBError) {
                        let ref = try app.seriesRef(labels)
                        seriesCache.store(view, series: i, ref: ref)
                        try app.append(ref: ref, samples: samples, rejected: reject)
                    } catch {
                        for s in samples { reject(s, error) }
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
