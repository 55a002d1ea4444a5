/// The engine's compute kernels: free functions over raw NHWC float32 buffers.
///
/// Callers own the memory; kernels check shapes with `precondition` and never allocate,
/// except where a doc comment says so. Each kernel has a plain reference implementation in
/// the tests that it is checked against.
public enum Kernels {
    /// Lanes per vector in the engine's hand-written loops (one AVX-512 register, four NEON).
    @usableFromInline static let lanes = 16
}
