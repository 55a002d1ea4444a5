#!/usr/bin/env python3
"""nasctl's engine against ONNX Runtime on this machine, interleaved in one run.

  python3 Benchmarks/compare_ort.py [--threads 1] [--rounds 5] [--runs 50] [--skip-layers] [--skip-gemm]
      [--family auto|avx512|avx2|neon] [--backend nasctl|xnnpack]

--family picks nasctl's microkernel family (`--kernel-family`), --backend runs nasctl's
networks and layers on XNNPACK instead of its own kernels. NASCTL and KERNEL_BENCH name other
binaries (default .build/release/). With OPENBLAS_CORETYPE=Haswell the OpenBLAS yardstick runs
its AVX2 kernels, as on an AVX2-only CPU.

Needs `pip install onnx onnxruntime` and a release build (`swift build -c release`).
Prints MobileNetV2-1.0 224 medians and ratio, per-layer-kind ratios, and pointwise GFLOP/s
against OpenBLAS sgemm at the same M, N, K. Medians over rounds; each round runs nasctl
then ONNX Runtime back to back so machine noise hits both alike.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import numpy as np
import onnxruntime as ort

sys.path.insert(0, os.path.dirname(__file__))
from onnx_layers import build_model  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NASCTL = os.environ.get("NASCTL", os.path.join(ROOT, ".build/release/nasctl"))
BENCH = os.environ.get("KERNEL_BENCH", os.path.join(ROOT, ".build/release/kernel-bench"))

LAYERS = [  # (label, spec, input height/width)
    ("pointwise 16->96 @112", "op=conv,cin=16,cout=96,k=1,s=1,act=relu6", 112),
    ("pointwise 24->144 @56", "op=conv,cin=24,cout=144,k=1,s=1,act=relu6", 56),
    ("pointwise 144->24 @56", "op=conv,cin=144,cout=24,k=1,s=1,act=none", 56),
    ("pointwise 192->64 @14", "op=conv,cin=192,cout=64,k=1,s=1,act=none", 14),
    ("pointwise 576->160 @7", "op=conv,cin=576,cout=160,k=1,s=1,act=none", 7),
    ("pointwise 320->1280 @7", "op=conv,cin=320,cout=1280,k=1,s=1,act=relu6", 7),
    ("depthwise 3x3 s1 c144 @56", "op=depthwise,cin=144,cout=144,k=3,s=1,act=relu6", 56),
    ("depthwise 3x3 s2 c96 @112", "op=depthwise,cin=96,cout=96,k=3,s=2,act=relu6", 112),
    ("depthwise 5x5 s1 c240 @28", "op=depthwise,cin=240,cout=240,k=5,s=1,act=relu6", 28),
    ("depthwise 5x5 s2 c144 @56", "op=depthwise,cin=144,cout=144,k=5,s=2,act=relu6", 56),
    ("conv 3x3 s2 3->32 @224", "op=conv,cin=3,cout=32,k=3,s=2,act=relu6", 224),
    ("conv 3x3 s1 32->32 @56", "op=conv,cin=32,cout=32,k=3,s=1,act=relu6", 56),
    ("mbconv k3 e6 24 @56 skip", "op=mbconv,cin=24,cout=24,k=3,s=1,e=6,se=0,skip=1,act=relu6", 56),
    ("mbconv k3 e6 24 @56 skip+SE", "op=mbconv,cin=24,cout=24,k=3,s=1,e=6,se=0.25,skip=1,act=relu6", 56),
    ("mbconv k5 e6 40->80 /2 @28", "op=mbconv,cin=40,cout=80,k=5,s=2,e=6,se=0,skip=0,act=relu6", 28),
]

GEMMS = [(12544, 96, 16), (3136, 144, 24), (3136, 24, 144), (784, 192, 32), (196, 384, 64), (196, 576, 96), (49, 960, 160), (49, 1280, 320)]


def ort_session(model, threads):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    return ort.InferenceSession(model.SerializeToString(), opts, providers=["CPUExecutionProvider"])


def ort_median_ms(session, x, runs, warmup):
    feed = {"input": x}
    for _ in range(warmup):
        session.run(None, feed)
    samples = []
    for _ in range(runs):
        t = time.perf_counter_ns()
        session.run(None, feed)
        samples.append((time.perf_counter_ns() - t) / 1e6)
    return statistics.median(samples)


def run_json(cmd):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--skip-layers", action="store_true")
    ap.add_argument("--skip-gemm", action="store_true")
    ap.add_argument("--family", default="auto")
    ap.add_argument("--backend", default="nasctl", choices=["nasctl", "xnnpack"])
    args = ap.parse_args()
    engine = ["--kernel-family", args.family, "--backend", args.backend]
    bench_engine = (["--family", args.family] if args.family != "auto" else []) + ["--backend", args.backend]
    for exe in (NASCTL, BENCH):
        if not os.path.exists(exe):
            sys.exit(f"{exe} missing: run `swift build -c release` first")
    t = args.threads
    print(f"onnxruntime {ort.__version__}, threads {t}, rounds {args.rounds} x {args.runs} runs, nasctl backend {args.backend}, family {args.family}")

    specs = [line for line in subprocess.run([BENCH, "specs"], check=True, capture_output=True, text=True).stdout.splitlines() if not line.startswith("#")]
    session = ort_session(build_model(specs, 3, 224, 224), t)
    x = np.random.default_rng(0).uniform(-1, 1, size=(1, 3, 224, 224)).astype(np.float32)
    ours, theirs = [], []
    for _ in range(args.rounds):
        ours.append(run_json([NASCTL, "measure", "--model", "mobilenetv2", "--threads", str(t), "--runs", str(args.runs), "--warmup", "10", "--json"] + engine)["median_ms"])
        theirs.append(ort_median_ms(session, x, args.runs, 10))
    a, b = statistics.median(ours), statistics.median(theirs)
    print(f"\nMobileNetV2-1.0 224x224 batch 1: nasctl {a:.3f} ms, onnxruntime {b:.3f} ms, ratio nasctl/ort {a / b:.2f}x")
    print(f"  per round nasctl {['%.2f' % v for v in ours]}  ort {['%.2f' % v for v in theirs]}")

    if not args.skip_layers:
        print(f"\n{'layer':32} {'nasctl ms':>10} {'ort ms':>10} {'ratio':>7}")
        for label, spec, hw in LAYERS:
            cin = int(dict(p.split("=") for p in spec.split(","))["cin"])
            sess = ort_session(build_model([spec], cin, hw, hw), t)
            xi = np.random.default_rng(1).uniform(-1, 1, size=(1, cin, hw, hw)).astype(np.float32)
            mine, other = [], []
            for _ in range(args.rounds):
                mine.append(run_json([BENCH, "layer", spec, str(hw), str(hw), "--threads", str(t), "--runs", str(args.runs)] + bench_engine)["median_ms"])
                other.append(ort_median_ms(sess, xi, args.runs, 10))
            m, o = statistics.median(mine), statistics.median(other)
            print(f"{label:32} {m:10.4f} {o:10.4f} {m / o:6.2f}x")

    if not args.skip_gemm:
        print(f"\n{'M x N x K':22} {'sgemm GF/s':>11} {'pointwise GF/s':>15} {'share':>7} {'openblas-backend GF/s':>22} {'share':>7}")
        for m, n, k in GEMMS:
            r = [run_json([BENCH, "gemm", str(m), str(n), str(k), "--threads", str(t), "--runs", str(args.runs)] + bench_engine[:2]) for _ in range(args.rounds)]
            s = statistics.median(v["sgemm_gflops"] for v in r)
            p = statistics.median(v["pointwise_gflops"] for v in r)
            o = statistics.median(v["openblas_pointwise_gflops"] for v in r)
            print(f"{f'{m} x {n} x {k}':22} {s:11.1f} {p:15.1f} {100 * p / s:6.0f}% {o:22.1f} {100 * o / s:6.0f}%")


if __name__ == "__main__":
    main()
