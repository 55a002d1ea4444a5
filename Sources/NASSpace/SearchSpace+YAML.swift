import Foundation
import NASEngine
import Yams

extension SearchSpace {
    /// Reads and validates a search-space YAML file.
    public static func load(file path: String) throws -> SearchSpace {
        guard FileManager.default.fileExists(atPath: path) else {
            throw SpaceError(file: path, field: "", problem: "no such file (pass --space FILE, e.g. Configs/mnasnet.yaml)")
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw SpaceError(file: path, field: "", problem: "cannot read the file as UTF-8 text")
        }
        return try parse(yaml: text, source: path)
    }

    /// Parses and validates search-space YAML. Every error names the file, the field and what
    /// is allowed.
    public static func parse(yaml text: String, source: String = "<text>") throws -> SearchSpace {
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw SpaceError(file: source, field: "", problem: "the file is empty; expected a mapping with 'name' and 'kind'")
            }
            root = node
        } catch let error as SpaceError {
            throw error
        } catch {
            throw SpaceError(file: source, field: "", problem: "not valid YAML: \(error)")
        }
        let reader = YAMLReader(source: source)
        let top = try reader.mapping(root, "")
        try reader.onlyKeys(top, "", allowed: ["name", "kind", "input", "classes", "activation", "stem", "head", "choices", "blocks", "decisions", "proxy", "training"])
        let name = try reader.string(reader.required(top, "name", in: ""), "name")
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else {
            throw reader.error(top["name"], "name", "must be a non-empty identifier (letters, digits, '-', '_')")
        }
        let kind = try reader.string(reader.required(top, "kind", in: ""), "kind")
        switch kind {
        case "network":
            let network = try parseNetwork(top, reader)
            var space = SearchSpace(name: name, kind: .network(network), decisions: network.decisions, source: source)
            if let proxy = top["proxy"] { space.proxy = try parseProxy(reader.mapping(proxy, "proxy"), reader) }
            return space
        case "categorical", "decisions":
            let decisionsNode = try reader.mapping(reader.required(top, "decisions", in: ""), "decisions")
            var decisions: [Decision] = []
            for (keyNode, valueNode) in decisionsNode {
                let key = try reader.string(keyNode, "decisions")
                let field = "decisions.\(key)"
                guard !decisions.contains(where: { $0.name == key }) else { throw reader.error(keyNode, field, "appears twice; every decision needs its own name") }
                decisions.append(try parseDecision(key, valueNode, field, reader))
            }
            guard !decisions.isEmpty else { throw reader.error(top["decisions"], "decisions", "needs at least one decision") }
            var space = SearchSpace(name: name, kind: .categorical, decisions: decisions, source: source)
            if let node = top["training"] {
                space.training = try parseTraining(reader.mapping(node, "training"), reader)
                for ((keyNode, _), decision) in zip(decisionsNode, decisions) {
                    guard let parameter = TrainingHyperParameter(rawValue: decision.name) else {
                        throw reader.error(keyNode, "decisions.\(decision.name)", "is not a training setting; a training space's decisions are \(TrainingHyperParameter.allCases.map(\.rawValue).joined(separator: ", "))")
                    }
                    if let problem = parameter.problem(decision) { throw reader.error(keyNode, "decisions.\(decision.name)", problem) }
                }
            }
            return space
        default:
            throw reader.error(top["kind"], "kind", "is '\(kind)'; allowed: network, decisions (or its older name, categorical)")
        }
    }

    /// One entry of a decision-only space's `decisions:` mapping:
    /// - `name: [a, b, c]` or `{categorical: [a, b, c]}`: one of a list;
    /// - `{ordinal: [8, 16, 32]}`: one of an increasing list of numbers;
    /// - `{int: [low, high]}` or `{float: [low, high]}`, with optional `step: S` and `log: true`;
    /// - `{log: [low, high]}`: a log-uniform float (`{float: [low, high], log: true}`).
    private static func parseDecision(_ name: String, _ node: Node, _ field: String, _ r: YAMLReader) throws -> Decision {
        func list(_ node: Node, _ field: String) throws -> [String] {
            let choices = try r.sequence(node, field).map { try r.string($0, field) }
            guard !choices.isEmpty else { throw r.error(node, field, "needs at least one choice") }
            guard Set(choices).count == choices.count else { throw r.error(node, field, "has a repeated choice") }
            return choices
        }
        if node.sequence != nil { return Decision(name: name, choices: try list(node, field)) }
        let m = try r.mapping(node, field)
        // `log` names a kind when it holds the range ({log: [low, high]}), else it is the flag.
        var kinds = ["categorical", "ordinal", "int", "float"].filter { m[$0] != nil }
        if kinds.isEmpty, m["log"]?.sequence != nil { kinds = ["log"] }
        guard kinds.count == 1, let kind = kinds.first else {
            throw r.error(node, field, kinds.isEmpty
                ? "must be a list of choices or a mapping with one of categorical, ordinal, int, float, log (e.g. {int: [16, 512]}, {log: [0.0001, 0.1]})"
                : "gives both \(kinds.joined(separator: " and ")); give one kind")
        }
        let kindField = "\(field).\(kind)"
        switch kind {
        case "categorical":
            try r.onlyKeys(m, field, allowed: ["categorical"])
            return Decision(name: name, choices: try list(m[kind]!, kindField))
        case "ordinal":
            try r.onlyKeys(m, field, allowed: ["ordinal"])
            let items = try r.sequence(m[kind]!, kindField)
            guard !items.isEmpty else { throw r.error(m[kind]!, kindField, "needs at least one value") }
            let values = try items.map { item -> Double in
                guard let v = item.float, v.isFinite else { throw r.error(item, kindField, "'\(item.string ?? "?")' must be a number (use categorical for text)") }
                return v
            }
            if let i = values.indices.dropFirst().first(where: { values[$0] <= values[$0 - 1] }) {
                throw r.error(items[i], kindField, "values must increase; \(NumericBounds.text(values[i])) follows \(NumericBounds.text(values[i - 1]))")
            }
            return Decision(name: name, ordinal: values)
        default:
            try r.onlyKeys(m, field, allowed: kind == "log" ? ["log"] : [kind, "step", "log"])
            let pair = try r.sequence(m[kind]!, kindField)
            guard pair.count == 2 else { throw r.error(m[kind]!, kindField, "must be [low, high]") }
            let integer = kind == "int"
            let ends = try pair.map { item -> Double in
                guard let v = item.float else { throw r.error(item, kindField, "'\(item.string ?? "?")' must be a number") }
                return v
            }
            var step: Double?
            if let s = m["step"] {
                guard let v = s.float else { throw r.error(s, "\(field).step", "'\(s.string ?? "?")' must be a number") }
                step = v
            }
            var log = kind == "log"
            if kind != "log", let l = m["log"] {
                guard let v = l.bool else { throw r.error(l, "\(field).log", "'\(l.string ?? "?")' must be true or false") }
                log = v
            }
            let bounds = NumericBounds(low: ends[0], high: ends[1], step: step, log: log)
            if let problem = bounds.problem(integer: integer) {
                let at = problem.contains("step") && m["step"] != nil ? m["step"]! : m[kind]!
                throw r.error(at, problem.contains("step") && m["step"] != nil ? "\(field).step" : kindField, problem)
            }
            return Decision(name: name, kind: integer ? .int : .float, bounds: bounds)
        }
    }

    /// `training: {space: FILE, arch: FILE}`, paths relative to the space file's folder.
    private static func parseTraining(_ m: Node.Mapping, _ r: YAMLReader) throws -> TrainingTarget {
        try r.onlyKeys(m, "training", allowed: ["space", "arch"])
        let folder = (r.source as NSString).deletingLastPathComponent
        let space = try r.string(r.required(m, "space", in: "training"), "training.space")
        let arch = try r.string(r.required(m, "arch", in: "training"), "training.arch")
        func resolved(_ text: String) -> String {
            text.hasPrefix("/") || folder.isEmpty || r.source.hasPrefix("<") ? text : (folder as NSString).appendingPathComponent(text)
        }
        return TrainingTarget(spaceFile: resolved(space), archFile: resolved(arch), written: "space=\(space) arch=\(arch)")
    }

    private static func parseNetwork(_ top: Node.Mapping, _ r: YAMLReader) throws -> NetworkSpace {
        let input = try r.mapping(r.required(top, "input", in: ""), "input")
        try r.onlyKeys(input, "input", allowed: ["resolution", "channels"])
        let resolution = try r.int(r.required(input, "resolution", in: "input"), "input.resolution", in: NetworkSpace.Limits.resolution)
        let channels = try r.int(r.required(input, "channels", in: "input"), "input.channels", in: NetworkSpace.Limits.channels)
        let classes = try r.int(r.required(top, "classes", in: ""), "classes", in: NetworkSpace.Limits.classes)
        let activationText = try top["activation"].map { try r.string($0, "activation") } ?? "relu6"
        guard let activation = Activation(rawValue: activationText), activation != .sigmoid else {
            throw r.error(top["activation"], "activation", "is '\(activationText)'; allowed: none, relu, relu6, hswish")
        }
        let stem = try r.mapping(r.required(top, "stem", in: ""), "stem")
        try r.onlyKeys(stem, "stem", allowed: ["filters", "kernel", "stride"])
        let stemFilters = try r.int(r.required(stem, "filters", in: "stem"), "stem.filters", in: NetworkSpace.Limits.filters)
        let stemKernel = try stem["kernel"].map { try r.int($0, "stem.kernel", allowed: [1, 3, 5, 7]) } ?? 3
        let stemStride = try stem["stride"].map { try r.int($0, "stem.stride", allowed: [1, 2]) } ?? 2
        let head = try r.mapping(r.required(top, "head", in: ""), "head")
        try r.onlyKeys(head, "head", allowed: ["filters"])
        let headFilters = try r.int(r.required(head, "filters", in: "head"), "head.filters", in: NetworkSpace.Limits.filters)

        let defaults = try top["choices"].map { try parseChoices(r.mapping($0, "choices"), "choices", base: nil, r) }
        let blocksNode = try r.sequence(r.required(top, "blocks", in: ""), "blocks")
        guard !blocksNode.isEmpty else { throw r.error(top["blocks"], "blocks", "needs at least one block") }
        guard blocksNode.count <= NetworkSpace.Limits.blocks else {
            throw r.error(top["blocks"], "blocks", "has \(blocksNode.count) blocks; at most \(NetworkSpace.Limits.blocks)")
        }
        var blocks: [BlockDefinition] = []
        for (i, node) in blocksNode.enumerated() {
            let field = "blocks[\(i)]"
            let block = try r.mapping(node, field)
            try r.onlyKeys(block, field, allowed: ["filters", "layers", "stride", "choices"])
            let filters = try r.int(r.required(block, "filters", in: field), field + ".filters", in: NetworkSpace.Limits.filters)
            let layers = try r.int(r.required(block, "layers", in: field), field + ".layers", in: NetworkSpace.Limits.layers)
            let stride = try r.int(r.required(block, "stride", in: field), field + ".stride", allowed: [1, 2])
            let choices = try block["choices"].map { try parseChoices(r.mapping($0, field + ".choices"), field + ".choices", base: defaults, r) } ?? defaults
            guard let choices else {
                throw r.error(node, field + ".choices", "missing: give 'choices' at the top level or in every block")
            }
            if let delta = choices.layerDeltas.first(where: { layers + $0 < 1 }) {
                throw r.error(node, field + ".layers", "base \(layers) with layer choice \(delta) leaves \(layers + delta) layers; every block needs at least 1 (use a layer choice of at least \(1 - layers))")
            }
            if let delta = choices.layerDeltas.first(where: { layers + $0 > NetworkSpace.Limits.layers.upperBound }) {
                throw r.error(node, field + ".layers", "base \(layers) with layer choice +\(delta) gives \(layers + delta) layers; at most \(NetworkSpace.Limits.layers.upperBound) per block")
            }
            blocks.append(BlockDefinition(filters: filters, layers: layers, stride: stride, choices: choices))
        }
        let space = NetworkSpace(resolution: resolution, inputChannels: channels, classes: classes, activation: activation,
                                 stemFilters: stemFilters, stemKernel: stemKernel, stemStride: stemStride,
                                 headFilters: headFilters, blocks: blocks)
        guard resolution >= space.minimumResolution else {
            throw r.error(input["resolution"], "input.resolution", "\(resolution) is too small: the \(space.strideTwoLayers) stride-2 layers need at least \(space.minimumResolution)x\(space.minimumResolution)")
        }
        return space
    }

    private static func parseProxy(_ m: Node.Mapping, _ r: YAMLReader) throws -> ProxyBudget {
        try r.onlyKeys(m, "proxy", allowed: Set(ProxyBudget.Field.allCases.map(\.rawValue) + ["geometry"]))
        var budget = ProxyBudget()
        if let node = m["geometry"] {
            let text = try r.string(node, "proxy.geometry")
            guard let geometry = ProxyGeometry(rawValue: text) else {
                throw r.error(node, "proxy.geometry", "is '\(text)'; allowed: \(ProxyGeometry.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            budget.geometry = geometry
        }
        for field in ProxyBudget.Field.allCases {
            guard let node = m[field.rawValue] else { continue }  // (geometry is read above)
            guard let value = node.float, field.isInteger ? value == value.rounded() : true else {
                throw r.error(node, "proxy.\(field.rawValue)", "'\(node.string ?? "?")' must be \(field.isInteger ? "an integer" : "a number"); allowed: \(field.allowed)")
            }
            budget[field] = value
            if let problem = budget.problem(field) { throw r.error(node, "proxy.\(field.rawValue)", problem) }
        }
        return budget
    }

    private static func parseChoices(_ m: Node.Mapping, _ field: String, base: BlockChoices?, _ r: YAMLReader) throws -> BlockChoices {
        try r.onlyKeys(m, field, allowed: ["op", "kernel", "se", "skip", "width", "layers"])
        func list<T: Hashable>(_ key: String, _ fallback: [T]?, _ parse: (Node, String) throws -> T) throws -> [T] {
            guard let node = m[key] else {
                if let fallback { return fallback }
                throw r.error(nil, "\(field).\(key)", "missing choice list")
            }
            let values = try r.sequence(node, "\(field).\(key)").map { try parse($0, "\(field).\(key)") }
            guard !values.isEmpty else { throw r.error(node, "\(field).\(key)", "is empty; give at least one choice") }
            guard Set(values).count == values.count else { throw r.error(node, "\(field).\(key)", "has a repeated choice") }
            return values
        }
        return BlockChoices(
            ops: try list("op", base?.ops) { node, f in
                let text = try r.string(node, f)
                guard let op = ConvOp(rawValue: text) else {
                    throw r.error(node, f, "unknown op '\(text)'; allowed: \(ConvOp.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                return op
            },
            kernels: try list("kernel", base?.kernels) { node, f in try r.int(node, f, allowed: [3, 5, 7]) },
            seRatios: try list("se", base?.seRatios) { node, f in
                guard let v = node.float, v >= 0, v < 1 else { throw r.error(node, f, "'\(node.string ?? "?")' must be a ratio in [0, 1)") }
                return v
            },
            skips: try list("skip", base?.skips) { node, f in
                switch try r.string(node, f) {
                case "identity": return true
                case "none": return false
                case let other: throw r.error(node, f, "'\(other)' is not a skip; allowed: identity, none")
                }
            },
            widths: try list("width", base?.widths) { node, f in
                guard let v = node.float, v > 0, v <= 4 else { throw r.error(node, f, "'\(node.string ?? "?")' must be a width multiplier in (0, 4]") }
                return v
            },
            layerDeltas: try list("layers", base?.layerDeltas) { node, f in try r.int(node, f, in: -NetworkSpace.Limits.layers.upperBound...NetworkSpace.Limits.layers.upperBound) })
    }
}

/// Typed access to a YAML tree that turns every mismatch into a `SpaceError` with the field
/// path and the line:column of the offending node.
struct YAMLReader {
    let source: String

    func error(_ node: Node?, _ field: String, _ problem: String) -> SpaceError {
        SpaceError(file: source, field: field, problem: problem, location: node?.mark.map { "\($0.line):\($0.column)" })
    }

    func mapping(_ node: Node, _ field: String) throws -> Node.Mapping {
        guard let m = node.mapping else { throw error(node, field, "must be a mapping (key: value lines)") }
        return m
    }

    func sequence(_ node: Node, _ field: String) throws -> [Node] {
        guard let s = node.sequence else { throw error(node, field, "must be a list, e.g. [a, b]") }
        return Array(s)
    }

    func string(_ node: Node, _ field: String) throws -> String {
        guard let s = node.scalar?.string else { throw error(node, field, "must be a single value") }
        return s
    }

    func required(_ m: Node.Mapping, _ key: String, in parent: String) throws -> Node {
        guard let node = m[key] else {
            throw SpaceError(file: source, field: parent.isEmpty ? key : "\(parent).\(key)", problem: "missing",
                             location: m.mark.map { "\($0.line):\($0.column)" })
        }
        return node
    }

    func int(_ node: Node, _ field: String, in range: ClosedRange<Int>) throws -> Int {
        guard let v = node.int else { throw error(node, field, "'\(node.string ?? "?")' must be an integer") }
        guard range.contains(v) else { throw error(node, field, "is \(v); allowed: \(range.lowerBound) to \(range.upperBound)") }
        return v
    }

    func int(_ node: Node, _ field: String, allowed: [Int]) throws -> Int {
        guard let v = node.int, allowed.contains(v) else {
            throw error(node, field, "'\(node.string ?? "?")' is not allowed; allowed: \(allowed.map(String.init).joined(separator: ", "))")
        }
        return v
    }

    func onlyKeys(_ m: Node.Mapping, _ field: String, allowed: Set<String>) throws {
        for (key, _) in m {
            let name = key.string ?? "?"
            if !allowed.contains(name) {
                throw error(key, field.isEmpty ? name : "\(field).\(name)", "unknown field; allowed here: \(allowed.sorted().joined(separator: ", "))")
            }
        }
    }
}
