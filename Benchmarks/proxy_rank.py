#!/usr/bin/env python3
"""How well the proxy evaluator ranks architectures: Kendall tau between proxy accuracy and the
test accuracy after full training (`nasctl train --epochs E`).

  python3 Benchmarks/proxy_rank.py --study runs/search-... [--count 12] [--epochs 10] [--jobs 2] \
      [--out runs/proxy-rank] [--train-seeds 1,2] [--budgets 1:8000,2:8000,...] [--seeds 1,2,3]

1. Picks --count done trials of the study spread evenly over its proxy-accuracy ranks (with
   --initial: from the search's initial population, uniform random samples of the space) and
   writes them as architecture files into --out.
2. Trains each with `nasctl train --epochs E --threads 1 --seed S` for every S of --train-seeds
   (--jobs processes at a time); the ground truth of an architecture is its mean test accuracy
   over those seeds. The metrics land next to each architecture (trial-N.json for seed 1,
   trial-N-seedS.json for the others) and as a row of --out/ground-truth.csv, so an interrupted
   run resumes where it stopped. picks.csv and ground-truth.csv are small text files meant to be
   committed (Benchmarks/results/): a later session continues the ground truth from them without
   the study (--study may then be left out).
3. Prints the study's proxy accuracy beside the full-training test accuracy and Kendall's tau-b.
4. With --budgets EPOCHS:IMAGES[:BATCH:LR[:VALIDATION[:CLIP[:WARMUP[:AGC[:GEOMETRY]]]]]],...: re-scores the same architectures with
   `nasctl evaluate` under each proxy budget and prints tau and seconds per candidate for each,
   which is how the space's `proxy:` defaults were chosen. Tau is given for three scores of the
   same run: validation accuracy (the search's score), validation loss and the last epoch's mean
   training loss (each row also lands in --out/proxy-scores.csv).

Needs a release build (`swift build -c release`).
"""
import argparse
import csv
import json
import os
import sqlite3
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NASCTL = os.environ.get("NASCTL", os.path.join(ROOT, ".build/release/nasctl"))


def kendall_tau(a, b):
    """Kendall's tau-b (ties in either ranking reduce the denominator)."""
    concordant = discordant = ties_a = ties_b = 0
    for i in range(len(a)):
        for j in range(i + 1, len(a)):
            da, db = a[i] - a[j], b[i] - b[j]
            if da == 0 and db == 0:
                continue
            if da == 0:
                ties_a += 1
            elif db == 0:
                ties_b += 1
            elif (da > 0) == (db > 0):
                concordant += 1
            else:
                discordant += 1
    n0 = concordant + discordant
    denominator = ((n0 + ties_a) * (n0 + ties_b)) ** 0.5
    return (concordant - discordant) / denominator if denominator else 0.0


def scheduler_score(fidelity, accuracy, rungs):
    """The order a multi-fidelity scheduler puts trials in: the rung reached first, then the
    accuracy there (a trial promoted further ranks above any stopped below it)."""
    return rungs.index(fidelity) + accuracy


