#!/usr/bin/env python3
"""Two objectives from the evaluator, no latency: validation MSE against model size on HPOLib
naval propulsion, nasctl's NSGA-II (and its single-objective strategies, which record the second
objective too) against Optuna's NSGAIISampler and RandomSampler, same table, same budget, same
seeds, in one run (../shared/BENCHMARKING.md, "Hyper-parameter benchmarks").

The table has one metric, `mse`; the second, `n_params`, is the network's parameter count, computed from its
two hidden widths: (16 + 1) * n_units_1 + (n_units_1 + 1) * n_units_2 + (n_units_2 + 1), 16 input
features (the naval data set's). It is written with the table to a temporary folder, never into
the repository. Both objectives are minimised.

Quality: the hypervolume of each run's final front in (log10 mse, log10 params), normalised by
the box from the table's minima to its maxima (the reference point), so 1 would be one
configuration at both minima. Mean and median over seeds.

  python3 Benchmarks/hpolib_pareto.py [--seeds 1-50] [--trials 100] [--jobs 2] [--population 10] \
      [--nasctl nsga2,random,tpe] [--optuna nsga2,random] [--table FILE]

Needs a release build of nasctl (NASCTL=path, default .build/release/nasctl) and Optuna from PyPI
(benchmark-only).
"""
import argparse
import concurrent.futures
import csv
import math
import os
import statistics
import subprocess
import tempfile
import time

from hpolib_optuna import CATEGORICAL, COLUMNS, NASCTL, SPACE, TABLE, seeds, suggest_key


def params(n1, n2):
    return (16 + 1) * n1 + (n1 + 1) * n2 + (n2 + 1)


def write_table(source, target):
    """`source` with a `params` column; returns {key: (mse, params)}."""
    rows = {}
    with open(source) as f, open(target, "w", newline="") as out:
        reader = csv.DictReader(f)
        writer = csv.DictWriter(out, fieldnames=reader.fieldnames + ["n_params"])
        writer.writeheader()
        for r in reader:
            r["n_params"] = params(int(float(r["n_units_1"])), int(float(r["n_units_2"])))
            writer.writerow(r)
            key = tuple(r[c] if c in CATEGORICAL else float(r[c]) for c in COLUMNS)
            rows[key] = (float(r["mse"]), float(r["n_params"]))
    return rows


def hypervolume(points, low, high):
    """2-D hypervolume of `points` (both minimised, in log10) within the box [low, high]."""
    pts = sorted({(min(max(math.log10(a), low[0]), high[0]), min(max(math.log10(b), low[1]), high[1])) for a, b in points})
    area, best_y = 0.0, high[1]
    for i, (x, y) in enumerate(pts):
        if y < best_y:
            # This point improves the second objective from x up to the reference.
            area += (high[0] - x) * (best_y - y)
            best_y = y
    return area / ((high[0] - low[0]) * (high[1] - low[1]))


def run_nasctl(strategy, seed, trials, population, workdir, table_path):
    study = os.path.join(workdir, f"nasctl-{strategy}-{seed}")
    subprocess.run([NASCTL, "search", "--space", SPACE, "--evaluator", f"table:{table_path}",
                    "--objective", "mse", "--direction", "minimize", "--objective", "n_params", "--direction", "minimize",
                    "--strategy", strategy, "--population", str(population), "--sample", "3",
                    "--cycles", str(trials), "--workers", "1", "--seed", str(seed), "--study", study, "--json"],
                   check=True, capture_output=True, text=True)
    with open(os.path.join(study, "trials.csv")) as f:
        return [(float(r["mse"]), float(r["n_params"])) for r in csv.DictReader(f) if r["status"] in ("done", "cached")]


def run_optuna(sampler_name, seed, trials, population, table):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if sampler_name == "nsga2":
        sampler = optuna.samplers.NSGAIISampler(seed=seed, population_size=population)
    else:
        sampler = optuna.samplers.RandomSampler(seed=seed)

    def objective(trial):
        return table[suggest_key(trial)]

    study = optuna.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(objective, n_trials=trials)
    return [tuple(t.values) for t in study.trials if t.values is not None]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="1-50")
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--population", type=int, default=10)
    ap.add_argument("--nasctl", default="nsga2,random,tpe")
    ap.add_argument("--optuna", default="nsga2,random")
    ap.add_argument("--table", default=TABLE)
    args = ap.parse_args()
    seed_list = seeds(args.seeds)
    n = len(seed_list)
    results, seconds = {}, {}
    with tempfile.TemporaryDirectory() as workdir, concurrent.futures.ProcessPoolExecutor(args.jobs) as pool:
        table_path = os.path.join(workdir, "hpolib-params.csv")
        table = write_table(args.table, table_path)
        values = list(table.values())
        low = (math.log10(min(v[0] for v in values)), math.log10(min(v[1] for v in values)))
        high = (math.log10(max(v[0] for v in values)), math.log10(max(v[1] for v in values)))
        best = hypervolume(values, low, high)
        for s in filter(None, args.nasctl.split(",")):
            start = time.time()
            results[f"nasctl {s}"] = list(pool.map(run_nasctl, [s] * n, seed_list, [args.trials] * n, [args.population] * n, [workdir] * n,
                                                      [table_path] * n))
            seconds[f"nasctl {s}"] = time.time() - start
        for s in filter(None, args.optuna.split(",")):
            start = time.time()
            results[f"optuna {s}"] = list(pool.map(run_optuna, [s] * n, seed_list, [args.trials] * n, [args.population] * n, [table] * n))
            seconds[f"optuna {s}"] = time.time() - start
    print(f"HPOLib {os.path.basename(args.table)}: mse x params, {args.trials} trials, population {args.population}, seeds {args.seeds} ({n} runs)")
    print(f"hypervolume of the whole table's front: {best:.4f} (the most any run can reach)")
    print(f"{'method':22} {'median':>7} {'mean':>7} {'wall s':>7}   hypervolume (log10 mse x log10 params, normalised)")
    volumes = {name: [hypervolume(points, low, high) for points in runs] for name, runs in results.items()}
    for name, hv in volumes.items():
        print(f"{name:22} {statistics.median(hv):7.4f} {statistics.mean(hv):7.4f} {seconds[name]:7.1f}")
    if "nasctl nsga2" in volumes:
        mine = volumes["nasctl nsga2"]
        for name, other in volumes.items():
            if name != "nasctl nsga2":
                better = sum(a > b for a, b in zip(mine, other))
                print(f"nasctl nsga2 vs {name}: larger on {better}, smaller on {sum(a < b for a, b in zip(mine, other))} of {n} seeds")


if __name__ == "__main__":
    main()
