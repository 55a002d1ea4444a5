#!/usr/bin/env python3
"""How well the proxy evaluator ranks architectures: Kendall tau between the proxy accuracy a
search recorded and the test accuracy after full training (`nasctl train --epochs E`).

  python3 Benchmarks/proxy_rank.py --study runs/search-... [--count 10] [--epochs 10] [--jobs 2]

Picks --count done trials spread evenly over the study's proxy-accuracy range, trains each with
`nasctl train` (--jobs processes at a time; each trains on one core) and prints both accuracies
and Kendall's tau-b. Needs a release build.
"""
import argparse
import json
import os
import sqlite3
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NASCTL = os.path.join(ROOT, ".build/release/nasctl")


def kendall_tau(a, b):
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


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--study", required=True)
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--epochs", type=float, default=10)
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    db = sqlite3.connect(os.path.join(args.study, "study.sqlite"))
    settings = json.loads(db.execute("SELECT value FROM meta WHERE name = 'settings'").fetchone()[0])
    space = settings["spaceFile"]
    rows = db.execute("SELECT number, key, decisions, accuracy FROM trials WHERE status = 'done' ORDER BY accuracy").fetchall()
    picks = [rows[round(i * (len(rows) - 1) / max(args.count - 1, 1))] for i in range(min(args.count, len(rows)))]
    workdir = tempfile.mkdtemp(prefix="proxy-rank-")

    def train(row):
        number, key, decisions, proxy = row
        values = json.loads(decisions)
        # Decision names in space order come from the study's trials.csv header.
        header = open(os.path.join(args.study, "trials.csv")).readline().strip().split(",")
        decision_names = header[13:]
        arch = {"space": settings["space"], "decisions": dict(zip(decision_names, values))}
        path = os.path.join(workdir, f"trial-{number}.json")
        with open(path, "w") as f:
            json.dump(arch, f)
        out = subprocess.run([NASCTL, "train", "--arch", path, "--space", space, "--epochs", str(args.epochs), "--json"],
                             check=True, capture_output=True, text=True, cwd=ROOT).stdout
        return number, proxy, json.loads(out)["test_accuracy"]

    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(train, picks))
    print(f"{'trial':>6} {'proxy acc':>10} {'test acc after ' + str(args.epochs) + ' epochs':>26}")
    for number, proxy, full in results:
        print(f"{number:6d} {proxy:10.4f} {full:26.4f}")
    tau = kendall_tau([r[1] for r in results], [r[2] for r in results])
    print(f"Kendall tau (proxy vs {args.epochs}-epoch test accuracy) over {len(results)} architectures: {tau:.3f}")


if __name__ == "__main__":
    main()
