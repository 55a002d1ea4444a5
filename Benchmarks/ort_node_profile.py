#!/usr/bin/env python3
"""Where does ONNX Runtime spend a network's time? Per-node profile of nasctl-exported networks,
to see what ORT charges for squeeze-excite (SE) beyond what nasctl's table predicts.

  python3 Benchmarks/ort_node_profile.py --table T [--count 20] [--seed 1] [--runs 30]
  python3 Benchmarks/ort_node_profile.py --block [--rounds 7]

Networks: the same seeded uniform architectures as `latency_transfer.py --count N --seed S`,
exported with `nasctl export`, run in ORT (1 thread, all graph optimisations) with its profiler
on. Per network: the sum of the nodes' median kernel times, and the part spent on layout
reorders (ReorderInput/ReorderOutput, between ORT's blocked NCHWc convolutions and plain NCHW
operators) plus the NCHW Mul and GlobalAveragePool nodes, which in these networks come only
from SE blocks and the head. Prints Kendall tau of nasctl's prediction against ORT's node sum
with and without that part.

--block: one MBConv (24 -> 144 -> 24 channels, 3x3, 56x56, skip) without SE, with the exporter's
SE (GlobalAveragePool, Conv+Relu, Conv+Sigmoid, Mul), with ReduceMean for the pool, and with
the gate expanded to the full tensor before the Mul (Expand or nearest Resize): whole-block
medians, rounds interleaved, then the per-node profile of the exporter's form.

Needs `pip install onnx onnxruntime pyyaml` (benchmark only) and a release build.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(__file__))
from latency_transfer import ROOT, NASCTL, random_architectures  # noqa: E402
from onnx_layers import GraphBuilder  # noqa: E402
from proxy_rank import kendall_tau  # noqa: E402


def session(model_bytes_or_path, profile_prefix=None):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if profile_prefix:
        opts.enable_profiling = True
        opts.profile_file_prefix = profile_prefix
    return ort.InferenceSession(model_bytes_or_path, opts, providers=["CPUExecutionProvider"])


def node_medians(sess, x, runs):
    """{(node name, op type): median kernel ms over the last `runs` runs} from ORT's profiler."""
    for _ in range(5):
        sess.run(None, {"input": x})
    for _ in range(runs):
        sess.run(None, {"input": x})
    path = sess.end_profiling()
    with open(path) as f:
        events = json.load(f)
    os.remove(path)
    per = {}
    for e in events:
        if e.get("cat") == "Node" and e["name"].endswith("_kernel_time"):
            per.setdefault((e["name"], e["args"].get("op_name", "")), []).append(e["dur"])
    return {k: statistics.median(v[-runs:]) / 1000 for k, v in per.items()}


def se_block(form, c=24, e=6, h=56):
    """One MBConv with skip; `form`: none, export, reducemean, expand or resize."""
    g = GraphBuilder(0)
    ce = c * e
    t = g.conv("input", c, ce, 1, 1, "relu6")
    t = g.conv(t, ce, ce, 3, 1, "relu6", groups=ce)
    if form != "none":
        pooled = g.name("pool")
        if form == "reducemean":
            g.nodes.append(helper.make_node("ReduceMean", [t], [pooled], axes=[2, 3], keepdims=1))
        else:
            g.nodes.append(helper.make_node("GlobalAveragePool", [t], [pooled]))
        gate = g.conv(g.conv(pooled, ce, c // 4, 1, 1, "relu"), c // 4, ce, 1, 1, "sigmoid")
        if form in ("expand", "resize"):
            shape = g.name("shape")
            g.inits.append(numpy_helper.from_array(np.array([1, ce, h, h], dtype=np.int64), shape))
            full = g.name("full")
            if form == "expand":
                g.nodes.append(helper.make_node("Expand", [gate, shape], [full]))
            else:
                g.nodes.append(helper.make_node("Resize", [gate, "", "", shape], [full], mode="nearest"))
            gate = full
        y = g.name("se")
        g.nodes.append(helper.make_node("Mul", [t, gate], [y]))
        t = y
    t = g.conv(t, ce, c, 1, 1, "none")
    out = g.name("add")
    g.nodes.append(helper.make_node("Add", [t, "input"], [out]))
    graph = helper.make_graph(g.nodes, "block", [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, c, h, h])],
                              [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)], g.inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString()