def pick_architectures(study, count, out, initial=False, scheduled=False):
    """Writes trial-N.json for `count` done trials spread over the proxy-accuracy ranks, or with
    `initial` for the first `count` of the search's initial population (uniform random samples
    of the space, before evolution concentrates the trials), or with `scheduled` for `count`
    evaluated trials (done or pruned) of a scheduled search spread over the scheduler's order
    (`scheduler_score`), which is then the proxy score."""
    picks_csv = os.path.join(out, "picks.csv")
    if os.path.exists(picks_csv):
        with open(picks_csv) as f:
            rows = list(csv.DictReader(f))
        if rows and "space" in rows[0]:
            print(f"reusing the {len(rows)} architectures of {picks_csv}")
            return rows[0]["space"], [(int(r["trial"]), float(r["study_proxy_accuracy"]), os.path.join(ROOT, r["architecture"]))
                                      for r in rows]
    if study is None:
        raise SystemExit(f"--study is needed: {picks_csv} does not exist yet")
    db = sqlite3.connect(os.path.join(study, "study.sqlite"))
    settings = json.loads(db.execute("SELECT value FROM meta WHERE name = 'settings'").fetchone()[0])
    if scheduled:
        rungs = sorted({r[0] for r in db.execute("SELECT DISTINCT fidelity FROM reports")})
        rows = db.execute("SELECT number, decisions, accuracy, fidelity FROM trials WHERE status IN ('done', 'pruned')").fetchall()
        rows = sorted(((n, d, scheduler_score(f, a, rungs)) for n, d, a, f in rows), key=lambda r: r[2])
        # Spread over the order, always including the top of it (the trials the front is made of).
        picks = [rows[round(i * (len(rows) - 1) / max(count - 1, 1))] for i in range(min(count, len(rows)))]
    elif initial:
        picks = db.execute("SELECT number, decisions, accuracy FROM trials WHERE status = 'done' AND number < ? ORDER BY accuracy",
                           (settings["population"],)).fetchall()[:count]
    else:
        rows = db.execute("SELECT number, decisions, accuracy FROM trials WHERE status = 'done' ORDER BY accuracy").fetchall()
        picks = [rows[round(i * (len(rows) - 1) / max(count - 1, 1))] for i in range(min(count, len(rows)))]
    # Decision names in space order come from the study's trials.csv header.
    with open(os.path.join(study, "trials.csv")) as f:
        header = f.readline().strip().split(",")
        decision_names = header[header.index("parent") + 1:]
    os.makedirs(out, exist_ok=True)
    with open(picks_csv, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["trial", "study_proxy_accuracy", "architecture", "space"])
        for number, decisions, accuracy in picks:
            path = os.path.join(out, f"trial-{number}.json")
            with open(path, "w") as a:
                json.dump({"space": settings["space"], "decisions": dict(zip(decision_names, json.loads(decisions)))}, a)
            writer.writerow([number, accuracy, os.path.relpath(os.path.abspath(path), ROOT), settings["spaceFile"]])
    return settings["spaceFile"], [(number, accuracy, os.path.join(out, f"trial-{number}.json")) for number, _, accuracy in picks]


def seed_copy(path, seed):
    """The architecture file trained with `seed`: PATH itself for seed 1, else a copy beside it."""
    if seed == 1:
        return path
    copy = path[:-len(".json")] + f"-seed{seed}.json"
    if not os.path.exists(copy):
        with open(path) as source, open(copy, "w") as target:
            target.write(source.read())
    return copy


GROUND_TRUTH_LOCK = threading.Lock()


def recorded_accuracy(out, trial, epochs, seed):
    """The test accuracy --out/ground-truth.csv holds for (trial, epochs, seed), or None."""
    path = os.path.join(out, "ground-truth.csv")
    if not os.path.exists(path):
        return None
    with open(path) as f:
        for row in csv.DictReader(f):
            if int(row["trial"]) == trial and float(row["epochs"]) == epochs and int(row["seed"]) == seed:
                return float(row["test_accuracy"])
    return None


def record_accuracy(out, trial, epochs, seed, accuracy, seconds):
    """Appends one ground-truth row (the file is committed, the metrics files are not)."""
    path = os.path.join(out, "ground-truth.csv")
    with GROUND_TRUTH_LOCK:
        new_file = not os.path.exists(path)
        with open(path, "a", newline="") as f:
            writer = csv.writer(f)
            if new_file:
                writer.writerow(["trial", "epochs", "seed", "test_accuracy", "seconds"])
            writer.writerow([trial, epochs, seed, accuracy, f"{seconds:.0f}"])


def full_accuracy(space, path, epochs, seed=1, train=True, finalized=None, out=None, trial=None):
    """Test accuracy after `epochs` epochs with `seed`, trained once and kept in PATH.metrics.json
    and --out/ground-truth.csv (None when it is not there yet and `train` is false). `finalized`:
    the same training made by `nasctl finalize` (STUDY/final/trial-N-seedS.metrics.json, the same
    recipe), used if there."""
    if out is not None:
        recorded = recorded_accuracy(out, trial, epochs, seed)
        if recorded is not None:
            return recorded
    path = seed_copy(path, seed)
    metrics_path = path[:-len(".json")] + ".metrics.json"
    for candidate in [metrics_path] + ([finalized] if finalized else []):
        if os.path.exists(candidate):
            with open(candidate) as f:
                metrics = json.load(f)
            if metrics.get("epochs") == epochs and metrics.get("seed", seed) == seed:
                if out is not None:
                    record_accuracy(out, trial, epochs, seed, metrics["test_accuracy"], metrics.get("seconds", 0))
                return metrics["test_accuracy"]
    if not train:
        return None
    start = time.time()
    stdout = subprocess.run([NASCTL, "train", "--arch", path, "--space", space, "--epochs", str(epochs), "--threads", "1",
                             "--seed", str(seed), "--json"],
                            check=True, capture_output=True, text=True, cwd=ROOT).stdout
    accuracy = json.loads(stdout)["test_accuracy"]
    if out is not None:
        record_accuracy(out, trial, epochs, seed, accuracy, time.time() - start)
        print(f"trained trial {trial} seed {seed}: test accuracy {accuracy:.4f} ({time.time() - start:.0f} s)", flush=True)
    return accuracy


