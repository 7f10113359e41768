/// The type an expression evaluates to.
public enum ValueType: String, Sendable {
    case scalar
    case vector = "instant vector"
    case matrix = "range vector"
    case string
}
