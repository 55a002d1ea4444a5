// The kernels live in their own module, built with -Ounchecked (Package.swift); everything
// above the engine sees them through `import NASEngine`.
@_exported import NASKernels
