#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// `expf` from the C math library.
@inline(__always) package func cExpf(_ x: Float) -> Float { expf(x) }
