#!/usr/bin/env python3
"""What are a profile's timings made at another speed of the machine worth?

  python3 Benchmarks/offlevel_timings.py TABLE [--write PREFIX]

A latency table records, for each sample of each entry, the two reference passes timed around
it (`context_reference_ms`) and the level the profile settled on (`noise.level_ms`). A sample
is off the level when either pass lies more than the drift tolerance from it. For every entry
holding samples of both kinds this prints how far the off-level samples' median lies from the
median of the samples at the level: as timed, and scaled by level / (mean of the two passes),
which is what a correction by the reference's speed would do.

With --write it also writes three tables built from the same timings, for `nasctl validate`:
PREFIX-scale.json (every off-level sample scaled), PREFIX-drop.json (off-level samples dropped
where the entry has one at the level: what `nasctl profile` keeps since 2026-12-07) and
PREFIX-dropscale.json (dropped, and scaled in entries with none at the level).

Only tables profiled with a spent re-timing budget hold off-level samples (`nasctl profile
--retime-budget 0.1` spends it early); plain JSON, no dependencies.
"""
import argparse
import copy
import json
import math
import statistics


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("table")
    ap.add_argument("--write", metavar="PREFIX", help="write the three rewritten tables PREFIX-{scale,drop,dropscale}.json")
    args = ap.parse_args()
    with open(args.table) as f:
        table = json.load(f)
    noise = table.get("noise") or {}
    level = noise.get("level_ms")
    if not level or not all("context_reference_ms" in e for e in table["entries"]):
        raise SystemExit(f"{args.table}: no level or no context_reference_ms (profile it with a nasctl of 2026-12-07 or later)")
    tolerance = table["engine"]["measurement"]["drift_tolerance_pct"] / 100

    def off(passes):
        return any(abs(p / level - 1) > tolerance for p in passes)

    def factor(passes):
        return level / (sum(passes) / len(passes))

    raw, scaled, offCount, entriesWithOff, withoutSteady, factors = [], [], 0, 0, 0, []
    for e in table["entries"]:
        refs, samples = e["context_reference_ms"], e["samples_ms"]
        offs = [i for i, r in enumerate(refs) if off(r)]
        if not offs:
            continue
        entriesWithOff += 1
        offCount += len(offs)
        factors += [factor(refs[i]) for i in offs]
        steady = [samples[i] for i in range(len(samples)) if i not in offs]
        if not steady:
            withoutSteady += 1
            continue
        m = statistics.median(steady)
        raw.append(math.log(statistics.median([samples[i] for i in offs]) / m))
        scaled.append(math.log(statistics.median([samples[i] * factor(refs[i]) for i in offs]) / m))

    print(f"level {level:.3f} ms; {offCount} off-level samples in {entriesWithOff} entries, {withoutSteady} of them with none at the level")
    if raw:
        def quantiles(xs):
            xs = sorted(xs)
            return ", ".join(f"{100 * (math.exp(xs[int(q * (len(xs) - 1))]) - 1):+.1f}%" for q in (0.1, 0.25, 0.5, 0.75, 0.9))
        print(f"off-level median / median at the level, {len(raw)} entries (10/25/50/75/90%):")
        print(f"  as timed: {quantiles(raw)}")
        print(f"  scaled:   {quantiles(scaled)}")
        print(f"scale factors: median {statistics.median(factors):.3f}")

    if args.write:
        for mode in ("scale", "drop", "dropscale"):
            out = copy.deepcopy(table)
            for e in out["entries"]:
                refs, samples, macs = e["context_reference_ms"], e["samples_ms"], e["context_macs"]
                offs = {i for i, r in enumerate(refs) if off(r)}
                if not offs:
                    continue
                keep = list(range(len(samples)))
                if mode == "scale" or (mode == "dropscale" and len(offs) == len(samples)):
                    samples = [x * factor(refs[i]) if i in offs else x for i, x in enumerate(samples)]
                elif len(offs) < len(samples):
                    keep = [i for i in keep if i not in offs]
                e["samples_ms"] = [samples[i] for i in keep]
                e["context_macs"] = [macs[i] for i in keep]
                e["context_reference_ms"] = [refs[i] for i in keep]
                e["contexts"] = len(keep)
                e["median_ms"] = statistics.median(e["samples_ms"])
            path = f"{args.write}-{mode}.json"
            with open(path, "w") as f:
                json.dump(out, f)
            print(f"wrote {path}")


if __name__ == "__main__":
    main()
