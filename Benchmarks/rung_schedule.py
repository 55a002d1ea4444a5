#!/usr/bin/env python3
"""Which learning-rate schedule ranks better at a scheduler's lower rungs: one schedule over the
maximum budget (`--rung-schedule whole`: a rung stops partway through a 9-epoch cosine
schedule), a complete schedule per rung (`per-rung`: each rung's epochs annealed to the end,
from scratch), or the one schedule with a warm restart at each rung (`restart`)?

  python3 Benchmarks/rung_schedule.py --out Benchmarks/results/proxy-rank-sha [--rungs 1,3] [--max-epochs 9] [--seeds 1,2,3] [--jobs 1]

Scores every architecture of --out/picks.csv at each rung under the three schedules with
`nasctl evaluate --proxy-epochs R [--schedule-epochs MAX [--restart-epochs RUNGS]] --seed S` for
each data seed S (the proxy's training subset and validation split; the space's proxy budget
otherwise; the restarts are --rungs). The first rung under `restart` is the per-rung run
exactly (a test in the suite holds them equal), so it is not run twice. Appends each
result to --out/rung-schedules.csv (an interrupted run resumes), and prints Kendall's tau-b of
each rung's validation accuracy (per seed, and of the mean over seeds) against the 10-epoch test
accuracy of --out/ground-truth.csv (training seed 1, and the seeds' mean where every seed is
there), with whether the truly best architecture is in each score's top 3; and how well the
proxy agrees with itself across data seeds (its noise). Needs a release build (`swift build -c release`).
"""
import argparse
import csv
import json
import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

from proxy_rank import kendall_tau

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NASCTL = os.environ.get("NASCTL", os.path.join(ROOT, ".build/release/nasctl"))


FIELDS = ["trial", "rung", "schedule_epochs", "restarts", "seed", "accuracy", "validation_loss", "seconds"]


