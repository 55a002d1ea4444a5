#!/usr/bin/env bash
# Checks that the committed onnx.pb.swift is the one scripts/generate-onnx-proto.sh wrote (its
# SHA-256 in SHA256SUMS) and, when the PyPI onnx package is installed, that its onnx.proto is
# the one the code was generated from (else regenerate: scripts/generate-onnx-proto.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
sums=Sources/NASExport/Generated/SHA256SUMS
want_swift=$(sed -n 2p "$sums" | cut -d' ' -f1)
have_swift=$(sha256sum Sources/NASExport/Generated/onnx.pb.swift | cut -d' ' -f1)
[ "$want_swift" = "$have_swift" ] || { echo "onnx.pb.swift was edited by hand: regenerate it with scripts/generate-onnx-proto.sh" >&2; exit 1; }
if proto=$(python3 -c 'import onnx, os; print(os.path.join(os.path.dirname(onnx.__file__), "onnx.proto"))' 2>/dev/null); then
  want_proto=$(sed -n 1p "$sums" | cut -d' ' -f1)
  have_proto=$(sha256sum "$proto" | cut -d' ' -f1)
  if [ "$want_proto" != "$have_proto" ]; then
    echo "note: the installed onnx package's onnx.proto differs from the one onnx.pb.swift came from ($(sed -n 1p "$sums" | cut -d' ' -f3-)); regenerate when moving to it" >&2
  else
    echo "onnx.pb.swift: generated from the installed onnx package's onnx.proto"
  fi
else
  echo "onnx.pb.swift: matches SHA256SUMS (onnx not installed, .proto not compared)"
fi
