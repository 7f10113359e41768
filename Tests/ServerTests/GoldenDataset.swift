import Ingest
import TSDB

/// The fixed data set the API golden files are computed from: a few series
/// every 15 s for ten minutes from 2023-11-14T22:13:20Z (unix 1700000000),
/// with special float values, a classic histogram and metadata — sent by
/// remote write, to us in-process and to a real Prometheus alike.
enum GoldenDataset {
    static let start: Int64 = 1_700_000_000_000
    static let step: Int64 = 15_000
    static let count = 41

    static var series: [(Labels, [Sample])] {
        func samples(_ value: (Int) -> Double) -> [Sample] {
            (0..<count).map { Sample(start + Int64($0) * step, value($0)) }
        }
        var out: [(Labels, [Sample])] = [
            (Labels(["__name__": "http_requests_total", "job": "api", "instance": "a", "code": "200"]), samples { Double($0 * 10) }),
            (Labels(["__name__": "http_requests_total", "job": "api", "instance": "b", "code": "500"]),
             samples { Double(($0 < 20 ? $0 : $0 - 20) * 3) }),  // a counter reset at the 21st sample
            (Labels(["__name__": "up", "job": "api", "instance": "a"]), samples { _ in 1 }),
            (Labels(["__name__": "up", "job": "db", "instance": "c"]), samples { $0 % 2 == 0 ? 1 : 0 }),
            (Labels(["__name__": "temperature_celsius", "room": "kitchen"]), samples { 20 + Double($0) / 4 }),
            (Labels(["__name__": "temperature_celsius", "room": "nowhere"]), samples { _ in .nan }),
            (Labels(["__name__": "temperature_celsius", "room": "sun"]), samples { _ in .infinity }),
            (Labels(["__name__": "temperature_celsius", "room": "space"]), samples { _ in -.infinity }),
        ]
        for (le, share) in [("0.1", 0.5), ("0.5", 0.8), ("1", 0.95), ("+Inf", 1.0)] {
            out.append((Labels(["__name__": "request_duration_seconds_bucket", "job": "api", "le": le]),
                        samples { (Double($0) * 100 * share).rounded() }))
        }
        return out
    }

    static let metadata = [
        MetricMetadata(family: "http_requests_total", kind: .counter, help: "Requests served."),
        MetricMetadata(family: "temperature_celsius", kind: .gauge, help: "Room temperature.", unit: "celsius"),
        MetricMetadata(family: "request_duration_seconds", kind: .histogram, help: "Request latency.", unit: "seconds"),
    ]

    /// The remote-write request body (snappy-compressed protobuf).
    static var body: [UInt8] { Snappy.compress(WriteRequest(series, metadata: metadata).encode()) }
}