def evaluate(arch, space, rung, schedule, restarts, seed):
    command = [NASCTL, "evaluate", "--arch", arch, "--space", space, "--proxy-epochs", str(rung), "--seed", str(seed), "--json"]
    if schedule != rung or restarts:  # evaluate takes --restart-epochs with --schedule-epochs only
        command += ["--schedule-epochs", str(schedule)]
    if restarts:
        command += ["--restart-epochs", restarts]
    out = subprocess.run(command, cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", required=True)
    ap.add_argument("--rungs", default="1,3")
    ap.add_argument("--max-epochs", type=float, default=9)
    ap.add_argument("--seeds", default="1", help="comma-separated data seeds of the proxy")
    ap.add_argument("--jobs", type=int, default=1)
    args = ap.parse_args()

    picks = list(csv.DictReader(open(os.path.join(args.out, "picks.csv"))))
    results_file = os.path.join(args.out, "rung-schedules.csv")
    rungs = [float(r) for r in args.rungs.split(",")]
    restarts = ",".join(f"{r:g}" for r in rungs if r < args.max_epochs)
    # (label, schedule epochs, restarts) per rung; the first rung restarted is the per-rung run.
    def schedules(rung):
        own = ("its own schedule", rung, "")
        return [own, (f"{args.max_epochs:g}-epoch schedule", args.max_epochs, ""),
                (f"{args.max_epochs:g}-epoch, restarts {restarts}", args.max_epochs, restarts) if rung != rungs[0] else
                (f"{args.max_epochs:g}-epoch, restarts {restarts}",) + own[1:]]
    done = {}
    if os.path.exists(results_file):
        rows = list(csv.DictReader(open(results_file)))
        if rows and "restarts" not in rows[0]:  # a file from before the restart schedule: add the column
            with open(results_file, "w", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=FIELDS)
                writer.writeheader()
                for row in rows:
                    writer.writerow({**row, "restarts": ""})
        for row in rows:
            done[(int(row["trial"]), float(row["rung"]), float(row["schedule_epochs"]), row.get("restarts") or "", int(row["seed"]))] = row
    seeds = [int(s) for s in args.seeds.split(",")]
    todo = sorted({(int(p["trial"]), rung, schedule, restart, seed) for seed in seeds for rung in rungs
                   for _, schedule, restart in schedules(rung) for p in picks} - set(done), key=lambda j: (j[4], j[1], j[0]))
    by_trial = {int(p["trial"]): p for p in picks}

    def run(job):
        trial, rung, schedule, restart, seed = job
        pick = by_trial[trial]
        r = evaluate(pick["architecture"], pick["space"], rung, schedule, restart, seed)
        return {"trial": trial, "rung": rung, "schedule_epochs": schedule, "restarts": restart, "seed": seed, "accuracy": r["accuracy"],
                "validation_loss": r["validation_loss"], "seconds": round(r["seconds"], 2)}

    new_file = not os.path.exists(results_file)
    with open(results_file, "a", newline="") as f, ThreadPoolExecutor(max_workers=args.jobs) as pool:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        if new_file:
            writer.writeheader()
        for row in pool.map(run, todo):
            writer.writerow(row)
            f.flush()
            done[(row["trial"], row["rung"], row["schedule_epochs"], row["restarts"], row["seed"])] = {k: str(v) for k, v in row.items()}
            print(f"trial {row['trial']} rung {row['rung']:g} schedule {row['schedule_epochs']:g} restarts '{row['restarts']}'"
                  f" seed {row['seed']}: {row['accuracy']:.4f}", flush=True)

    def score(t, rung, schedule, restart, seed=None):
        """The proxy accuracy of trial t at this rung and schedule: one seed's, or the mean over --seeds."""
        chosen = [seed] if seed is not None else seeds
        return sum(float(done[(t, rung, schedule, restart, s)]["accuracy"]) for s in chosen) / len(chosen)

    truth = {}
    for row in csv.DictReader(open(os.path.join(args.out, "ground-truth.csv"))):
        truth.setdefault(int(row["trial"]), {})[int(row["seed"])] = float(row["test_accuracy"])
    train_seeds = sorted({s for by_seed in truth.values() for s in by_seed})
    grounds = [("seed 1", {t: v[1] for t, v in truth.items() if 1 in v})]
    if len(train_seeds) > 1:
        grounds.append((f"mean of training seeds {','.join(map(str, train_seeds))}",
                        {t: sum(v.values()) / len(v) for t, v in truth.items() if len(v) == len(train_seeds)}))
    for name, ground in grounds:
        trials = [int(p["trial"]) for p in picks if int(p["trial"]) in ground]
        best = max(trials, key=lambda t: ground[t])
        print(f"\nground truth: {name}, {len(trials)} architectures (best: trial {best}, {ground[best]:.4f})")
        for rung in rungs:
            for label, schedule, restart in schedules(rung):
                label = f"rung {rung:g}, {label}"
                for seed in seeds + ([None] if len(seeds) > 1 else []):
                    scores = [score(t, rung, schedule, restart, seed) for t in trials]
                    top3 = sorted(trials, key=lambda t: -score(t, rung, schedule, restart, seed))[:3]
                    which = f"seed {seed}" if seed is not None else f"mean of {len(seeds)} seeds"
                    print(f"  {label:>40}, {which:>16}: tau {kendall_tau(scores, [ground[t] for t in trials]):.3f},"
                          f" best in top 3: {'yes' if best in top3 else 'no'} (top 3: {', '.join(map(str, top3))})")
    if len(seeds) > 1:
        trials = [int(p["trial"]) for p in picks]
        print(f"\nthe proxy against itself, {len(trials)} architectures (Kendall tau between data seeds):")
        for rung in rungs:
            for label, schedule, restart in schedules(rung):
                pairs = [(a, b) for i, a in enumerate(seeds) for b in seeds[i + 1:]]
                taus = [kendall_tau([score(t, rung, schedule, restart, a) for t in trials], [score(t, rung, schedule, restart, b) for t in trials])
                        for a, b in pairs]
                print(f"  {f'rung {rung:g}, {label}':>40}: " + ", ".join(f"seeds {a}/{b} {tau:.3f}" for (a, b), tau in zip(pairs, taus)))

if __name__ == "__main__":
    main()
