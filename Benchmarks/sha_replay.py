#!/usr/bin/env python3
"""Successive halving replayed on measured rung results: what a scheduler's final order would
be under each rung schedule, scored against the 10-epoch ground truth.

  python3 Benchmarks/sha_replay.py --out Benchmarks/results/proxy-rank-sha \
      --trials Benchmarks/results/sha-1-9-eta3/trials.csv [--rungs 1,3,9] [--eta 3] [--target-ms 30] [--seed 1]

The picks of --out (picks.csv) form one bracket of synchronous successive halving over --rungs:
every pick enters the first rung, the best max(1, floor(n/eta)) of a rung go on (as
`SuccessiveHalvingBracket` does), and the final order is what the scheduler reports: the rung
reached, then the accuracy there. The rung results are not computed here: they are the
`nasctl evaluate` runs of rung_schedule.py (--out/rung-schedules.csv, data seed --seed), so
every schedule is replayed on results measured the same way:
- whole: each rung stops partway through the one schedule over the top rung;
- per-rung: each rung's epochs annealed from scratch (the top rung is the same run as whole);
- restart: the one schedule with a warm restart at each rung below the top (rung 1 is the
  per-rung run, rung 3 and 9 the restarted run's).
Promotion is by the MNasNet reward (accuracy times (latency/T)^-0.07, latency from the study's
trials.csv: what the search promotes by) and, for comparison, by accuracy alone. Prints Kendall's
tau-b of each final order against the test accuracy of training seed 1, of seed 2 and of their
mean, and whether the true best (by the mean) is in its top 3. Reads files only.
"""
import argparse
import csv
import os
import statistics

from proxy_rank import kendall_tau


def pareto_order(members, accuracy, latency):
    """Members by non-dominated front (higher accuracy, lower latency), then by crowding
    distance within a front (larger first, NSGA-II), then by trial number: the order in which
    MO-ASHA-style promotion (Schmucker et al. 2021) takes them."""
    left, order = list(members), []
    while left:
        front = [t for t in left if not any(
            accuracy(o) >= accuracy(t) and latency(o) <= latency(t) and (accuracy(o) > accuracy(t) or latency(o) < latency(t))
            for o in left)]
        crowd = {t: 0.0 for t in front}
        for value in (accuracy, latency):
            ranked = sorted(front, key=value)
            span = value(ranked[-1]) - value(ranked[0]) or 1.0
            crowd[ranked[0]] = crowd[ranked[-1]] = float("inf")
            for i in range(1, len(ranked) - 1):
                crowd[ranked[i]] += (value(ranked[i + 1]) - value(ranked[i - 1])) / span
        order += sorted(front, key=lambda t: (-crowd[t], t))
        left = [t for t in left if t not in front]
    return order


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True, help="the proxy_rank.py folder (picks.csv, ground-truth.csv, rung-schedules.csv)")
    ap.add_argument("--trials", required=True, help="the study's trials.csv (latency_ms per trial)")
    ap.add_argument("--rungs", default="1,3,9")
    ap.add_argument("--eta", type=float, default=3)
    ap.add_argument("--target-ms", type=float, default=30)
    ap.add_argument("--seed", type=int, default=1, help="the proxy's data seed in rung-schedules.csv")
    args = ap.parse_args()
    rungs = [float(r) for r in args.rungs.split(",")]
    top = rungs[-1]
    restarts = ",".join(f"{r:g}" for r in rungs if r < top)

    latency = {int(r["trial"]): float(r["latency_ms"]) for r in csv.DictReader(open(args.trials)) if r["latency_ms"]}
    picks = [int(p["trial"]) for p in csv.DictReader(open(os.path.join(args.out, "picks.csv")))]
    runs = {}
    for row in csv.DictReader(open(os.path.join(args.out, "rung-schedules.csv"))):
        if int(row["seed"]) == args.seed:
            runs[(int(row["trial"]), float(row["rung"]), float(row["schedule_epochs"]), row["restarts"])] = float(row["accuracy"])
    truth = {}
    for row in csv.DictReader(open(os.path.join(args.out, "ground-truth.csv"))):
        truth.setdefault(int(row["trial"]), {})[int(row["seed"])] = float(row["test_accuracy"])

    # (schedule epochs, restarts) of each rung's result under each schedule.
    schedules = {
        "whole": lambda rung: (top, ""),
        "per-rung": lambda rung: (rung, ""),
        "restart": lambda rung: (rung, "") if rung == rungs[0] else (top, restarts),
    }
    missing = [(name, t, r) for name, key in schedules.items() for t in picks for r in rungs if (t, r) + key(r) not in runs]
    if missing:
        raise SystemExit(f"rung-schedules.csv lacks {len(missing)} results for data seed {args.seed}, e.g. {missing[0]}: "
                         f"run rung_schedule.py --rungs {args.rungs} --seeds {args.seed} first")
    picks = [t for t in picks if t in latency and 1 in truth.get(t, {})]
    both = [t for t in picks if 2 in truth[t]]
    mean = {t: statistics.mean(truth[t].values()) for t in both}
    best = max(both, key=mean.get)

    def reward(t, accuracy):
        return accuracy * (latency[t] / args.target_ms) ** -0.07

    print(f"{len(picks)} picks, one SHA bracket over rungs {args.rungs} (eta {args.eta:g}), data seed {args.seed}; "
          f"true best: trial {best}; seed 1 vs seed 2: tau {kendall_tau([truth[t][1] for t in both], [truth[t][2] for t in both]):.3f}")
    print(f"{'schedule':10s} {'promoted by':12s} {'rung sizes':12s} {'seed 1':>7s} {'seed 2':>7s} {'mean':>7s}  top 3 (best in it?)")
    for name, key in schedules.items():
        accuracy = lambda t, r: runs[(t, r) + key(r)]
        for by in ("reward", "accuracy", "pareto"):
            members, reached, sizes = list(picks), {}, []
            for k, rung in enumerate(rungs):
                sizes.append(len(members))
                for t in members:
                    reached[t] = k
                if k + 1 < len(rungs):
                    if by == "pareto":
                        ranked = pareto_order(members, lambda t: accuracy(t, rung), latency.get)
                    else:
                        score = (lambda t, r: reward(t, accuracy(t, r))) if by == "reward" else accuracy
                        ranked = sorted(members, key=lambda t: (-score(t, rung), t))
                    members = ranked[:max(1, int(len(members) / args.eta))]
            final = {t: reached[t] + accuracy(t, rungs[reached[t]]) for t in picks}
            s1 = kendall_tau([final[t] for t in picks], [truth[t][1] for t in picks])
            s2 = kendall_tau([final[t] for t in both], [truth[t][2] for t in both])
            sm = kendall_tau([final[t] for t in both], [mean[t] for t in both])
            top3 = sorted(picks, key=lambda t: -final[t])[:3]
            print(f"{name:10s} {by:12s} {'/'.join(map(str, sizes)):12s} {s1:7.3f} {s2:7.3f} {sm:7.3f}  {top3} ({'yes' if best in top3 else 'no'})")


if __name__ == "__main__":
    main()
