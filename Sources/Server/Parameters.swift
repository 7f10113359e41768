import Foundation
import HTTPTypes
import PromQL
import TSDB

/// Request parameters from the query string and, for POST, an
/// `application/x-www-form-urlencoded` body, as Prometheus' handlers read them.
struct Parameters {
    private var values: [String: [String]] = [:]

    /// Whether a request's body holds parameters: a POST or PUT form.
    /// Both the router and the direct query lane read bodies by this rule.
    static func hasFormBody(method: HTTPRequest.Method, contentType: String?) -> Bool {
        (method == .post || method == .put) && contentType?.hasPrefix("application/x-www-form-urlencoded") == true
    }

    init(query: String?, body: String?) {
        for source in [query, body] {
            guard let source, !source.isEmpty else { continue }
            for pair in source.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let key = Self.decode(parts[0])
                values[key, default: []].append(parts.count > 1 ? Self.decode(parts[1]) : "")
            }
        }
    }

    /// Form decoding: `+` is a space, `%XX` a byte. Text with a malformed escape
    /// or bytes that are not UTF-8 is kept as it came. (Foundation's
    /// `removingPercentEncoding` did the same at a tenth of the speed: a
    /// fifth of a small POSTed query's server time.)
    static func decode(_ s: Substring) -> String {
        let utf8 = s.utf8
        guard utf8.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else { return String(s) }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count)
        var i = utf8.startIndex
        while i < utf8.endIndex {
            let c = utf8[i]
            if c == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else if c == UInt8(ascii: "%") {
                let h = utf8.index(after: i)
                guard h < utf8.endIndex, utf8.index(after: h) < utf8.endIndex,
                      let hi = hexValue(utf8[h]), let lo = hexValue(utf8[utf8.index(after: h)]) else { return String(s) }
                out.append(hi << 4 | lo)
                i = utf8.index(i, offsetBy: 2)
            } else {
                out.append(c)
            }
            i = utf8.index(after: i)
        }
        return String(validating: out, as: UTF8.self) ?? String(s)
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    subscript(_ key: String) -> String? { values[key]?.first }
    func all(_ key: String) -> [String] { values[key] ?? [] }

    /// Prometheus' `parseTime`: float Unix seconds or RFC 3339, as milliseconds; nil if unparseable.
    static func parseTime(_ s: String) -> Int64? {
        if let secs = Double(s), secs.isFinite {
            return Int64((secs * 1000).rounded())
        }
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let d = f.date(from: s) ?? ISO8601DateFormatter().date(from: s) {
            return Int64((d.timeIntervalSince1970 * 1000).rounded())
        }
        return nil
    }

    /// An optional time (Prometheus' `parseTimeParam`, used for `time`, and `start`/`end` of the
    /// metadata endpoints): nil if absent; `bad_data` "Invalid time value for 'start': …" if malformed.
    func time(_ key: String) throws(APIError) -> Int64? {
        guard let s = self[key], !s.isEmpty else { return nil }
        guard let t = Self.parseTime(s) else {
            throw APIError.badData("Invalid time value for '\(key)': cannot parse \"\(s)\" to a valid timestamp")
        }
        return t
    }

    /// A required time (query_range's `start` and `end`): `invalid parameter "start": cannot parse "" …` otherwise.
    func requiredTime(_ key: String) throws(APIError) -> Int64 {
        let s = self[key] ?? ""
        guard let t = Self.parseTime(s) else {
            throw APIError.badData("invalid parameter \"\(key)\": cannot parse \"\(s)\" to a valid timestamp")
        }
        return t
    }

    /// An integer parameter, -1 when absent (Prometheus' "no limit"); `bad_data` "<key> must be a number" otherwise.
    func count(_ key: String) throws(APIError) -> Int {
        guard let s = self[key], !s.isEmpty else { return -1 }
        guard let n = Int(s) else { throw APIError.badData("\(key) must be a number") }
        return n
    }

    /// A duration: float seconds or a Prometheus duration (`5m`); nil if absent.
    func duration(_ key: String) throws(APIError) -> Int64? {
        guard let s = self[key], !s.isEmpty else { return nil }
        if let secs = Double(s), secs.isFinite {
            return Int64((secs * 1000).rounded())
        }
        if let ms = DurationFormat.parse(s) { return ms }
        throw APIError.badData("invalid parameter \"\(key)\": cannot parse \"\(s)\" to a valid duration")
    }

    /// A required duration (query_range's `step`).
    func requiredDuration(_ key: String) throws(APIError) -> Int64 {
        guard let d = try duration(key) else {
            throw APIError.badData("invalid parameter \"\(key)\": cannot parse \"\" to a valid duration")
        }
        return d
    }
}

/// An API error with Prometheus' error type and status code.
enum APIError: Error {
    case badData(String)
    case execution(String)
    case timeout(String)
    case internalError(String)
    /// Prometheus' `unavailable` (admin API disabled, TSDB not ready): 500, as Prometheus maps it.
    case unavailable(String)
    /// Too many queries running and waiting: `unavailable` with 503, so that clients back off and retry.
    case overloaded(String)

    var type: String {
        switch self {
        case .badData: "bad_data"
        case .execution: "execution"
        case .timeout: "timeout"
        case .internalError: "internal"
        case .unavailable, .overloaded: "unavailable"
        }
    }

    var status: Int {
        switch self {
        case .badData: 400
        case .execution: 422
        case .timeout: 503
        case .internalError, .unavailable: 500
        case .overloaded: 503
        }
    }

    var message: String {
        switch self {
        case .badData(let m), .execution(let m), .timeout(let m), .internalError(let m), .unavailable(let m), .overloaded(let m): m
        }
    }
}
