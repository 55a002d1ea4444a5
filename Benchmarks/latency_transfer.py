#!/usr/bin/env python3
"""Does nasctl's latency ordering hold in the runtime a user deploys with? Kendall tau between
nasctl's predicted latency and ONNX Runtime's measured latency of the same networks.

  python3 Benchmarks/latency_transfer.py [--count 20] [--study DIR [--front]] [--table T] [--threads 1] [--rounds 3] [--runs 30] [--tolerance 10]

Architectures: --count seeded uniform samples of the space, or with --study the study's
evaluated trials spread over its latency range (a search's candidates cluster, which is the
harder case), or with --front every model of the study's Pareto front (its pareto.csv). Each is exported with `nasctl export` (random weights: latency does not depend
on them) and timed in ONNX Runtime (1 thread, all graph optimisations) and in nasctl
(`nasctl measure --table T`, the engine as the table describes it), rounds interleaved. With a
table profiled by `--backend xnnpack`, nasctl's figures are XNNPACK's. Prints per-network
figures and tau for predicted vs ONNX Runtime, measured vs ONNX Runtime, predicted vs measured,
and writes them to OUT/transfer.json.

On a noisy host the machine's speed shifts by 10-35% for a second to tens of seconds at a time,
which reorders networks of similar latency. So every ONNX Runtime pass of a network is followed
by one pass of a reference network (the set's median by prediction, in its own open session);
a pass counts only when the reference passes on both sides lie within --tolerance (10%) of
their lower quartile (the machine's unimpeded speed, as `nasctl profile` and `validate` settle
it), networks left with fewer than --runs counted passes get extra rounds (up to
--extra-rounds), and a network's latency is the median of its counted passes. The tau over all
passes, unfiltered, is printed beside it. nasctl's measured latency (a diagnostic: the target
is predicted vs ONNX Runtime) is the median of `nasctl measure` over the rounds, unfiltered:
a `measure` process runs for about a second, too long to bracket this way (judged by reference
passes on each side, 10-25% of its rounds counted on a noisy host), so on such a host the
measured-vs-ONNX-Runtime figures carry the machine's noise; `nasctl validate` is the engine's
own noise-robust check.

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


def ort_session(path, threads):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    session = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    shape = [1] + session.get_inputs()[0].shape[1:]
    x = np.random.default_rng(0).uniform(0, 1, size=shape).astype(np.float32)
    for _ in range(5):
        session.run(None, {"input": x})
    return session, x


def timed_pass(session, x):
    """One pass of an open session, ms."""
    t = time.perf_counter_ns()
    session.run(None, {"input": x})
    return (time.perf_counter_ns() - t) / 1e6


class Reference:
    """A reference network in its own open ONNX Runtime session, timed one pass at a time
    between the passes of the network being measured, so that every pass of a network lies
    between two reference passes a few milliseconds apart. A network's pass counts when both
    lie within `tolerance` of the level, the lower quartile of all reference passes: the
    machine's unimpeded speed, as `nasctl profile` and `validate` settle it (`LevelSettling`).
    A busy neighbour only ever slows the machine, for a second to tens of seconds at a time,
    so passes made while it did are left out instead of reordering networks of similar
    latency."""

    def __init__(self, model, threads, tolerance):
        self.session, self.x = ort_session(model, threads)
        self.tolerance, self.passes = tolerance, []

    def time(self):
        """One pass now (ms), recorded."""
        self.passes.append(timed_pass(self.session, self.x))
        return self.passes[-1]

    def level(self):
        return float(np.quantile(self.passes, 0.25))

    def counted(self, passes):
        """The network's pass times (ms) whose bracketing reference passes lie at the level."""
        level = self.level()
        return [ms for ms, before, after in passes
                if abs(before / level - 1) <= self.tolerance and abs(after / level - 1) <= self.tolerance]


def ort_passes(path, threads, runs, reference):
    """`runs` passes of a model in a fresh ONNX Runtime session, each bracketed by reference
    passes: [(ms, reference ms before, reference ms after)]."""
    session, x = ort_session(path, threads)
    before = reference.time()
    passes = []
    for _ in range(runs):
        ms = timed_pass(session, x)
        after = reference.time()
        passes.append((ms, before, after))
        before = after
    return passes


def time_round(rows, reference, args, resolved, engine=True):
    """One interleaved round over `rows`: nasctl's engine (`nasctl measure`, its median; left
    out with `engine` false), then ONNX Runtime's passes with the reference between them."""
    for r in rows:
        if engine:
            r["nasctl"].append(json.loads(subprocess.run([NASCTL, "measure", "--arch", r["arch"], "--space", args.space, "--threads", str(args.threads),
                                                          "--runs", str(args.runs), "--warmup", "5", "--json"] + resolved,
                                                         check=True, capture_output=True, text=True).stdout)["median_ms"])
        r["ort"] += ort_passes(r["model"], args.threads, args.runs, reference)


