import NASEngine

/// Training-time augmentation of NHWC images: a random crop of the image padded by `padding`
/// pixels of zeros on every side (a shift of up to ±padding, after normalisation zero is the
/// mean) and, with `flip`, a horizontal flip half of the time. The draws of step s come from a
/// generator seeded by (seed, s), so a resumed run augments exactly as an uninterrupted one.
public struct Augmentation: Codable, Sendable, Equatable {
    public var padding: Int
    public var flip: Bool

    public init(padding: Int, flip: Bool = true) { self.padding = padding; self.flip = flip }

    /// The usual choice for a side: an eighth of it (4 pixels at 32), at least 1.
    public static func standard(side: Int) -> Augmentation { Augmentation(padding: max(1, side / 8)) }

    /// Augments the `count` images of `batch` (each `h·w·c` floats) in place for step `step`.
    /// O(count · h · w · c).
    func apply(_ batch: inout [Float], count: Int, height h: Int, width w: Int, channels c: Int, seed: UInt64, step: Int) {
        var rng = SplitMix64(seed: seed ^ (UInt64(step) &* 0xD1B5_4A32_D192_ED03) ^ 0xA5A5_A5A5)
        let size = h * w * c
        var source = [Float](repeating: 0, count: size)
        for image in 0..<count {
            let dy = Int(rng.next() % UInt64(2 * padding + 1)) - padding
            let dx = Int(rng.next() % UInt64(2 * padding + 1)) - padding
            let mirrored = flip && rng.next() & 1 == 1
            if dx == 0 && dy == 0 && !mirrored { continue }
            let base = image * size
            for i in 0..<size { source[i] = batch[base + i] }
            for y in 0..<h {
                let sy = y + dy
                for x in 0..<w {
                    let sx = (mirrored ? w - 1 - x : x) + dx
                    let target = base + (y * w + x) * c
                    if sy >= 0 && sy < h && sx >= 0 && sx < w {
                        let from = (sy * w + sx) * c
                        for ch in 0..<c { batch[target + ch] = source[from + ch] }
                    } else {
                        for ch in 0..<c { batch[target + ch] = 0 }
                    }
                }
            }
        }
    }
}
