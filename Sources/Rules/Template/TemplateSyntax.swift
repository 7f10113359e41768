/// The syntax tree of an alert template: Go's text/template language as
/// Prometheus users write it in annotations and labels (`{{ $labels.x }}`,
/// pipelines with `|`, `if`/`else if`/`else`/`end`, `range`, `with`,
/// variables, parentheses, string and number literals).
indirect enum TemplateNode: Sendable {
    case text(String)
    case action(TemplatePipeline)
    case conditional(TemplatePipeline, then: [TemplateNode], else: [TemplateNode])
    case loop(TemplatePipeline, keyVariable: String?, valueVariable: String?, body: [TemplateNode], else: [TemplateNode])
    case with(TemplatePipeline, body: [TemplateNode], else: [TemplateNode])
}

/// `$x := cmd1 arg | cmd2 arg …`: each command's result is the last argument of the next.
struct TemplatePipeline: Sendable {
    var declarations: [String] = []
    var assigns = false  // `=` rather than `:=`
    var commands: [[TemplateArgument]]
}

indirect enum TemplateArgument: Sendable {
    case string(String)
    case number(Double)
    case bool(Bool)
    case null
    /// `$name.field.field` (`$` alone is the data root).
    case variable(String, fields: [String])
    /// `.field.field` on the current dot (`.` alone: the dot).
    case field([String])
    /// A function name.
    case function(String)
    case pipeline(TemplatePipeline)
}

/// A template that cannot be parsed or evaluated: where and why.
public struct TemplateError: Error, Sendable, CustomStringConvertible, Equatable {
    public var message: String
    public var description: String { message }
    init(_ message: String) { self.message = message }
}
