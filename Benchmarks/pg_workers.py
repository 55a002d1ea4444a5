#!/usr/bin/env python3
"""Several nasctl processes on one PostgreSQL study (issue 15's targets), against the server
scripts/test-postgres.sh starts (or any, through NASCTL_TEST_POSTGRES=postgresql://USER@HOST:PORT/DB):

  bash scripts/test-postgres.sh python3 Benchmarks/pg_workers.py [--kill] [--nasbench SEEDS] [--throughput N]

--kill        4 worker processes (one `search`, three `worker`) on a study with a slow command
              evaluator; two of them are killed with kill -9 at random moments while they run a
              trial, and started again. Checks: the budget reached exactly, no trial number lost or
              repeated, every trial killed mid-run taken over exactly once, no other.
--nasbench S  NAS-Bench-201 CIFAR-10 (table evaluator), evolution, 100 trials, 4 processes started
              together on each seed's study (every `search --study URL` is one more worker):
              mean best validation accuracy over seeds S (e.g. 1-50), and each process's share.
--throughput N  N table-evaluator trials through 4 processes: trials per second, wall clock.

Needs a release build (NASCTL=path, default .build/release/nasctl) and psql on PATH.
"""
import argparse
import json
import os
import random
import signal
import statistics
import subprocess
import time
import uuid

from hpolib_optuna import seeds

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NASCTL = os.environ.get("NASCTL", os.path.join(ROOT, ".build/release/nasctl"))
SERVER = os.environ.get("NASCTL_TEST_POSTGRES")
SPACE = os.path.join(ROOT, "Configs", "nasbench201.yaml")
TABLE = os.path.join(ROOT, "..", "shared", "benchmarks", "nasbench201", "cifar10-valid.csv")


def sql(query, check=True):
    """Rows of `query` on the server, as lists of strings (none when it fails and not `check`)."""
    done = subprocess.run(["psql", SERVER, "-At", "-F", "\t", "-c", query], capture_output=True, text=True)
    if done.returncode != 0:
        if check:
            raise SystemExit(f"psql: {done.stderr.strip()}")
        return []
    out = done.stdout
    return [line.split("\t") for line in out.splitlines() if line]


def start(arguments, log):
    return subprocess.Popen([NASCTL] + arguments, stdout=open(log + ".out", "w"), stderr=open(log + ".err", "w"))


def kill_test(workdir, budget=160, heartbeat=1.0, seed=1):
    study = f"kill-{uuid.uuid4().hex[:8]}"
    url = f"{SERVER}?study={study}"
    command = 'command:sleep 0.5; n=$(grep -c nor_conv "$NASCTL_ARCH"); echo "{\\"accuracy\\": 0.$((n + 1))}"; :'
    common = ["--workers", "1", "--heartbeat", str(heartbeat), "--json"]
    search = ["search", "--space", SPACE, "--evaluator", command, "--cycles", str(budget), "--population", "10", "--sample", "3",
              "--seed", str(seed), "--study", url] + common
    worker = ["worker", "--study", url] + common
    procs = {0: start(search + ["--workdir", f"{workdir}/w0"], f"{workdir}/w0")}
    while not sql(f"SELECT 1 FROM nasctl_studies WHERE name = '{study}'", check=False):
        time.sleep(0.1)
    for i in (1, 2, 3):
        procs[i] = start(worker + ["--workdir", f"{workdir}/w{i}"], f"{workdir}/w{i}")
    rng = random.Random(seed)
    victims = rng.sample([0, 1, 2, 3], 2)
    killed = []
    started = time.time()
    for n, victim in enumerate(victims):
        time.sleep(rng.uniform(1, 5))
        pid = procs[victim].pid
        running = []
        query = f"SELECT number FROM nasctl_trials WHERE study = '{study}' AND status = 'running' AND starts_with(claim, '{pid}@')"
        while not running:  # kill while it runs a trial
            if procs[victim].poll() is not None:
                raise SystemExit(f"worker {victim} ended before it could be killed; raise the budget")
            if sql(query):
                os.kill(pid, signal.SIGSTOP)  # frozen, so that the trial it holds is read without racing its end
                running = sql(query)
                if not running:
                    os.kill(pid, signal.SIGCONT)
            time.sleep(0.02)
        os.kill(pid, signal.SIGKILL)
        procs[victim].wait()
        killed.append(int(running[0][0]))
        print(f"  {time.time() - started:5.1f} s: kill -9 worker {victim} (pid {pid}) running trial {running[0][0]}")
        time.sleep(1)
        procs[f"{victim}'"] = start(worker + ["--workdir", f"{workdir}/r{n}"], f"{workdir}/r{n}")
    codes = {name: p.wait() for name, p in procs.items() if name not in victims}
    wall = time.time() - started
    rows = sql(f"SELECT number, status, attempts FROM nasctl_trials WHERE study = '{study}' ORDER BY number")
    numbers = [int(r[0]) for r in rows]
    retaken = sorted(int(r[0]) for r in rows if int(r[2]) > 0)
    print(f"--kill: budget {budget}, 4 workers, 2 killed with kill -9 and restarted, heartbeat {heartbeat} s: {wall:.1f} s")
    print(f"  exit codes of the survivors and restarts: {codes}")
    print(f"  trials {len(rows)}; numbers 0..{budget - 1} each once: {numbers == list(range(budget))}; "
          f"all ended: {all(r[1] in ('done', 'cached') for r in rows)}")
    print(f"  killed mid-trial: {sorted(killed)}; taken over: {retaken}; each once: "
          f"{all(int(r[2]) == 1 for r in rows if int(r[0]) in killed)}")
    ok = numbers == list(range(budget)) and retaken == sorted(killed) and all(c == 0 for c in codes.values())
    print("  PASS" if ok else "  FAIL")
    return ok


