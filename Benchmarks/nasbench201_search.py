#!/usr/bin/env python3
"""Evolution, TPE and random search on NAS-Bench-201 (CIFAR-10 valid), as in the reference
figures of ../shared/benchmarks/nasbench201/README.md: 100 evaluations per run, P=10, S=3,
--w 0 (accuracy alone), mean best validation accuracy over many seeds.

  python3 Benchmarks/nasbench201_search.py [--seeds 200] [--strategies random,evolution,tpe] \
      [--table ../shared/benchmarks/nasbench201/cifar10-valid.csv]

Needs a release build (`swift build -c release`).
"""
import argparse
import json
import os
import statistics
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NASCTL = os.environ.get("NASCTL", os.path.join(ROOT, ".build/release/nasctl"))


def best(strategy, seed, table, workdir):
    study = os.path.join(workdir, f"{strategy}-{seed}")
    out = subprocess.run([NASCTL, "search", "--target-ms", "1", "--w", "0", "--space", os.path.join(ROOT, "Configs/nasbench201.yaml"),
                          "--evaluator", f"table:{table}", "--strategy", strategy, "--population", "10", "--sample", "3",
                          "--cycles", "100", "--seed", str(seed), "--study", study, "--json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["best"]["accuracy"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--table", default=os.path.join(ROOT, "..", "shared", "benchmarks", "nasbench201", "cifar10-valid.csv"))
    ap.add_argument("--strategies", default="random,evolution,tpe")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as workdir:
        results = {s: [best(s, seed, args.table, workdir) for seed in range(1, args.seeds + 1)] for s in args.strategies.split(",")}
    for s, values in results.items():
        print(f"{s:10} mean best {statistics.mean(values):.4f} (sd {statistics.stdev(values):.4f}) over {len(values)} seeds")
    for s in results:
        if s != "random" and "random" in results:
            wins = sum(e > r for e, r in zip(results[s], results["random"]))
            print(f"{s} beats random on {wins} of {args.seeds} seeds (same seed numbers)")


if __name__ == "__main__":
    main()
