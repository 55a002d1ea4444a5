#!/usr/bin/env python3
"""Issue 17's latency figures on this machine, in one run: profile, validate, transfer, ORT.

  python3 -u Benchmarks/latency_fidelity.py [--out DIR] [--backends nasctl,xnnpack]
      [--table-nasctl T] [--table-xnnpack T] [--seeds S1,S2,S3] [--skip-ort] [--skip-transfer]

For each backend: `nasctl profile` into DIR (timed; skipped when --table-<backend> names a
table), then `nasctl validate --samples 100` three times in a row on fresh seeds (default:
today's date with 0, 1, 2 appended, so a seed is not reused across days), then the latency
transfer to ONNX Runtime (`latency_transfer.py`) on 20 random architectures and on 20 trials
of the committed SHA study. For the native backend, MobileNetV2-1.0 against ONNX Runtime at 1
thread (with the per-layer table and pointwise vs sgemm) and at 2 threads
(`compare_ort.py`). Every step's output is kept in DIR; DIR/summary.md holds the figures
against the issue's targets with the CPU, ISA and commit, DIR/summary.json the same for scripts.

The steps run one after another (the machine has 2 cores: nothing else should run meanwhile).
About 30-40 minutes for both backends. Needs a release build of nasctl and kernel-bench
(`swift build -c release`) and `pip install onnx onnxruntime`.
"""
import argparse
import datetime
import json
import os
import re
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NASCTL = os.environ.get("NASCTL", os.path.join(ROOT, ".build/release/nasctl"))
KERNEL_BENCH = os.environ.get("KERNEL_BENCH", os.path.join(ROOT, ".build/release/kernel-bench"))
STUDY = os.path.join(ROOT, "Benchmarks/results/sha-1-9-eta3")

# Issue 17's targets (validate: each of three runs; transfer: native backend only).
WITHIN_10_TARGET, MEDIAN_ERROR_TARGET = 0.95, 3.0
TAU_RANDOM_TARGET, TAU_STUDY_TARGET = 0.85, 0.7
ORT_RATIO_TARGET = {1: 1.1, 2: 1.2}


def run(cmd, log, cwd=None):
    """Runs `cmd`, writing its stdout and stderr to `log`; returns (stdout, seconds)."""
    start = time.monotonic()
    print("$ " + " ".join(cmd), flush=True)
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd)
    with open(log, "w") as f:
        f.write(p.stdout)
        f.write(p.stderr)
    if p.returncode != 0:
        sys.exit(f"latency_fidelity: '{' '.join(cmd)}' failed with exit status {p.returncode}; its output is in {log}")
    return p.stdout, time.monotonic() - start


def machine():
    """CPU model, the ISA flags the issue asks to quote, nasctl's device id and the commit."""
    model = "unknown"
    flags = set()
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name") and model == "unknown":
                model = line.split(":", 1)[1].strip()
            if line.startswith("flags"):
                flags |= set(line.split(":", 1)[1].split())
    device = json.loads(subprocess.run([NASCTL, "device", "--json"], check=True, capture_output=True, text=True).stdout)
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"], capture_output=True, text=True).stdout.strip()
    return {"cpu": model, "isa": sorted(flags & {"avx2", "avx512f"}), "device_id": device["id"],
            "microarchitecture": device["identity"].get("microarchitecture"), "cores": device["identity"].get("cores"),
            "commit": commit + ("+dirty" if dirty else "")}


def transfer(table, study, out, log):
    """Kendall tau of predicted latency vs ONNX Runtime's (and the engine's own measured order)."""
    cmd = [sys.executable, "-u", os.path.join(ROOT, "Benchmarks/latency_transfer.py"), "--count", "20", "--table", table, "--out", out]
    if study:
        cmd += ["--study", study]
    _, seconds = run(cmd, log)
    with open(os.path.join(out, "transfer.json")) as f:
        t = json.load(f)
    return dict(t["at_level"], all_rounds=t["all_rounds"], passes_counted=t["ort_passes_counted"], passes_total=t["ort_passes_total"],
                reference_cv_pct=t["reference_cv_pct"], seconds=round(seconds))


def compare_ort(threads, log, full):
    """MobileNetV2-1.0 224 batch 1, nasctl / ONNX Runtime; with `full`, the per-layer and sgemm tables too."""
    cmd = [sys.executable, "-u", os.path.join(ROOT, "Benchmarks/compare_ort.py"), "--rounds", "5", "--threads", str(threads)]
    if not full:
        cmd += ["--skip-layers", "--skip-gemm"]
    stdout, seconds = run(cmd, log)
    m = re.search(r"MobileNetV2-1.0 224x224 batch 1: nasctl ([\d.]+) ms, onnxruntime ([\d.]+) ms, ratio nasctl/ort ([\d.]+)x", stdout)
    if not m:
        sys.exit(f"latency_fidelity: no MobileNetV2 line in {log}")
    shares = [int(s) for s in re.findall(r"\s(\d+)%\s+[\d.]+\s+\d+%\s*$", stdout, re.M)]
    return {"nasctl_ms": float(m[1]), "ort_ms": float(m[2]), "ratio": float(m[3]),
            "pointwise_pct_of_sgemm": [min(shares), max(shares)] if shares else None, "seconds": round(seconds)}


