#!/usr/bin/env python3
"""Proof that `nasctl export` writes the model nasctl trained: ONNX Runtime runs the exported
model on the test set and its predictions are compared with nasctl's image by image.

  python3 Benchmarks/onnx_roundtrip.py --arch A.json --weights A.weights [--data DIR] [--out runs/onnx-roundtrip]

1. `nasctl export --arch A --weights W --output OUT/model.onnx`; onnx.checker validates it.
2. `nasctl classify ... --output OUT/nasctl.f32`: nasctl's logits on every test image.
3. ONNX Runtime (1 thread) on the same images as raw [0, 1] pixels, NCHW (the graph normalises).
4. Prints both test accuracies, the share of images where the top-1 class agrees, the largest
   and the median absolute logit difference, and how many disagreements are near-ties (the
   two best logits within 1e-4 in nasctl).

Needs `pip install onnx onnxruntime` (benchmark only) and a release build. NASCTL names
another binary.
"""
import argparse
import gzip
import json
import os
import struct
import subprocess
import sys

import numpy as np
import onnx
import onnxruntime as ort

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NASCTL = os.environ.get("NASCTL", os.path.join(ROOT, ".build/release/nasctl"))


def read_idx(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = struct.unpack(">" + "I" * dims, data[4:4 + 4 * dims])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def idx_test_set(directory):
    def find(stem):
        for name in (stem, stem + ".gz"):
            if os.path.exists(os.path.join(directory, name)):
                return os.path.join(directory, name)
        sys.exit(f"{directory}: no {stem}[.gz] (this script reads IDX test sets)")
    images = read_idx(find("t10k-images-idx3-ubyte")).astype(np.float32) / 255
    labels = read_idx(find("t10k-labels-idx1-ubyte")).astype(np.int64)
    return images[:, None, :, :], labels  # NCHW, one channel


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--arch", required=True)
    ap.add_argument("--weights", required=True)
    ap.add_argument("--space", default=None)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--out", default="runs/onnx-roundtrip")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    model_path = os.path.join(args.out, "model.onnx")
    logits_path = os.path.join(args.out, "nasctl.f32")
    space = ["--space", args.space] if args.space else []
    subprocess.run([NASCTL, "export", "--arch", args.arch, "--weights", args.weights, "--output", model_path] + space, check=True)
    onnx.checker.check_model(onnx.load(model_path), full_check=True)
    report = json.loads(subprocess.run([NASCTL, "classify", "--arch", args.arch, "--weights", args.weights, "--data", args.data,
                                        "--output", logits_path, "--json"] + space, check=True, capture_output=True, text=True).stdout)
    ours = np.fromfile(logits_path, dtype="<f4").reshape(report["images"], report["classes"])

    images, labels = idx_test_set(args.data)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    session = ort.InferenceSession(model_path, opts, providers=["CPUExecutionProvider"])
    theirs = np.concatenate([session.run(None, {"input": images[i:i + 500]})[0] for i in range(0, len(images), 500)])

    top_ours, top_theirs = ours.argmax(1), theirs.argmax(1)
    diff = np.abs(ours - theirs)
    disagree = np.nonzero(top_ours != top_theirs)[0]
    sorted_ours = np.sort(ours, axis=1)
    near_ties = int(np.sum(sorted_ours[disagree, -1] - sorted_ours[disagree, -2] < 1e-4))
    print(f"onnxruntime {ort.__version__}, onnx {onnx.__version__}; {len(labels)} test images, {ours.shape[1]} classes")
    print(f"test accuracy: nasctl {np.mean(top_ours == labels):.4f} (classify reports {report['accuracy']:.4f}), "
          f"onnxruntime {np.mean(top_theirs == labels):.4f}")
    print(f"top-1 agreement {np.mean(top_ours == top_theirs) * 100:.2f}% ({len(disagree)} images differ, {near_ties} of them near-ties)")
    print(f"logit difference: max {diff.max():.3g}, median {np.median(diff):.3g}; images with every logit within 1e-4: "
          f"{np.mean(diff.max(1) <= 1e-4) * 100:.2f}%")


if __name__ == "__main__":
    main()
