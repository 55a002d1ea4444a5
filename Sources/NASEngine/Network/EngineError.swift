/// Errors the engine reports for user-supplied descriptions (never for internal misuse, which
/// traps with a precondition).
public enum EngineError: Error, CustomStringConvertible, Equatable {
    case badLayerSpec(String, String)
    case shapeMismatch(layer: Int, summary: String, detail: String)
    case resolutionTooSmall(resolution: Int, minimum: Int, model: String)
    case unknownModel(String, known: [String])
    case badWidth(Double)
    case unsupportedLayer(layer: Int, summary: String, backend: String)

    public var description: String {
        switch self {
        case let .badLayerSpec(text, why): return "layer spec '\(text)': \(why)"
        case let .shapeMismatch(layer, summary, detail): return "layer \(layer) (\(summary)): \(detail)"
        case let .resolutionTooSmall(r, minimum, model):
            return "resolution \(r) is too small for \(model): its strides need at least \(minimum)x\(minimum) (use --resolution \(minimum) or more)"
        case let .unknownModel(name, known): return "unknown model '\(name)' (known: \(known.joined(separator: ", ")))"
        case let .badWidth(w): return "width multiplier \(w) must be in (0, 4]"
        case let .unsupportedLayer(layer, summary, backend): return "layer \(layer) (\(summary)) has no \(backend) implementation"
        }
    }
}