def figures(rows, key):
    """Kendall tau of predicted, nasctl-measured and ORT-measured latency over `rows`, from the
    medians under `key` (ORT passes at the level, or all passes)."""
    p, m, o = [r["predicted"] for r in rows], [r[key][0] for r in rows], [r[key][1] for r in rows]
    return {"tau_predicted_vs_ort": kendall_tau(p, o), "tau_measured_vs_ort": kendall_tau(m, o), "tau_predicted_vs_measured": kendall_tau(p, m),
            "median_nasctl_over_ort": statistics.median(a / b for a, b in zip(m, o))}


def tau_line(f):
    return (f"predicted vs onnxruntime {f['tau_predicted_vs_ort']:.3f}, measured vs onnxruntime {f['tau_measured_vs_ort']:.3f}, "
            f"predicted vs measured {f['tau_predicted_vs_measured']:.3f}; median nasctl/ort {f['median_nasctl_over_ort']:.2f}x")


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
    ap.add_argument("--tolerance", type=float, default=10.0,
                    help="percent: an onnxruntime pass counts when the reference passes around it are within this of their lower quartile")
    ap.add_argument("--extra-rounds", type=int, default=6,
                    help="most extra onnxruntime rounds for networks with fewer than --runs passes counted")
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
    # The reference: the set's network of median predicted latency, in its own open session.
    reference_row = sorted(rows, key=lambda r: r["predicted"])[len(rows) // 2]
    reference = Reference(reference_row["model"], args.threads, args.tolerance / 100)
    for _ in range(args.rounds):
        time_round(rows, reference, args, resolved)
    extra = 0
    while extra < args.extra_rounds:  # ONNX Runtime only: networks short of --runs counted passes
        short = [r for r in rows if len(reference.counted(r["ort"])) < args.runs]
        if not short:
            break
        time_round(short, reference, args, resolved, engine=False)
        extra += 1
    for r in rows:
        counted = reference.counted(r["ort"])
        r["kept"] = len(counted)
        nasctl = statistics.median(r["nasctl"])
        r["level"] = (nasctl, statistics.median(counted or [ms for ms, _, _ in r["ort"]]))
        r["all"] = (nasctl, statistics.median(ms for ms, _, _ in r["ort"]))
    kind = ("front models" if args.front else "study trials") if args.study else "random architectures"
    print(f"onnxruntime {ort.__version__}, threads {args.threads}, {len(rows)} {kind}, {args.rounds} rounds x {args.runs} runs, "
          f"{extra} extra round(s) in onnxruntime")
    print(f"{'#':>3} {'predicted ms':>13} {'nasctl ms':>10} {'ort ms':>8} {'nasctl/ort':>10} {'ort passes counted':>19}")
    for i, r in enumerate(rows):
        m, o = r["level"]
        print(f"{i:3d} {r['predicted']:13.3f} {m:10.3f} {o:8.3f} {m / o:10.2f} {r['kept']:>12d} of {len(r['ort'])}")
    level = reference.level()
    spread = statistics.pstdev(reference.passes) / statistics.mean(reference.passes) * 100
    total = sum(len(r["ort"]) for r in rows)
    kept_total = sum(r["kept"] for r in rows)
    print(f"reference (network {rows.index(reference_row)} in onnxruntime): level {level:.3f} ms, CV {spread:.1f}% over "
          f"{len(reference.passes)} passes; {kept_total} of {total} onnxruntime passes counted (both reference passes around "
          f"them within ±{args.tolerance:g}% of the level); {sum(1 for r in rows if r['kept'] == 0)} network(s) with none (all their passes used)")
    at_level, everything = figures(rows, "level"), figures(rows, "all")
    print("Kendall tau: " + tau_line(at_level))
    print("Over all passes, no reference filter: " + tau_line(everything))
    with open(os.path.join(args.out, "transfer.json"), "w") as f:
        json.dump({"networks": len(rows), "kind": kind, "rounds": args.rounds, "extra_rounds": extra, "runs": args.runs,
                   "tolerance_pct": args.tolerance, "reference_level_ms": level, "reference_cv_pct": spread,
                   "ort_passes_total": total, "ort_passes_counted": kept_total, "at_level": at_level, "all_rounds": everything,
                   "per_network": [{"arch": r["arch"], "predicted_ms": r["predicted"], "nasctl_ms": r["level"][0], "ort_ms": r["level"][1],
                                    "ort_passes_counted": r["kept"], "ort_passes": len(r["ort"])} for r in rows]}, f, indent=2)


if __name__ == "__main__":
    main()
