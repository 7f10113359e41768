import Foundation
import Testing
import TSDBTestSupport
@testable import Server

/// Form and query-string decoding, as Go's `url.ParseQuery` reads what clients send.
@Suite("Request parameters")
struct ParametersTests {
    @Test func decodesFormEncoding() {
        let p = Parameters(query: "query=sum%28rate%28x%5B5m%5D%29%29&match%5B%5D=up&match%5B%5D=a+b",
                           body: "time=1.5&q2=caf%C3%A9&plus=%2B&empty=&bare")
        #expect(p["query"] == "sum(rate(x[5m]))")
        #expect(p.all("match[]") == ["up", "a b"])
        #expect(p["time"] == "1.5")
        #expect(p["q2"] == "café")
        #expect(p["plus"] == "+")
        #expect(p["empty"] == "" && p["bare"] == "")
        #expect(p["absent"] == nil)
    }

    @Test func keepsMalformedTextAsItCame() {
        #expect(Parameters.decode("100%") == "100%")
        #expect(Parameters.decode("%4") == "%4")
        #expect(Parameters.decode("a+%zz") == "a+%zz")
        #expect(Parameters.decode("%FF%FE") == "%FF%FE", "not UTF-8")
    }

    /// Whatever a client percent-encodes comes back byte for byte.
    @Test func roundTripsEncodedText() {
        var rng = SeededRandom(seed: 42)
        let alphabet = Array("abcXYZ019 +%&=/{}[]\"'~é€😀\n".unicodeScalars)
        for _ in 0..<2000 {
            let text = String(String.UnicodeScalarView((0..<Int.random(in: 0...24, using: &rng)).map { _ in
                alphabet[Int.random(in: 0..<alphabet.count, using: &rng)]
            }))
            var allowed = CharacterSet.alphanumerics
            allowed.remove(charactersIn: "é€")
            let encoded = text.addingPercentEncoding(withAllowedCharacters: allowed)!
            #expect(Parameters.decode(Substring(encoded)) == text, "\(encoded)")
            #expect(Parameters.decode(Substring(encoded.replacingOccurrences(of: "%20", with: "+"))) == text)
        }
    }
}
