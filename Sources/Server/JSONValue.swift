import NIOCore
import PromQL

/// A JSON document built in code, for the few endpoints whose shapes are
/// trees of mixed values (`/api/v1/parse_query`). Object keys keep their order.
enum JSONValue {
    case null
    case bool(Bool)
    case int(Int64)
    /// Written as Go's JSON encoder writes float64 (finite values only).
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])
}

extension PrometheusJSON {
    mutating func value(_ v: JSONValue) {
        switch v {
        case .null: raw("null")
        case .bool(let b): b ? raw("true") : raw("false")
        case .int(let n): out.writeString(String(n))
        case .number(let v): out.writeString(GoFormat.formatFloat(v, .api))
        case .string(let s): string(s)
        case .array(let xs):
            raw("[")
            for (i, x) in xs.enumerated() {
                if i > 0 { raw(",") }
                value(x)
            }
            raw("]")
        case .object(let fields):
            raw("{")
            for (i, (k, x)) in fields.enumerated() {
                if i > 0 { raw(",") }
                string(k)
                raw(":")
                value(x)
            }
            raw("}")
        }
    }

    /// `{"status":"success","data":<v>}`
    static func success(_ v: JSONValue) -> ByteBuffer {
        var w = PrometheusJSON()
        w.raw("{\"status\":\"success\",\"data\":")
        w.value(v)
        w.raw("}")
        return w.out
    }
}