def proxy_scores(space, path, budget, seed):
    """{accuracy, validation_loss, training_loss, seconds} of one proxy evaluation under budget
    EPOCHS:IMAGES[:BATCH:LR[:VALIDATION[:CLIP[:WARMUP[:AGC[:GEOMETRY]]]]]] (an empty field keeps
    the space's default)."""
    flags = ["--proxy-epochs", "--proxy-train-images", "--proxy-batch-size", "--proxy-learning-rate",
             "--proxy-validation-images", "--proxy-clip-norm", "--proxy-warmup-epochs", "--proxy-adaptive-clip",
             "--proxy-geometry"]
    fields = budget.split(":")
    if len(fields) > len(flags):
        raise SystemExit(f"budget {budget!r}: at most {len(flags)} fields (EPOCHS:IMAGES:BATCH:LR:VALIDATION:CLIP:WARMUP:AGC:GEOMETRY)")
    command = [NASCTL, "evaluate", "--arch", path, "--space", space, "--threads", "1", "--json", "--seed", str(seed)]
    for flag, value in zip(flags, fields):
        if value:
            command += [flag, value]
    start = time.time()
    out = json.loads(subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT).stdout)
    return {"accuracy": out["accuracy"], "validation_loss": out["validation_loss"], "training_loss": out["training_loss"],
            "seconds": time.time() - start}


