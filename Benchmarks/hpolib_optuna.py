#!/usr/bin/env python3
"""nasctl's strategies against Optuna's samplers on HPOLib naval propulsion, same table, same
budget (100 trials), same seeds, in one run (../shared/BENCHMARKING.md, "Hyper-parameter
benchmarks").

Regret = best MSE found minus the table's minimum, log10, floored at 1e-12 (an exact hit is -12).
Optuna encodes the numeric hyper-parameters as ordered indices (suggest_int over 0..k-1) and the
others as categories (suggest_categorical), as ../shared/benchmarks/hpolib/README.md's reference
figures do; nasctl reads Configs/hpolib.yaml (the same numbers as ordinal decisions).

  python3 Benchmarks/hpolib_optuna.py [--seeds 1-50] [--trials 100] [--jobs 2] \
      [--nasctl tpe,random,evolution,reinforce] [--optuna tpe,tpe-multivariate,random] [--table FILE]

Needs a release build of nasctl (NASCTL=path, default .build/release/nasctl) and Optuna from PyPI
(benchmark-only: `pip install optuna`).
"""
import argparse
import concurrent.futures
import csv
import json
import math
import os
import statistics
import subprocess
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NASCTL = os.environ.get("NASCTL", os.path.join(ROOT, ".build/release/nasctl"))
TABLE = os.path.join(ROOT, "..", "shared", "benchmarks", "hpolib", "naval_propulsion.csv")
SPACE = os.path.join(ROOT, "Configs", "hpolib.yaml")
NUMERIC = {
    "batch_size": [8, 16, 32, 64],
    "dropout_1": [0.0, 0.3, 0.6],
    "dropout_2": [0.0, 0.3, 0.6],
    "init_lr": [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1],
    "n_units_1": [16, 32, 64, 128, 256, 512],
    "n_units_2": [16, 32, 64, 128, 256, 512],
}
CATEGORICAL = {"activation_fn_1": ["relu", "tanh"], "activation_fn_2": ["relu", "tanh"], "lr_schedule": ["cosine", "const"]}
COLUMNS = ["activation_fn_1", "activation_fn_2", "batch_size", "dropout_1", "dropout_2", "init_lr", "lr_schedule", "n_units_1", "n_units_2"]


def load_table(path):
    rows = {}
    with open(path) as f:
        for r in csv.DictReader(f):
            key = tuple(r[c] if c in CATEGORICAL else float(r[c]) for c in COLUMNS)
            rows[key] = float(r["mse"])
    return rows


def log_regret(best, optimum):
    return math.log10(max(best - optimum, 1e-12))


def run_nasctl(strategy, seed, trials, workdir, table_path):
    study = os.path.join(workdir, f"nasctl-{strategy}-{seed}")
    out = subprocess.run([NASCTL, "search", "--space", SPACE, "--evaluator", f"table:{table_path}", "--objective", "mse",
                          "--direction", "minimize", "--strategy", strategy, "--population", "10", "--sample", "3",
                          "--cycles", str(trials), "--workers", "1", "--seed", str(seed), "--study", study, "--json"],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["best"]["value"]


def suggest_key(trial):
    """An Optuna trial's configuration as a table key: numeric hyper-parameters as ordered
    indices, the others as categories."""
    key = []
    for c in COLUMNS:
        if c in CATEGORICAL:
            key.append(trial.suggest_categorical(c, CATEGORICAL[c]))
        else:
            key.append(NUMERIC[c][trial.suggest_int(c, 0, len(NUMERIC[c]) - 1)])
    return tuple(key)


def run_optuna(sampler_name, seed, trials, table):
    import optuna
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    if sampler_name == "tpe":
        sampler = optuna.samplers.TPESampler(seed=seed)
    elif sampler_name == "tpe-multivariate":
        sampler = optuna.samplers.TPESampler(seed=seed, multivariate=True)
    else:
        sampler = optuna.samplers.RandomSampler(seed=seed)

    def objective(trial):
        return table[suggest_key(trial)]

    study = optuna.create_study(direction="minimize", sampler=sampler)
    study.optimize(objective, n_trials=trials)
    return study.best_value


def seeds(text):
    low, _, high = text.partition("-")
    return list(range(int(low), int(high or low) + 1))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", default="1-50")
    ap.add_argument("--trials", type=int, default=100)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--nasctl", default="tpe,random,evolution")
    ap.add_argument("--optuna", default="tpe,tpe-multivariate,random")
    ap.add_argument("--table", default=TABLE, help="an HPOLib table with the same columns (naval, parkinsons, protein, slice)")
    args = ap.parse_args()
    table = load_table(args.table)
    optimum = min(table.values())
    seed_list = seeds(args.seeds)
    results, seconds = {}, {}
    with tempfile.TemporaryDirectory() as workdir, concurrent.futures.ProcessPoolExecutor(args.jobs) as pool:
        for s in filter(None, args.nasctl.split(",")):
            start = time.time()
            results[f"nasctl {s}"] = list(pool.map(run_nasctl, [s] * len(seed_list), seed_list, [args.trials] * len(seed_list), [workdir] * len(seed_list),
                                                      [args.table] * len(seed_list)))
            seconds[f"nasctl {s}"] = time.time() - start
        for s in filter(None, args.optuna.split(",")):
            start = time.time()
            results[f"optuna {s}"] = list(pool.map(run_optuna, [s] * len(seed_list), seed_list, [args.trials] * len(seed_list), [table] * len(seed_list)))
            seconds[f"optuna {s}"] = time.time() - start
    print(f"HPOLib {os.path.basename(args.table)}, {args.trials} trials, seeds {args.seeds} ({len(seed_list)} runs), table minimum {optimum:.4g}")
    print(f"{'method':26} {'median':>7} {'mean':>7} {'hit':>6} {'wall s':>7}   log10 regret")
    for name, bests in results.items():
        regrets = [log_regret(b, optimum) for b in bests]
        hits = sum(r <= -12 for r in regrets)
        print(f"{name:26} {statistics.median(regrets):7.2f} {statistics.mean(regrets):7.2f} {hits / len(regrets):6.0%} {seconds[name]:7.1f}")
    if "nasctl tpe" in results:
        mine = [log_regret(b, optimum) for b in results["nasctl tpe"]]
        for name, bests in results.items():
            if name == "nasctl tpe":
                continue
            other = [log_regret(b, optimum) for b in bests]
            better = sum(a < b for a, b in zip(mine, other))
            ties = sum(a == b for a, b in zip(mine, other))
            print(f"nasctl tpe vs {name}: lower regret on {better}, tied on {ties}, higher on {len(mine) - better - ties} of {len(mine)} seeds")


if __name__ == "__main__":
    main()
