#!/usr/bin/env python3
"""How well a scheduled search's own results rank its trials, under several ways of turning a
trial's rung results into one score, against the 10-epoch ground truth of proxy_rank.py.

  python3 Benchmarks/scheduler_rank.py --rungs Benchmarks/results/sha-1-9-eta3/rungs.csv \
      --out Benchmarks/results/proxy-rank-sha

Reads every rung result of the study (rungs.csv: trial, fidelity, metrics, reward), the picks and
ground truth of --out (picks.csv, ground-truth.csv), and prints Kendall's tau-b of each score
against the test accuracy of each training seed that every pick was trained with and of those
seeds' mean, with whether the truly best trial (by the mean) is in the score's top 3, and the
tau of every pair of seeds: the ceiling a score can reach against one seed (BENCHMARKING.md).

Scores:
- scheduler order: the rung reached, then the accuracy there (what the scheduler keeps);
- reward order: the rung reached, then the reward there (what SHA promotes by);
- accuracy at the first rung: the one rung every trial reached;
- top accuracy + mean gain: the accuracy at the highest rung reached plus the mean gain from
  that rung to the top one over the trials that reached both (a rung-free accuracy estimate);
- the flat proxy: each budget and data seed of --out/proxy-scores.csv (proxy_rank.py --budgets),
  and the mean over the data seeds of a budget (what --proxy-repeats would score).

Then the ceiling of both figures: each training seed alone taken as the score, against the mean
of the other seeds (with three or more seeds): how well one full 10-epoch training ranks, and
whether it puts the others' best in its top 3.
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


def proxy_score_columns(out):
    """(budget, data seed or 'mean') -> {trial: proxy accuracy}, from --out/proxy-scores.csv."""
    path = os.path.join(out, "proxy-scores.csv")
    if not os.path.exists(path):
        return {}
    columns = {}
    with open(path) as f:
        for row in csv.DictReader(f):
            columns.setdefault((row["budget"], row["seed"]), {})[int(row["trial"])] = float(row["proxy_accuracy"])
    for budget in sorted({b for b, _ in columns}):
        seeds = [s for b, s in columns if b == budget]
        if len(seeds) > 1:
            trials = set.intersection(*(set(columns[(budget, s)]) for s in seeds))
            columns[(budget, "mean")] = {t: statistics.mean(columns[(budget, s)][t] for s in seeds) for t in trials}
    return columns


def print_row(name, score, picks, truth, common, mean, best):
    """One score's tau against each seed and the mean, its top 3 and whether the best is in it."""
    values = [score(t) for t in picks]
    taus = [kendall_tau(values, [truth[t][s] for t in picks]) for s in common]
    taus.append(kendall_tau(values, [mean[t] for t in picks]))
    ranked = sorted(picks, key=score, reverse=True)
    top3 = ranked[:3]
    print(f"{name:45s} " + " ".join(f"{x:7.3f}" for x in taus)
          + f"  {top3} ({'yes' if best in top3 else 'no'}; best at {ranked.index(best) + 1})")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rungs", required=True, help="the study's rungs.csv")
    ap.add_argument("--out", required=True, help="the proxy_rank.py folder (picks.csv, ground-truth.csv)")
    args = ap.parse_args()
    rungs, picks, truth = load(args.rungs, args.out)
    picks = [t for t in picks if t in rungs and 1 in truth.get(t, {})]
    seeds = sorted({s for t in picks for s in truth[t]})
    # Seeds every pick was trained with: the mean ground truth uses only those.
    common = [s for s in seeds if all(s in truth[t] for t in picks)]
    mean = {t: statistics.mean(truth[t][s] for s in common) for t in picks}
    print(f"{len(picks)} trials; seeds trained for every one: {', '.join(map(str, common))}")
    for i, a in enumerate(common):
        for b in common[i + 1:]:
            ceiling = kendall_tau([truth[t][a] for t in picks], [truth[t][b] for t in picks])
            print(f"seed {a} vs seed {b} (a ceiling for one seed): tau {ceiling:.3f}")
    best = max(picks, key=mean.get)
    print(f"true best (mean of seeds {', '.join(map(str, common))}): trial {best}")
    columns = [f"seed {s}" for s in common] + ["mean"]
    print(f"{'score':45s} " + " ".join(f"{c:>7s}" for c in columns) + "  top 3 (best in it?; its rank)")
    for name, score in scores(rungs).items():
        print_row(name, score, picks, truth, common, mean, best)
    for (budget, seed), proxy in sorted(proxy_score_columns(args.out).items()):
        if all(t in proxy for t in picks):
            print_row(f"flat proxy {budget}, data seed {seed}", proxy.get, picks, truth, common, mean, best)
    if len(common) >= 3:
        print("one training seed as the score, against the mean of the others (the ceiling):")
        for s in common:
            others = {t: statistics.mean(truth[t][o] for o in common if o != s) for t in picks}
            others_best = max(picks, key=others.get)
            ranked = sorted(picks, key=lambda t: truth[t][s], reverse=True)
            tau = kendall_tau([truth[t][s] for t in picks], [others[t] for t in picks])
            print(f"  seed {s} vs the others' mean: tau {tau:.3f}; their best, trial {others_best}, "
                  f"is at rank {ranked.index(others_best) + 1} of seed {s}")


if __name__ == "__main__":
    main()
