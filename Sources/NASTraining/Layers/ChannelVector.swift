/// A run of `width` adjacent channels loaded into registers: `SIMD16<Float>`, `SIMD8<Float>`
/// or a single `Float` for the channels left over.
protocol ChannelVector {
    static var width: Int { get }
    static func load(_ p: UnsafePointer<Float>) -> Self
    func store(_ p: UnsafeMutablePointer<Float>)
    static func + (a: Self, b: Self) -> Self
    static func * (a: Self, b: Self) -> Self
}

extension SIMD16: ChannelVector where Scalar == Float {
    static var width: Int { 16 }
    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Self { UnsafeRawPointer(p).loadUnaligned(as: Self.self) }
    @inline(__always) func store(_ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: self, as: Self.self) }
}

extension SIMD8: ChannelVector where Scalar == Float {
    static var width: Int { 8 }
    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Self { UnsafeRawPointer(p).loadUnaligned(as: Self.self) }
    @inline(__always) func store(_ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: self, as: Self.self) }
}

extension Float: ChannelVector {
    static var width: Int { 1 }
    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Float { p.pointee }
    @inline(__always) func store(_ p: UnsafeMutablePointer<Float>) { p.pointee = self }
}
