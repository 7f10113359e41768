import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import HummingbirdTesting
import Server
import Testing

/// Every endpoint's answers — successes and errors — compared byte for byte
/// with the golden files in `testdata/api-golden/` (status, content type,
/// body), over `GoldenDataset`. `requests.txt` lists the requests;
/// `UPDATE_GOLDEN=1` rewrites the files (then review the diff).
@Suite("HTTP API golden files")
struct APIGoldenTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../testdata/api-golden").standardized

    /// One line of `requests.txt`.
    struct GoldenRequest: CustomStringConvertible {
        var name: String
        var method: HTTPRequest.Method
        var target: String
        var body: String?
        var description: String { "\(method) \(target)" + (body.map { " " + $0 } ?? "") }
    }

    static func requests() throws -> [GoldenRequest] {
        let text = try String(contentsOf: directory.appendingPathComponent("requests.txt"), encoding: .utf8)
        var out: [GoldenRequest] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = line.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: true)
            guard fields.count >= 3, let method = HTTPRequest.Method(String(fields[1])) else {
                throw GoldenError(message: "requests.txt:\(n + 1): expected NAME METHOD TARGET [BODY]")
            }
            out.append(GoldenRequest(name: String(fields[0]), method: method, target: String(fields[2]),
                                     body: fields.count > 3 ? fields[3].trimmingCharacters(in: .whitespaces) : nil))
        }
        return out
    }

    struct GoldenError: Error { var message: String }

    /// Values that differ from run to run, replaced before comparing.
    static let maskedKeys = [
        "evalTotalTime", "resultSortTime", "queryPreparationTime", "innerEvalTime", "execQueueTime", "execTotalTime",
        "startTime", "CWD", "goroutineCount", "GOMAXPROCS", "GOMEMLIMIT", "GOGC", "lastConfigTime", "hostname",
        "corruptionCount", "storageRetention", "serverTime",
    ]

    static func masked(_ body: String) -> String {
        let keys = maskedKeys.joined(separator: "|")
        let regex = try! NSRegularExpression(pattern: "\"(\(keys))\":(\"[^\"]*\"|-?[0-9][0-9.e+-]*)")
        return regex.stringByReplacingMatches(in: body, range: NSRange(body.startIndex..., in: body), withTemplate: "\"$1\":\"<masked>\"")
    }

    /// The golden text of an answer: request line, status and content type, body.
    static func render(_ request: GoldenRequest, _ response: TestResponse) -> String {
        let type = response.headers[.contentType] ?? "-"
        return "\(request)\n\(response.status.code) \(type)\n\(masked(String(buffer: response.body)))\n"
    }

    /// Development aid: `GOLDEN_OTHER_SERVER=http://127.0.0.1:PORT` also sends the data set and the requests
    /// to another server (e.g. a Prometheus with `--web.enable-remote-write-receiver`) and writes its
    /// answers next to ours under `/tmp/api-golden-other/`, for `diff -r`.
    static func record(_ requests: [GoldenRequest], from server: String) async throws {
        let out = URL(fileURLWithPath: "/tmp/api-golden-other")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        var write = URLRequest(url: URL(string: server + "/api/v1/write")!)
        write.httpMethod = "POST"
        write.httpBody = Data(GoldenDataset.body)
        write.setValue("application/x-protobuf", forHTTPHeaderField: "Content-Type")
        write.setValue("snappy", forHTTPHeaderField: "Content-Encoding")
        _ = try await URLSession.shared.data(for: write)
        for request in requests {
            // Foundation would escape the '%' of "%7B" again in a URL that also has raw brackets.
            let target = request.target.replacingOccurrences(of: "[]", with: "%5B%5D")
            var r = URLRequest(url: URL(string: server + target)!)
            r.httpMethod = request.method.rawValue
            if let body = request.body {
                r.httpBody = Data(body.utf8)
                r.setValue(request.target == "/api/v1/write" ? "application/x-protobuf" : "application/x-www-form-urlencoded",
                           forHTTPHeaderField: "Content-Type")
            }
            let (data, response) = try await URLSession.shared.data(for: r)
            let http = response as! HTTPURLResponse
            let text = "\(request)\n\(http.statusCode) \(http.value(forHTTPHeaderField: "Content-Type") ?? "-")\n"
                + masked(String(decoding: data, as: UTF8.self)) + "\n"
            try text.write(to: out.appendingPathComponent(request.name + ".golden"), atomically: true, encoding: .utf8)
        }
    }

    @Test func everyEndpointMatchesItsGoldenFile() async throws {
        let requests = try Self.requests()
        #expect(requests.count > 60)
        let update = ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1"
        try await withServer { client, _ in
            try await client.execute(uri: "/api/v1/write", method: .post, body: ByteBuffer(bytes: GoldenDataset.body)) { r in
                #expect(r.status == .noContent)
            }
            for request in requests {
                var headers: HTTPFields = [:]
                if request.body != nil {
                    headers[.contentType] = request.target == "/api/v1/write"
                        ? "application/x-protobuf" : "application/x-www-form-urlencoded"
                }
                let got = try await client.execute(uri: request.target, method: request.method, headers: headers,
                                                   body: request.body.map { ByteBuffer(string: $0) }) { Self.render(request, $0) }
                let file = Self.directory.appendingPathComponent(request.name + ".golden")
                if update {
                    try got.write(to: file, atomically: true, encoding: .utf8)
                    continue
                }
                guard let want = try? String(contentsOf: file, encoding: .utf8) else {
                    Issue.record("\(request.name): no golden file \(file.path); run with UPDATE_GOLDEN=1")
                    continue
                }
                #expect(got == want, "\(request.name) differs from \(request.name).golden")
            }
        }
        if let other = ProcessInfo.processInfo.environment["GOLDEN_OTHER_SERVER"] {
            try await Self.record(requests, from: other)
        }
        if !update {
            // No stale golden files: each belongs to a request.
            let names = Set(requests.map { $0.name + ".golden" })
            let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).filter { $0.hasSuffix(".golden") }
            #expect(Set(files).subtracting(names).isEmpty, "golden files without a request: \(Set(files).subtracting(names))")
        }
    }
}
