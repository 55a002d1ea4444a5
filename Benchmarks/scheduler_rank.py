#!/usr/bin/env python3
"""How well a scheduled search's own results rank its trials, under several ways of turning a
trial's rung results into one score, against the 10-epoch ground truth of proxy_rank.py.

  python3 Benchmarks/scheduler_rank.py --rungs Benchmarks/results/sha-1-9-eta3/rungs.csv \
      --out Benchmarks/results/proxy-rank-sha

Reads every rung result of the study (rungs.csv: trial, fidelity, metrics, reward), the picks and
ground truth of --out (picks.csv, ground-truth.csv), and prints Kendall's tau-b of each score
against the test accuracy of training seed 1, of seed 2, and of the seeds' mean (on the trials
with every seed), with whether the truly best trial (by the mean) is in the score's top 3, and
the seed-vs-seed tau: the ceiling any score can reach on that ground truth (BENCHMARKING.md).

Scores:
- scheduler order: the rung reached, then the accuracy there (what the scheduler keeps);
- reward order: the rung reached, then the reward there (what SHA promotes by);
- accuracy at the first rung: the one rung every trial reached;
- top accuracy + mean gain: the accuracy at the highest rung reached plus the mean gain from
  that rung to the top one over the trials that reached both (a rung-free accuracy estimate).
No training is run: this only reads files.
"""
import argparse
import csv
import json
import os
import statistics

from proxy_rank import kendall_tau


def load(rungs_csv, out):
    rungs = {}
    with open(rungs_csv) as f:
        for row in csv.DictReader(f):
            accuracy = json.loads(row["metrics"])["accuracy"]
            rungs.setdefault(int(row["trial"]), {})[float(row["fidelity"])] = (accuracy, float(row["reward"]))
    with open(os.path.join(out, "picks.csv")) as f:
        picks = [int(r["trial"]) for r in csv.DictReader(f)]
    truth = {}
    with open(os.path.join(out, "ground-truth.csv")) as f:
        for row in csv.DictReader(f):
            truth.setdefault(int(row["trial"]), {})[int(row["seed"])] = float(row["test_accuracy"])
    return rungs, picks, truth


def scores(rungs):
    """name -> function(trial) -> score, from the study's rung results."""
    ladder = sorted({f for results in rungs.values() for f in results})
    top = ladder[-1]

    def gain(low):
        deltas = [r[top][0] - r[low][0] for r in rungs.values() if low in r and top in r]
        return statistics.mean(deltas) if deltas and low != top else 0.0

    gains = {f: gain(f) for f in ladder}
    highest = lambda t: max(rungs[t])
    return {
        "scheduler order (rung, then accuracy)": lambda t: ladder.index(highest(t)) + rungs[t][highest(t)][0],
        "reward order (rung, then reward)": lambda t: ladder.index(highest(t)) + rungs[t][highest(t)][1],
        f"accuracy at the first rung ({ladder[0]:g} epochs)": lambda t: rungs[t][ladder[0]][0],
        "top accuracy + mean gain to the top rung": lambda t: rungs[t][highest(t)][0] + gains[highest(t)],
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rungs", required=True, help="the study's rungs.csv")
    ap.add_argument("--out", required=True, help="the proxy_rank.py folder (picks.csv, ground-truth.csv)")
    args = ap.parse_args()
    rungs, picks, truth = load(args.rungs, args.out)
    picks = [t for t in picks if t in rungs and 1 in truth.get(t, {})]
    both = [t for t in picks if 2 in truth[t]]
    mean = {t: statistics.mean(truth[t].values()) for t in both}
    print(f"{len(picks)} trials with seed-1 ground truth, {len(both)} with seeds 1 and 2")
    if len(both) >= 2:
        ceiling = kendall_tau([truth[t][1] for t in both], [truth[t][2] for t in both])
        print(f"seed 1 vs seed 2 (the ceiling): tau {ceiling:.3f}")
    best = max(both, key=mean.get) if both else max(picks, key=lambda t: truth[t][1])
    print(f"true best: trial {best}")
    print(f"{'score':45s} {'seed 1':>7s} {'seed 2':>7s} {'mean':>7s}  top 3 (best in it?)")
    for name, score in scores(rungs).items():
        s1 = kendall_tau([score(t) for t in picks], [truth[t][1] for t in picks])
        s2 = kendall_tau([score(t) for t in both], [truth[t][2] for t in both]) if len(both) >= 2 else float("nan")
        sm = kendall_tau([score(t) for t in both], [mean[t] for t in both]) if len(both) >= 2 else float("nan")
        top3 = sorted(picks, key=score, reverse=True)[:3]
        print(f"{name:45s} {s1:7.3f} {s2:7.3f} {sm:7.3f}  {top3} ({'yes' if best in top3 else 'no'})")


if __name__ == "__main__":
    main()
