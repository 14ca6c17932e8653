"""The studio's files: how long the KRL and Rhino exports and the controller kit take.

Per random choreography (distinct seeds), times writing it as a KRL program
(:func:`choreo.robot.krl_export.krl_choreography`) and as a Rhino file
(:func:`choreo.robot.rhino_export.rhino_model` and rhino3dm's ``Write``), and the sizes
of what is written. The anchor, measured in the same run on the same choreographies:
``check_choreography`` (validate, plan, check every sample), which every export runs
first and the bridge runs for every play. The controller kit
(:func:`choreo.robot.kuka_files.kuka_files`) is timed once per choreography too.
Writes bench/results/exports.json.

    .venv/bin/python bench/bench_exports.py [--n 20]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from _report import machine, timing_stats, write_results

from choreo.robot.codec import random_vector
from choreo.robot.config import load_robot_config
from choreo.robot.export_source import ExportSource
from choreo.robot.krl_export import krl_choreography
from choreo.robot.kuka_files import kuka_files
from choreo.robot.rhino_export import RHINO_VERSION, rhino_model
from choreo.robot.safety import check_choreography


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20, help="choreographies (seeds 1000..)")
    args = ap.parse_args()
    cfg = load_robot_config()
    check_choreography(random_vector(0), cfg)  # first-call imports and allocations
    times: dict[str, list[float]] = {"check": [], "krl": [], "rhino": [], "kit": []}
    sizes: dict[str, list[int]] = {"krl_bytes": [], "rhino_bytes": [], "samples": []}
    durations = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "m.3dm"
        for seed in range(1000, 1000 + args.n):
            vector = random_vector(seed)
            t0 = time.perf_counter()
            verdict = check_choreography(vector, cfg)
            t1 = time.perf_counter()
            if verdict.plan is None:
                continue
            source = ExportSource(vector, verdict.plan, f"seed {seed}")
            src, dat = krl_choreography(source, cfg, "bench")
            t2 = time.perf_counter()
            model = rhino_model(source)
            model.Write(str(out), RHINO_VERSION)
            t3 = time.perf_counter()
            kuka_files(cfg)
            t4 = time.perf_counter()
            for key, a, b in (("check", t0, t1), ("krl", t1, t2), ("rhino", t2, t3),
                              ("kit", t3, t4)):  # fmt: skip
                times[key].append(b - a)
            sizes["krl_bytes"].append(len(src) + len(dat))
            sizes["rhino_bytes"].append(out.stat().st_size)
            sizes["samples"].append(int(verdict.plan.q.shape[0]))
            durations.append(verdict.plan.duration)
    stats = {k: timing_stats(v) for k, v in times.items()}
    print(f"{len(durations)} choreographies, {min(durations):.1f}..{max(durations):.1f} s long")
    for key, label in (("check", "check_choreography (anchor)"), ("krl", "KRL .src/.dat"),
                       ("rhino", "Rhino .3dm"), ("kit", "controller kit")):  # fmt: skip
        s = stats[key]
        print(f"  {label:28s} p50 {s['p50_ms']:8.2f} ms  p99 {s['p99_ms']:8.2f} ms")
    kb = {k: sum(v) / len(v) / 1024 for k, v in sizes.items() if k.endswith("bytes")}
    print(f"  sizes: KRL {kb['krl_bytes']:.1f} KiB, Rhino {kb['rhino_bytes']:.1f} KiB (mean)")
    write_results(
        "exports",
        {
            "machine": machine(),
            "n": len(durations),
            "duration_s": {"min": min(durations), "max": max(durations)},
            "timing": stats,
            "mean_kib": kb,
            "mean_samples": sum(sizes["samples"]) / len(sizes["samples"]),
        },
    )


if __name__ == "__main__":
    main()