def block_mode(args):
    forms = ["none", "export", "reducemean", "expand", "resize"]
    sessions = {f: session(se_block(f)) for f in forms}
    x = np.random.default_rng(0).uniform(0, 1, size=(1, 24, 56, 56)).astype(np.float32)
    times = {f: [] for f in forms}
    for _ in range(args.rounds):
        for f in forms:
            s = sessions[f]
            for _ in range(5):
                s.run(None, {"input": x})
            runs = []
            for _ in range(args.runs):
                t = time.perf_counter_ns()
                s.run(None, {"input": x})
                runs.append((time.perf_counter_ns() - t) / 1e6)
            times[f].append(statistics.median(runs))
    print(f"onnxruntime {ort.__version__}, 1 thread, MBConv 24->144->24 3x3 @56 skip, {args.rounds} rounds x {args.runs} runs")
    for f in forms:
        print(f"  {f:11s} {statistics.median(times[f]):.3f} ms  (rounds {min(times[f]):.3f}-{max(times[f]):.3f})")
    with tempfile.TemporaryDirectory() as tmp:
        nodes = node_medians(session(se_block("export"), os.path.join(tmp, "block")), x, args.runs)
    print("per node, the exporter's form:")
    for (name, op), ms in sorted(nodes.items(), key=lambda kv: -kv[1]):
        print(f"  {ms * 1000:8.1f} us  {op:18s} {name}")


def network_mode(args):
    space = os.path.join(ROOT, "Configs/mnasnet.yaml")
    archs = random_architectures(space, args.count, args.seed)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for i, arch in enumerate(archs):
            arch_path, model = os.path.join(tmp, f"arch-{i}.json"), os.path.join(tmp, f"arch-{i}.onnx")
            with open(arch_path, "w") as f:
                json.dump(arch, f)
            subprocess.run([NASCTL, "export", "--arch", arch_path, "--space", space, "--output", model], check=True, capture_output=True)
            predicted = json.loads(subprocess.run([NASCTL, "predict", "--arch", arch_path, "--space", space, "--json", "--table", args.table],
                                                  check=True, capture_output=True, text=True).stdout)["predicted_ms"]
            se_blocks = sum(1 for k, v in arch["decisions"].items() if k.endswith(".se") and float(v) > 0)
            sess = session(model, os.path.join(tmp, f"profile-{i}"))
            x = np.random.default_rng(0).uniform(0, 1, size=[1] + sess.get_inputs()[0].shape[1:]).astype(np.float32)
            nodes = node_medians(sess, x, args.runs)
            total = sum(nodes.values())
            layout = sum(ms for (_, op), ms in nodes.items() if op.startswith("Reorder") or op in ("Mul", "GlobalAveragePool"))
            rows.append((predicted, total, layout))
            print(f"{i:3d} SE blocks {se_blocks}  predicted {predicted:6.2f} ms  ORT nodes {total:6.2f} ms  "
                  f"reorders + Mul + pool {layout:5.2f} ms ({100 * layout / total:4.1f}%)", flush=True)
    p = [r[0] for r in rows]
    print(f"Kendall tau: predicted vs ORT node sum {kendall_tau(p, [r[1] for r in rows]):.3f}, "
          f"predicted vs ORT without reorders, Mul and pool {kendall_tau(p, [r[1] - r[2] for r in rows]):.3f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--table", help="latency table whose predictions to rank (network mode)")
    ap.add_argument("--count", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--block", action="store_true", help="time SE forms in one MBConv instead")
    args = ap.parse_args()
    if args.block:
        block_mode(args)
    elif args.table:
        network_mode(args)
    else:
        ap.error("--table T (networks) or --block")


if __name__ == "__main__":
    main()
