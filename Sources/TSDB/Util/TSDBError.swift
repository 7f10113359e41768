/// The one error type of the storage engine: a code to branch on, a message a
/// person can act on, and where known the place (file and byte offset).
public struct TSDBError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What kind of failure this is.
    public enum Code: String, Sendable, Equatable {
        case invalidLabels
        case outOfOrderSample
        case duplicateSample
        case outOfBounds
        case unknownSeriesRef
        case corruption
        case io
        case locked
        case invalidArgument
        case closed
        case invalidMatcher
    }

    public var code: Code
    public var message: String
    /// File path the error refers to, if any.
    public var file: String?
    /// Byte offset inside `file`, if known.
    public var offset: Int?

    public init(_ code: Code, _ message: String, file: String? = nil, offset: Int? = nil) {
        self.code = code
        self.message = message
        self.file = file
        self.offset = offset
    }

    public var description: String {
        var place = ""
        if let file {
            place = file
            if let offset { place += " at byte \(offset)" }
            place += ": "
        }
        return place + message
    }
}
