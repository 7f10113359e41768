/// A query error with the place it refers to: parse errors say what was
/// unexpected, where (line:column), and what was expected.
public struct PromQLError: Error, Sendable, CustomStringConvertible, Equatable {
    public var message: String
    public var position: Position?
    /// What the parser expected instead, if it knows.
    public var expected: String?

    public init(_ message: String, at position: Position? = nil, expected: String? = nil) {
        self.message = message
        self.position = position
        self.expected = expected
    }

    /// `unexpected "}" at 1:17, expected label matcher`
    public var description: String {
        var s = message
        if let p = position { s += " at \(p)" }
        if let e = expected { s += ", expected \(e)" }
        return s
    }
}
