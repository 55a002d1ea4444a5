import NASEngine
import NASSpace

extension LatencyTable {
    /// `network` (built from `layers`) prepared to run as this table measured it: on XNNPACK
    /// for an XNNPACK table, else on the engine with the table's kernel family and each layer's
    /// GEMM backend, at `threads`.
    public func runner(for network: Network, layers: [BuiltLayer], threads: Int) throws -> any NetworkRunner {
        switch backend {
        case .xnnpack:
            return try XNNPACKExecutor(network: network, threads: threads)
        case .nasctl:
            return NetworkExecutor(network: network, context: ExecutionContext(threads: threads, gemm: defaultBackend, family: family),
                                   layerBackends: backends(for: layers))
        }
    }
}
