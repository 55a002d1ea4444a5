import Foundation
@testable import NASExport

/// A plain NCHW interpreter for the ONNX operators the exporter writes, written from the ONNX
/// operator definitions (not from the exporter or the engine): the reference an exported
/// graph is checked against. Slow and simple on purpose.
struct ONNXInterpreter {
    struct Value { var dims: [Int]; var data: [Float] }

    enum Failure: Error { case unsupported(String), missing(String) }

    let graph: Onnx_GraphProto

    func run(input: Value) throws -> Value {
        var values: [String: Value] = [:]
        for t in graph.initializer {
            let floats = t.rawData.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            values[t.name] = Value(dims: t.dims.map(Int.init), data: floats)
        }
        values[graph.input[0].name] = input
        for node in graph.node {
            let inputs = try node.input.map { name -> Value in
                guard let v = values[name] else { throw Failure.missing(name) }
                return v
            }
            values[node.output[0]] = try apply(node, inputs)
        }
        guard let out = values[graph.output[0].name] else { throw Failure.missing(graph.output[0].name) }
        return out
    }

    func ints(_ node: Onnx_NodeProto, _ name: String) -> [Int]? {
        node.attribute.first { $0.name == name }.map { $0.ints.map(Int.init) }
    }

    func int(_ node: Onnx_NodeProto, _ name: String) -> Int? {
        node.attribute.first { $0.name == name }.map { Int($0.i) }
    }

    /// NumPy broadcasting of two values of the same rank (or a scalar).
    func broadcast(_ a: Value, _ b: Value, _ f: (Float, Float) -> Float) -> Value {
        let rank = max(a.dims.count, b.dims.count)
        let da = Array(repeating: 1, count: rank - a.dims.count) + a.dims
        let db = Array(repeating: 1, count: rank - b.dims.count) + b.dims
        let dims = zip(da, db).map { max($0, $1) }
        let count = dims.reduce(1, *)
        var out = [Float](repeating: 0, count: count)
        for i in 0..<count {
            var rest = i, ia = 0, ib = 0, sa = 1, sb = 1
            for axis in (0..<rank).reversed() {
                let coordinate = rest % dims[axis]
                rest /= dims[axis]
                ia += (da[axis] == 1 ? 0 : coordinate) * sa
                ib += (db[axis] == 1 ? 0 : coordinate) * sb
                sa *= da[axis]; sb *= db[axis]
            }
            out[i] = f(a.data[ia], b.data[ib])
        }
        return Value(dims: dims, data: out)
    }

    func apply(_ node: Onnx_NodeProto, _ x: [Value]) throws -> Value {
        switch node.opType {
        case "Sub": return broadcast(x[0], x[1], -)
        case "Div": return broadcast(x[0], x[1], /)
        case "Add": return broadcast(x[0], x[1], +)
        case "Mul": return broadcast(x[0], x[1], *)
        case "Relu": return Value(dims: x[0].dims, data: x[0].data.map { max($0, 0) })
        case "Clip": return Value(dims: x[0].dims, data: x[0].data.map { min(max($0, x[1].data[0]), x[2].data[0]) })
        case "Sigmoid": return Value(dims: x[0].dims, data: x[0].data.map { 1 / (1 + exp(-$0)) })
        case "HardSwish": return Value(dims: x[0].dims, data: x[0].data.map { $0 * max(0, min(1, $0 / 6 + 0.5)) })
        case "GlobalAveragePool":
            let (n, c, h, w) = (x[0].dims[0], x[0].dims[1], x[0].dims[2], x[0].dims[3])
            var out = [Float](repeating: 0, count: n * c)
            for i in 0..<(n * c) { out[i] = x[0].data[(i * h * w)..<((i + 1) * h * w)].reduce(0, +) / Float(h * w) }
            return Value(dims: [n, c, 1, 1], data: out)
        case "Conv": return conv(node, x[0], x[1], x[2])
        case "AveragePool", "MaxPool": return pool(node, x[0], max: node.opType == "MaxPool")
        case "Transpose":
            let perm = ints(node, "perm")!
            let dims = perm.map { x[0].dims[$0] }
            var out = [Float](repeating: 0, count: x[0].data.count)
            let inStrides = strides(x[0].dims)
            for i in out.indices {
                var rest = i, source = 0
                for axis in (0..<dims.count).reversed() {
                    source += (rest % dims[axis]) * inStrides[perm[axis]]
                    rest /= dims[axis]
                }
                out[i] = x[0].data[source]
            }
            return Value(dims: dims, data: out)
        case "Flatten":
            return Value(dims: [x[0].dims[0], x[0].dims.dropFirst().reduce(1, *)], data: x[0].data)
        case "Gemm":
            let (m, k, n) = (x[0].dims[0], x[0].dims[1], x[1].dims[1])
            var out = [Float](repeating: 0, count: m * n)
            for r in 0..<m { for j in 0..<n {
                var acc = Double(x[2].data[j])
                for q in 0..<k { acc += Double(x[0].data[r * k + q]) * Double(x[1].data[q * n + j]) }
                out[r * n + j] = Float(acc)
            } }
            return Value(dims: [m, n], data: out)
        default:
            throw Failure.unsupported(node.opType)
        }
    }

