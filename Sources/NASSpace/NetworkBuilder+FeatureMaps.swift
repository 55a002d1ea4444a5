import NASEngine

/// The feature-map size each block of a built network produces: where a decision can still
/// matter (a 5x5 depthwise on a 1x1 map sees what a 3x3 sees).
public struct BlockFeatureMap: Hashable, Sendable, Encodable {
    /// `stem`, `block1` … `blockN`.
    public var block: String
    public var height: Int
    public var width: Int
}

extension NetworkBuilder {
    /// The output size of the stem and of each block's last layer, in network order.
    /// - Complexity: O(layers).
    public static func featureMaps(of layers: [BuiltLayer]) -> [BlockFeatureMap] {
        var maps: [BlockFeatureMap] = []
        for layer in layers {
            let block = String(layer.role.split(separator: ".").first ?? Substring(layer.role))
            guard block == "stem" || block.hasPrefix("block") else { continue }
            if maps.last?.block == block {
                maps[maps.count - 1].height = layer.output.h
                maps[maps.count - 1].width = layer.output.w
            } else {
                maps.append(BlockFeatureMap(block: block, height: layer.output.h, width: layer.output.w))
            }
        }
        return maps
    }
}
