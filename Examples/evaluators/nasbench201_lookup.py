#!/usr/bin/env python3
"""Example command evaluator for `nasctl search --evaluator command:CMD`.

nasctl runs CMD once per candidate with the architecture JSON's path as the last argument
(and in NASCTL_ARCH); CMD prints one JSON object with "accuracy" (a fraction) and optionally
"latency_ms" on standard output. A non-zero exit, a time-out or unreadable output fails that
trial only.

This one looks the architecture up in a NAS-Bench-201 CSV instead of training it, so the
protocol can be tried in seconds:

  nasctl search --target-ms 30 --w 0 --space Configs/nasbench201.yaml --cycles 100 \
      --evaluator "command:python3 Examples/evaluators/nasbench201_lookup.py"

A real evaluator would build and train the network the decisions describe (see
Configs/mnasnet.yaml for what each decision means) and print its validation accuracy.
Environment: NB201_CSV (default ../shared/benchmarks/nasbench201/cifar10-valid.csv),
NB201_SLEEP (seconds to wait, to imitate training time).
"""
import csv
import json
import os
import sys
import time


def main():
    arch_path = sys.argv[-1] if len(sys.argv) > 1 else os.environ["NASCTL_ARCH"]
    with open(arch_path) as f:
        arch = json.load(f)
    decisions = arch["decisions"]
    table = os.environ.get("NB201_CSV", os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "benchmarks",
                                                     "nasbench201", "cifar10-valid.csv"))
    time.sleep(float(os.environ.get("NB201_SLEEP", "0")))
    with open(table) as f:
        for row in csv.DictReader(f):
            if all(row[name] == value for name, value in decisions.items()):
                print(json.dumps({"accuracy": float(row["accuracy"])}))
                return 0
    print(f"architecture not in {table}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
