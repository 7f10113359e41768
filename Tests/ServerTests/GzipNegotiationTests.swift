import Testing
import Hummingbird
@testable import Server

/// Which `Accept-Encoding` values get a gzipped response.
@Suite("Gzip negotiation")
struct GzipNegotiationTests {
    @Test func acceptEncodingValues() {
        let yes = ["gzip", "GZIP", "gzip, deflate, br", "br, gzip;q=0.5", "*", "deflate, *", "gzip ; q=1"]
        let no = [nil, "", "identity", "deflate, br", "gzip;q=0", "gzip; q=0", "x-gzip", "identity, gzip;q=0"]
        for h in yes { #expect(ResponseCompression.acceptsGzip(h), "\(h)") }
        for h in no { #expect(!ResponseCompression.acceptsGzip(h), "\(h ?? "nil")") }
    }
}