# Ranking scores from one proxy run, higher = better: its validation accuracy (what the search
# uses), and the negated validation and training losses.
SCORES = {"accuracy": lambda r: r["accuracy"], "-validation_loss": lambda r: -r["validation_loss"],
          "-training_loss": lambda r: -r["training_loss"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--study", help="the study to pick from (not needed once --out holds picks.csv)")
    ap.add_argument("--count", type=int, default=12)
    ap.add_argument("--initial", action="store_true",
                    help="pick from the search's initial population (random architectures) instead of over its proxy ranks")
    ap.add_argument("--scheduled", action="store_true",
                    help="a search with --scheduler: pick done and pruned trials over the scheduler's order (rung reached, then accuracy)")
    ap.add_argument("--epochs", type=float, default=10)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--out", default=os.path.join(ROOT, "runs/proxy-rank"))
    ap.add_argument("--budgets", default="", help="comma-separated EPOCHS:IMAGES[:BATCH:LR[:VALIDATION[:CLIP[:WARMUP[:AGC[:GEOMETRY]]]]]] proxy budgets to re-score (empty fields: the space's defaults)")
    ap.add_argument("--train-seeds", default="1", help="comma-separated training seeds of the ground truth (its mean)")
    ap.add_argument("--trained-only", action="store_true", help="train nothing: use the architectures already trained with every seed")
    ap.add_argument("--seeds", default="1", help="comma-separated data seeds (train subset and validation split) per budget")
    args = ap.parse_args()
    space, picks = pick_architectures(args.study, args.count, args.out, args.initial, args.scheduled)

    train_seeds = [int(s) for s in args.train_seeds.split(",")]
    # Trained from the top of the order down (the front's models first: they matter most for the
    # top-3 check and the baseline comparison), seed by seed; results are put back in pick order.
    jobs = [(pick, seed) for seed in train_seeds for pick in reversed(picks)]
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        trained = list(pool.map(lambda job: full_accuracy(space, job[0][2], args.epochs, job[1], not args.trained_only,
                                                          os.path.join(args.study, "final", f"trial-{job[0][0]}-seed{job[1]}.metrics.json")
                                                          if args.study else None, args.out, job[0][0]), jobs))
    trained = [value for seed_block in range(len(train_seeds))
               for value in reversed(trained[seed_block * len(picks):(seed_block + 1) * len(picks)])]
    by_seed = [trained[i * len(picks):(i + 1) * len(picks)] for i in range(len(train_seeds))]
    complete = [i for i in range(len(picks)) if all(run[i] is not None for run in by_seed)]
    if len(complete) < len(picks):
        print(f"--trained-only: {len(complete)} of {len(picks)} architectures are trained with every seed; using those")
        picks = [picks[i] for i in complete]
        by_seed = [[run[i] for i in complete] for run in by_seed]
    full = [sum(column) / len(column) for column in zip(*by_seed)]
    print(f"{'trial':>6} {'study proxy':>12} {'test acc after ' + str(args.epochs) + ' epochs':>26}"
          + (f"  (mean of seeds {args.train_seeds}: " + " ".join(f"{s:>6}" for s in train_seeds) + ")" if len(train_seeds) > 1 else ""))
    for i, ((number, proxy, _), accuracy) in enumerate(zip(picks, full)):
        print(f"{number:6d} {proxy:12.4f} {accuracy:26.4f}" + ("   " + " ".join(f"{run[i]:.4f}" for run in by_seed) if len(train_seeds) > 1 else ""))
    if len(train_seeds) > 1:
        spread = sorted(abs(run_a - run_b) for run_a, run_b in zip(by_seed[0], by_seed[1]))
        print(f"ground truth between seeds {train_seeds[0]} and {train_seeds[1]}: tau {kendall_tau(by_seed[0], by_seed[1]):.3f},"
              f" |difference| median {spread[len(spread) // 2]:.4f}, max {spread[-1]:.4f}")
    tau = kendall_tau([p[1] for p in picks], full)
    print(f"Kendall tau (study proxy vs {args.epochs}-epoch test accuracy) over {len(picks)} architectures: {tau:.3f}")

    scores_csv = os.path.join(args.out, "proxy-scores.csv")
    new_file = not os.path.exists(scores_csv)
    with open(scores_csv, "a", newline="") as f:
        writer = csv.writer(f)
        if new_file:
            writer.writerow(["budget", "seed", "trial", "proxy_accuracy", "validation_loss", "training_loss", "seconds", "full_accuracy"])
        results = {}
        runs = [(b, int(seed)) for b in filter(None, args.budgets.split(",")) for seed in args.seeds.split(",")]
        for budget, seed in runs:
            with ThreadPoolExecutor(max_workers=args.jobs) as pool:
                scored = list(pool.map(lambda pick: proxy_scores(space, pick[2], budget, seed), picks))
            for (number, _, _), r, truth in zip(picks, scored, full):
                writer.writerow([budget, seed, number, r["accuracy"], f"{r['validation_loss']:.5f}", f"{r['training_loss']:.5f}",
                                 f"{r['seconds']:.2f}", truth])
            f.flush()
            seconds = sorted(r["seconds"] for r in scored)
            results.setdefault(budget, []).append(scored)
            taus = ", ".join(f"{name} {kendall_tau([score(r) for r in scored], full):.3f}" for name, score in SCORES.items())
            print(f"budget {budget:>20} seed {seed}: tau {taus}; median {seconds[len(seconds) // 2]:.1f} s,"
                  f" max {seconds[-1]:.1f} s per candidate ({args.jobs} at a time);"
                  f" accuracies {' '.join('%.3f' % r['accuracy'] for r in scored)}", flush=True)

    # Per budget and score over its seeds: the spread of tau, and tau of the per-architecture mean.
    for budget, runs_of_budget in results.items():
        if len(runs_of_budget) > 1:
            for name, score in SCORES.items():
                values = [[score(r) for r in run] for run in runs_of_budget]
                taus = [kendall_tau(v, full) for v in values]
                mean = [sum(column) / len(column) for column in zip(*values)]
                print(f"budget {budget:>20} {name:>17} over {len(taus)} seeds: tau {min(taus):.3f}..{max(taus):.3f},"
                      f" mean {sum(taus) / len(taus):.3f}; tau of the mean score {kendall_tau(mean, full):.3f}")


if __name__ == "__main__":
    main()