def mark(ok):
    return "met" if ok else "**missed**"


def main():
    today = datetime.date.today().strftime("%Y%m%d")
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=f"runs/latency-fidelity-{today}")
    ap.add_argument("--backends", default="nasctl,xnnpack", help="comma-separated: nasctl, xnnpack")
    ap.add_argument("--table-nasctl", help="validate this native table instead of profiling one")
    ap.add_argument("--table-xnnpack", help="validate this XNNPACK table instead of profiling one")
    ap.add_argument("--seeds", default=",".join(f"{today}{i}" for i in range(3)), help="three validate seeds never used before")
    ap.add_argument("--samples", type=int, default=100)
    ap.add_argument("--skip-transfer", action="store_true")
    ap.add_argument("--skip-ort", action="store_true")
    args = ap.parse_args()
    backends = [b for b in args.backends.split(",") if b]
    for b in backends:
        if b not in ("nasctl", "xnnpack"):
            sys.exit(f"latency_fidelity: unknown backend '{b}' in --backends (nasctl or xnnpack)")
    seeds = [int(s) for s in args.seeds.split(",")]
    if not os.access(NASCTL, os.X_OK):
        sys.exit(f"latency_fidelity: no release build at {NASCTL}; run `swift build -c release` first")
    # compare_ort.py needs kernel-bench too: say so now, not after half an hour of profiling.
    if not args.skip_ort and "nasctl" in backends and not os.access(KERNEL_BENCH, os.X_OK):
        sys.exit(f"latency_fidelity: no release build at {KERNEL_BENCH} (compare_ort.py needs it); run `swift build -c release` "
                 "(it builds both), or pass --skip-ort")
    os.makedirs(args.out, exist_ok=True)
    out = os.path.abspath(args.out)
    summary = {"machine": machine(), "date": datetime.datetime.now().isoformat(timespec="minutes"), "backends": {}}
    print(json.dumps(summary["machine"]), flush=True)

    for backend in backends:
        figures = summary["backends"].setdefault(backend, {})
        table = getattr(args, f"table_{backend}")
        if table is None:
            table = os.path.join(out, f"table-{backend}.json")
            stdout, seconds = run([NASCTL, "profile", "--backend", backend, "--output", table, "--json"], os.path.join(out, f"profile-{backend}.log"))
            profile = json.loads(stdout[stdout.index("{"):])
            figures["profile"] = {"seconds": round(profile["seconds"]), "wall_seconds": round(seconds), "entries": profile["entries"],
                                  "openblas_entries": profile.get("openblas_entries"),
                                  "noise": {k: v for k, v in (profile.get("noise") or {}).items() if not isinstance(v, list)}}
        figures["table"] = os.path.abspath(table)
        runs = []
        for seed in seeds:
            csv = os.path.join(out, f"validate-{backend}-{seed}.csv")
            stdout, seconds = run([NASCTL, "validate", "--table", table, "--samples", str(args.samples), "--seed", str(seed),
                                   "--csv", csv, "--json"], os.path.join(out, f"validate-{backend}-{seed}.log"))
            v = json.loads(stdout[stdout.index("{"):])
            runs.append({"seed": seed, "within_10pct": v["within_10pct"], "median_abs_error_pct": v["median_abs_error_pct"],
                         "noise_floor_pct": v["noise_floor_pct"], "bias_pct": v["bias_pct"], "kendall_tau": v["kendall_tau"],
                         "reference_drift_pct": v["reference"]["drift_pct"], "seconds": round(seconds)})
        figures["validate"] = runs
        if not args.skip_transfer:
            figures["transfer_random"] = transfer(table, None, os.path.join(out, f"transfer-{backend}-random"), os.path.join(out, f"transfer-{backend}-random.log"))
            if os.path.isdir(STUDY):
                figures["transfer_study"] = transfer(table, STUDY, os.path.join(out, f"transfer-{backend}-study"), os.path.join(out, f"transfer-{backend}-study.log"))
        with open(os.path.join(out, "summary.json"), "w") as f:
            json.dump(summary, f, indent=2)

    if not args.skip_ort and "nasctl" in backends:
        summary["ort"] = {str(t): compare_ort(t, os.path.join(out, f"compare-ort-{t}t.log"), full=(t == 1)) for t in (1, 2)}

    with open(os.path.join(out, "summary.json"), "w") as f:
        json.dump(summary, f, indent=2)
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write(report(summary, args.samples))
    print(open(os.path.join(out, "summary.md")).read())


