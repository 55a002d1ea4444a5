#!/usr/bin/env python3
"""Does nasctl's latency ordering hold in the runtime a user deploys with? Kendall tau between
nasctl's predicted latency and ONNX Runtime's measured latency of the same networks.

  python3 Benchmarks/latency_transfer.py [--count 20] [--study DIR [--front]] [--table T] [--threads 1] [--rounds 3] [--runs 30]

Architectures: --count seeded uniform samples of the space, or with --study the study's
evaluated trials spread over its latency range (a search's candidates cluster, which is the
harder case), or with --front every model of the study's Pareto front (its pareto.csv). Each is exported with `nasctl export` (random weights: latency does not depend
on them) and timed in ONNX Runtime (1 thread, all graph optimisations) and in nasctl
(`nasctl measure --table T`, the engine as the table describes it), rounds interleaved. With a
table profiled by `--backend xnnpack`, nasctl's figures are XNNPACK's. Prints per-network
figures and tau for predicted vs ONNX Runtime, measured vs ONNX Runtime, predicted vs measured.

Needs `pip install onnx onnxruntime pyyaml` (benchmark only) and a release build.
"""
import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import time

import numpy as np
import onnxruntime as ort
import yaml

sys.path.insert(0, os.path.dirname(__file__))
from proxy_rank import kendall_tau  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NASCTL = os.environ.get("NASCTL", os.path.join(ROOT, ".build/release/nasctl"))


def random_architectures(space_file, count, seed):
    """`count` uniform samples of a network space: one value per block decision."""
    with open(space_file) as f:
        space = yaml.safe_load(f)
    rng = random.Random(seed)
    archs = []
    for _ in range(count):
        decisions = {}
        for i, block in enumerate(space["blocks"], start=1):
            choices = dict(space["choices"], **block.get("choices", {}))
            for name, values in choices.items():
                decisions[f"block{i}.{name}"] = str(rng.choice(values))
        archs.append({"space": space["name"], "decisions": decisions})
    return archs


def study_architectures(study, count):
    """`count` evaluated trials spread evenly over the study's predicted-latency range."""
    db = sqlite3.connect(os.path.join(study, "study.sqlite"))
    settings = json.loads(db.execute("SELECT value FROM meta WHERE name = 'settings'").fetchone()[0])
    rows = db.execute("SELECT number, decisions, latency_ms FROM trials WHERE latency_ms IS NOT NULL ORDER BY latency_ms").fetchall()
    with open(os.path.join(study, "trials.csv")) as f:
        header = f.readline().strip().split(",")
    names = header[header.index("parent") + 1:]
    picks = [rows[round(i * (len(rows) - 1) / max(count - 1, 1))] for i in range(min(count, len(rows)))]
    return [{"space": settings["space"], "decisions": dict(zip(names, json.loads(d)))} for _, d, _ in picks]


def front_architectures(study):
    """Every model of the study's Pareto front, from its pareto.csv."""
    import csv
    db = sqlite3.connect(os.path.join(study, "study.sqlite"))
    settings = json.loads(db.execute("SELECT value FROM meta WHERE name = 'settings'").fetchone()[0])
    with open(os.path.join(study, "pareto.csv")) as f:
        rows = list(csv.DictReader(f))
    names = [n for n in rows[0].keys() if "." in n] if rows else []
    return [{"space": settings["space"], "decisions": {n: r[n] for n in names}} for r in rows]


def ort_ms(path, threads, runs):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    shape = [1] + session.get_inputs()[0].shape[1:]
    x = np.random.default_rng(0).uniform(0, 1, size=shape).astype(np.float32)
    for _ in range(5):
        session.run(None, {"input": x})
    times = []
    for _ in range(runs):
        t = time.perf_counter_ns()
        session.run(None, {"input": x})
        times.append((time.perf_counter_ns() - t) / 1e6)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--study")
    ap.add_argument("--front", action="store_true", help="with --study: the study's Pareto front")
    ap.add_argument("--space", default=os.path.join(ROOT, "Configs/mnasnet.yaml"))
    ap.add_argument("--table", help="latency table (default: the device's newest fitting one)")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default="runs/latency-transfer")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    if args.study:
        archs = front_architectures(args.study) if args.front else study_architectures(args.study, args.count)
    else:
        archs = random_architectures(args.space, args.count, args.seed)
    table = ["--table", args.table] if args.table else []
    rows = []
    for i, arch in enumerate(archs):
        path = os.path.join(args.out, f"arch-{i}.json")
        with open(path, "w") as f:
            json.dump(arch, f)
        model = os.path.join(args.out, f"arch-{i}.onnx")
        subprocess.run([NASCTL, "export", "--arch", path, "--space", args.space, "--output", model], check=True, capture_output=True)
        predicted = json.loads(subprocess.run([NASCTL, "predict", "--arch", path, "--space", args.space, "--threads", str(args.threads), "--json"] + table,
                                              check=True, capture_output=True, text=True).stdout)["predicted_ms"]
        rows.append({"arch": path, "model": model, "predicted": predicted, "nasctl": [], "ort": []})
    resolved = table or []
    if not resolved:  # measure as the table the predictions came from describes the engine
        first = json.loads(subprocess.run([NASCTL, "predict", "--arch", rows[0]["arch"], "--space", args.space, "--json"],
                                          check=True, capture_output=True, text=True).stdout)
        resolved = ["--table", first["table"]] if "table" in first else []
    for _ in range(args.rounds):
        for r in rows:
            r["nasctl"].append(json.loads(subprocess.run([NASCTL, "measure", "--arch", r["arch"], "--space", args.space, "--threads", str(args.threads),
                                                          "--runs", str(args.runs), "--warmup", "5", "--json"] + resolved,
                                                         check=True, capture_output=True, text=True).stdout)["median_ms"])
            r["ort"].append(ort_ms(r["model"], args.threads, args.runs))
    print(f"onnxruntime {ort.__version__}, threads {args.threads}, {len(rows)} {('front models' if args.front else 'study trials') if args.study else 'random architectures'}, {args.rounds} rounds x {args.runs} runs")
    print(f"{'#':>3} {'predicted ms':>13} {'nasctl ms':>10} {'ort ms':>8} {'nasctl/ort':>10}")
    for i, r in enumerate(rows):
        r["nasctl_ms"], r["ort_ms"] = statistics.median(r["nasctl"]), statistics.median(r["ort"])
        print(f"{i:3d} {r['predicted']:13.3f} {r['nasctl_ms']:10.3f} {r['ort_ms']:8.3f} {r['nasctl_ms'] / r['ort_ms']:10.2f}")
    p, m, o = [r["predicted"] for r in rows], [r["nasctl_ms"] for r in rows], [r["ort_ms"] for r in rows]
    print(f"Kendall tau: predicted vs onnxruntime {kendall_tau(p, o):.3f}, measured vs onnxruntime {kendall_tau(m, o):.3f}, "
          f"predicted vs measured {kendall_tau(p, m):.3f}; median nasctl/ort {statistics.median(a / b for a, b in zip(m, o)):.2f}x")


if __name__ == "__main__":
    main()
