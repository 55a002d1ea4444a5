#!/usr/bin/env bash
# Regenerates Sources/NASExport/Generated/onnx.pb.swift from ONNX's onnx.proto (the schema of
# .onnx files) with protoc (Debian's protobuf-compiler) and swift-protobuf's protoc-gen-swift,
# and records the .proto's SHA-256 beside it. Run once when moving to a new ONNX release; CI
# never rebuilds the plugin, it checks the recorded hash (scripts/check-onnx-proto.sh).
#   ONNX_PROTO=path/to/onnx.proto PROTOC_GEN_SWIFT=path/to/protoc-gen-swift scripts/generate-onnx-proto.sh
# Defaults: onnx.proto from the PyPI onnx package (`pip install onnx`), the plugin built from
# the swift-protobuf version Package.swift names (`swift build -c release --product protoc-gen-swift`
# in a checkout of it, about 1.5-10 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
proto=${ONNX_PROTO:-$(python3 -c 'import onnx, os; print(os.path.join(os.path.dirname(onnx.__file__), "onnx.proto"))')}
plugin=${PROTOC_GEN_SWIFT:?set PROTOC_GEN_SWIFT to a protoc-gen-swift binary}
out=Sources/NASExport/Generated
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$proto" "$work/onnx.proto"
protoc --plugin=protoc-gen-swift="$plugin" --proto_path="$work" --swift_out="$work" --swift_opt=Visibility=Public "$work/onnx.proto"
cp "$work/onnx.pb.swift" "$out/onnx.pb.swift"
version=$(python3 -c 'import onnx; print(onnx.__version__)' 2>/dev/null || echo unknown)
printf '%s  onnx.proto (onnx %s)\n%s  onnx.pb.swift\n' "$(sha256sum "$proto" | cut -d' ' -f1)" "$version" \
  "$(sha256sum "$out/onnx.pb.swift" | cut -d' ' -f1)" > "$out/SHA256SUMS"
echo "wrote $out/onnx.pb.swift and $out/SHA256SUMS"