def report(summary, samples):
    """The figures as Markdown, each against its target."""
    m = summary["machine"]
    lines = [f"Latency fidelity on {m['cpu']} ({m['microarchitecture']}, {m['cores']} cores, ISA: {', '.join(m['isa']) or 'neither avx2 nor avx512f'}), "
             f"device `{m['device_id']}`, commit {m['commit']}, {summary['date']}.", ""]
    lines += ["| backend | figure | measured | target | result |", "|---|---|---|---|---|"]
    for backend, f in summary["backends"].items():
        if "profile" in f:
            p = f["profile"]
            limit = 180 if "avx512f" in m["isa"] else 300
            cv = (p.get("noise") or {}).get("reference_cv_pct")
            lines.append(f"| {backend} | profile time | {p['seconds'] // 60}:{p['seconds'] % 60:02d} ({p['entries']} layers"
                         + (f", reference CV {cv:.1f}%" if cv is not None else "") + f") | {limit // 60} min | {mark(p['seconds'] <= limit)} |")
            n = p.get("noise") or {}
            if n.get("build_seconds") is not None:
                parts = {"building networks": n["build_seconds"], "executors": n.get("setup_seconds") or 0,
                         "reference passes": n.get("reference_seconds") or 0}
                parts["timing layers"] = max(0, p["seconds"] - sum(parts.values()))
                lines.append(f"| {backend} | where the profile's time went | " + ", ".join(f"{k} {v:.0f} s" for k, v in parts.items())
                             + f" ({n.get('networks')} networks) | | |")
            if n.get("network_interval_pct") is not None:
                lines.append(f"| {backend} | table precision: whole networks' median 95% interval | ±{n['network_interval_pct']:.2f}% "
                             f"({n.get('wide_entries')} entries wider than ±5%; too_noisy: {str(n.get('too_noisy')).lower()}) | | |")
        v = f["validate"]
        ok = all(r["within_10pct"] >= WITHIN_10_TARGET and r["median_abs_error_pct"] <= MEDIAN_ERROR_TARGET for r in v)
        lines.append(f"| {backend} | validate --samples {samples}, seeds {', '.join(str(r['seed']) for r in v)}: within ±10% / median error "
                     f"(noise floor) | {', '.join('%.0f%%' % (100 * r['within_10pct']) for r in v)} / "
                     f"{', '.join('%.2f%%' % r['median_abs_error_pct'] for r in v)} ({', '.join('%.1f%%' % r['noise_floor_pct'] for r in v)}) "
                     f"| each ≥95% / ≤3% | {mark(ok)} |")
        for key, label, target in (("transfer_random", "20 random architectures", TAU_RANDOM_TARGET), ("transfer_study", "20 study trials", TAU_STUDY_TARGET)):
            if key in f:
                t = f[key]
                measured = (f"{t['tau_predicted_vs_ort']:.3f} (engine measured vs ORT {t['tau_measured_vs_ort']:.3f}, "
                            f"predicted vs measured {t['tau_predicted_vs_measured']:.3f}, median {t['median_nasctl_over_ort']:.2f}x ORT; "
                            f"{t['passes_counted']} of {t['passes_total']} ORT passes at the reference's level, "
                            f"all passes {t['all_rounds']['tau_predicted_vs_ort']:.3f})")
                if backend == "nasctl":
                    lines.append(f"| {backend} | transfer tau, {label} | {measured} | ≥{target} | {mark(t['tau_predicted_vs_ort'] >= target)} |")
                else:
                    lines.append(f"| {backend} | transfer tau, {label} | {measured} | report | reported |")
    for threads, o in (summary.get("ort") or {}).items():
        target = ORT_RATIO_TARGET[int(threads)]
        lines.append(f"| nasctl | MobileNetV2-1.0 224, {threads} thread(s), nasctl / ORT | {o['ratio']:.2f}x ({o['nasctl_ms']:.2f} / {o['ort_ms']:.2f} ms) "
                     f"| ≤{target}x | {mark(o['ratio'] <= target)} |")
        if o.get("pointwise_pct_of_sgemm"):
            lo, hi = o["pointwise_pct_of_sgemm"]
            lines.append(f"| nasctl | pointwise conv, % of OpenBLAS sgemm GFLOP/s, {threads} thread(s) | {lo}-{hi}% | ≥90% | {mark(lo >= 90)} |")
    lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