def four_processes(study, arguments, workdir):
    url = f"{SERVER}?study={study}"
    procs = [start(arguments + ["--study", url, "--workers", "1", "--workdir", f"{workdir}/{study}-{i}", "--json"], f"{workdir}/{study}-{i}")
             for i in range(4)]
    codes = [p.wait() for p in procs]
    if any(codes):
        raise SystemExit(f"{study}: exit codes {codes}; see {workdir}/{study}-*.err")
    return url


def nasbench(seeds, workdir):
    bests, shares = [], []
    for seed in seeds:
        study = f"nb201-{seed}-{uuid.uuid4().hex[:6]}"
        four_processes(study, ["search", "--space", SPACE, "--evaluator", f"table:{TABLE}", "--cycles", "100", "--population", "20",
                               "--sample", "5", "--seed", str(seed)], workdir)
        bests.append(float(sql(f"SELECT max(accuracy) FROM nasctl_trials WHERE study = '{study}'")[0][0]))
        by = sql(f"SELECT count(*) FROM nasctl_trials WHERE study = '{study}' GROUP BY split_part(claim, '/', 2) ORDER BY 1 DESC")
        shares.append([int(r[0]) for r in by])
    single = []
    for seed in seeds:  # the same seeds, one process on a folder study
        out = subprocess.run([NASCTL, "search", "--space", SPACE, "--evaluator", f"table:{TABLE}", "--cycles", "100", "--population", "20",
                              "--sample", "5", "--seed", str(seed), "--workers", "1", "--study", f"{workdir}/single-{seed}", "--json"],
                             check=True, capture_output=True, text=True).stdout
        single.append(json.loads(out)["best"]["accuracy"])
    print(f"--nasbench: NAS-Bench-201 CIFAR-10, evolution P 20 S 5, 100 trials, 4 processes per study, {len(seeds)} seeds")
    print(f"  one process on a folder study, same seeds: mean best {statistics.mean(single):.4f} (median {statistics.median(single):.4f}, "
          f"sd {statistics.stdev(single) if len(single) > 1 else 0:.4f})")
    print(f"  mean best validation accuracy {statistics.mean(bests):.4f} (median {statistics.median(bests):.4f}, "
          f"sd {statistics.stdev(bests) if len(bests) > 1 else 0:.4f})")
    print(f"  trials per process, median over seeds of the sorted shares: "
          f"{[statistics.median(s[i] if i < len(s) else 0 for s in shares) for i in range(4)]}")


def throughput(n, workdir):
    study = f"rate-{uuid.uuid4().hex[:8]}"
    started = time.time()
    four_processes(study, ["search", "--space", SPACE, "--evaluator", f"table:{TABLE}", "--cycles", str(n), "--strategy", "random",
                           "--seed", "1"], workdir)
    wall = time.time() - started
    count, evaluated = sql(f"SELECT count(*), count(*) FILTER (WHERE status = 'done') FROM nasctl_trials WHERE study = '{study}'")[0]
    print(f"--throughput: {count} trials ({evaluated} evaluated, the rest answered from the cache) by 4 processes in {wall:.1f} s: "
          f"{int(count) / wall:.0f} trials/s (process starts included)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kill", action="store_true")
    ap.add_argument("--nasbench")
    ap.add_argument("--throughput", type=int)
    args = ap.parse_args()
    if not SERVER:
        raise SystemExit("no server: run under scripts/test-postgres.sh or set NASCTL_TEST_POSTGRES")
    workdir = os.path.join("/tmp", f"nasctl-pg-bench-{uuid.uuid4().hex[:6]}")
    os.makedirs(workdir)
    subprocess.run(["psql", SERVER, "-Atc", "SELECT version()"], check=True)
    if args.kill:
        kill_test(workdir)
    if args.nasbench:
        nasbench(seeds(args.nasbench), workdir)
    if args.throughput:
        throughput(args.throughput, workdir)


if __name__ == "__main__":
    main()