    func strides(_ dims: [Int]) -> [Int] {
        var s = Array(repeating: 1, count: dims.count)
        for i in stride(from: dims.count - 2, through: 0, by: -1) { s[i] = s[i + 1] * dims[i + 1] }
        return s
    }

    /// Grouped 2-D convolution, explicit pads, in Double.
    func conv(_ node: Onnx_NodeProto, _ x: Value, _ w: Value, _ b: Value) -> Value {
        let (n, cin, h, wd) = (x.dims[0], x.dims[1], x.dims[2], x.dims[3])
        let (cout, cpg, kh, kw) = (w.dims[0], w.dims[1], w.dims[2], w.dims[3])
        let s = ints(node, "strides")!, p = ints(node, "pads")!, groups = int(node, "group") ?? 1
        let oh = (h + p[0] + p[2] - kh) / s[0] + 1, ow = (wd + p[1] + p[3] - kw) / s[1] + 1
        let outPerGroup = cout / groups
        var out = [Float](repeating: 0, count: n * cout * oh * ow)
        for b0 in 0..<n { for o in 0..<cout { for y in 0..<oh { for xx in 0..<ow {
            var acc = Double(b.data[o])
            let g = o / outPerGroup
            for ci in 0..<cpg { for i in 0..<kh { for j in 0..<kw {
                let iy = y * s[0] - p[0] + i, ix = xx * s[1] - p[1] + j
                guard iy >= 0 && iy < h && ix >= 0 && ix < wd else { continue }
                let c = g * cpg + ci
                acc += Double(x.data[((b0 * cin + c) * h + iy) * wd + ix]) * Double(w.data[((o * cpg + ci) * kh + i) * kw + j])
            } } }
            out[((b0 * cout + o) * oh + y) * ow + xx] = Float(acc)
        } } } }
        return Value(dims: [n, cout, oh, ow], data: out)
    }

    /// Average (padding excluded when `count_include_pad` is 0) or max pooling.
    func pool(_ node: Onnx_NodeProto, _ x: Value, max isMax: Bool) -> Value {
        let (n, c, h, w) = (x.dims[0], x.dims[1], x.dims[2], x.dims[3])
        let k = ints(node, "kernel_shape")!, s = ints(node, "strides")!, p = ints(node, "pads")!
        let oh = (h + p[0] + p[2] - k[0]) / s[0] + 1, ow = (w + p[1] + p[3] - k[1]) / s[1] + 1
        var out = [Float](repeating: 0, count: n * c * oh * ow)
        for plane in 0..<(n * c) { for y in 0..<oh { for xx in 0..<ow {
            var acc: Float = isMax ? -.infinity : 0, count = 0
            for i in 0..<k[0] { for j in 0..<k[1] {
                let iy = y * s[0] - p[0] + i, ix = xx * s[1] - p[1] + j
                guard iy >= 0 && iy < h && ix >= 0 && ix < w else { continue }
                let v = x.data[(plane * h + iy) * w + ix]
                acc = isMax ? Swift.max(acc, v) : acc + v
                count += 1
            } }
            out[(plane * oh + y) * ow + xx] = isMax ? acc : acc / Float(count)
        } } }
        return Value(dims: [n, c, oh, ow], data: out)
    }
}
