"""Decode, plan and check one choreography: p99 <= 5 ms.

Times :func:`choreo.robot.safety.check_choreography` (validate, decode, plan with
ruckig and sample every 4 ms cycle, check limits, speed, acceleration and forward
kinematics of every sample) on distinct random vectors, with a breakdown of its parts.

Anchors, measured in the same run on the same choreographies (same ruckig segments):

* ``at_time loop``: sampling each segment's trajectory with ruckig's ``at_time`` in a
  Python loop, one call per sample;
* ``online update``: ruckig's online interface, ``update()`` once per controller cycle,
  as a controller-side interpolator would run it.

Both produce the same samples as choreo's numpy evaluation of the profiles (the
largest difference is printed). Writes bench/results/plan.json.

    .venv/bin/python bench/bench_plan.py [--n 400] [--realtime]

Like the bridge and RSI processes, the benchmark first keeps freed memory for reuse
(:func:`choreo.runtime.keep_freed_memory`); ``--default-malloc`` leaves glibc's
defaults, to measure what that is worth (minor page faults per check are printed).

When the 2 CPUs are shared with other work, the wall-clock p99 mostly measures the
scheduler (a preempted call waits for a time slice); the CPU time of each call is
printed beside it, and ``--realtime`` repeats the run at real-time priority (SCHED_FIFO,
as a robot bridge process would run; else niceness -10) for a few seconds. The JSON
holds each run under "normal" and "realtime".
"""

from __future__ import annotations

import argparse
import contextlib
import os
import resource
import time

import numpy as np
from _report import machine, timing_stats, write_results
from ruckig import DurationDiscretization, InputParameter, OutputParameter, Result, Ruckig
from ruckig import Trajectory as RuckigTrajectory

from choreo.robot.codec import decode, random_vector
from choreo.robot.config import RobotConfig, load_robot_config, robot_config_with
from choreo.robot.kr6 import HOME_DEG, forward_kinematics
from choreo.robot.safety import check_choreography, check_plan
from choreo.robot.trajectory import path_limits, plan_choreography


def _segments(vector: np.ndarray, cfg: RobotConfig) -> tuple[np.ndarray, np.ndarray, list]:
    """Waypoints, deltas and per-segment ruckig inputs of a choreography."""
    c = decode(vector, cfg)
    wp = np.vstack([HOME_DEG, c.keyframes_deg])
    delta = np.diff(wp, axis=0)
    inputs = []
    for i, (v, a, j) in enumerate(path_limits(delta, cfg).tolist()):
        inp = InputParameter(1)
        inp.duration_discretization = DurationDiscretization.Discrete
        inp.current_position = [float(i)]
        inp.target_position = [float(i + 1)]
        inp.max_velocity, inp.max_acceleration, inp.max_jerk = [v], [a], [j]
        inp.minimum_duration = float(c.durations_s[i])
        inputs.append(inp)
    return wp, delta, inputs


def anchor_at_time(vector: np.ndarray, cfg: RobotConfig) -> np.ndarray:
    """The same plan, sampled with ruckig's at_time once per sample (positions, (n, 6))."""
    wp, delta, inputs = _segments(vector, cfg)
    dt = cfg.cycle_s
    otg = Ruckig(1, dt)
    rows = []
    for i, inp in enumerate(inputs):
        traj = RuckigTrajectory(1)
        otg.calculate(inp, traj)
        n = round(traj.duration / dt)
        for k in range(n + (i == len(inputs) - 1)):
            s = traj.at_time(k * dt)[0][0] - i
            rows.append(wp[i] + s * delta[i])
    return np.array(rows)


def anchor_online(vector: np.ndarray, cfg: RobotConfig) -> np.ndarray:
    """The same plan, computed by ruckig's online update() every cycle (positions)."""
    wp, delta, inputs = _segments(vector, cfg)
    rows = [wp[0].copy()]
    for i, inp in enumerate(inputs):
        otg = Ruckig(1, cfg.cycle_s)
        out = OutputParameter(1)
        while True:
            res = otg.update(inp, out)
            rows.append(wp[i] + (out.new_position[0] - i) * delta[i])
            out.pass_to_input(inp)
            if res != Result.Working:
                break
    return np.array(rows)


def _realtime() -> str:
    """Run this process as a robot bridge would: real-time FIFO, else niceness -10."""
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(10))
        return "SCHED_FIFO 10"
    except (PermissionError, OSError, AttributeError):
        pass
    try:
        return f"nice {os.nice(-10)}"
    except PermissionError:
        return "normal (real-time and nice -10 not permitted)"


def _normal() -> None:
    with contextlib.suppress(PermissionError, OSError, AttributeError):
        os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))


def main(
    n: int = 400,
    n_anchor: int = 5,
    seed: int = 0,
    realtime: bool = False,
    malloc: str = "glibc defaults",
) -> dict[str, object]:
    cfg = load_robot_config()
    vectors = [random_vector(seed + i) for i in range(n)]
    for v in vectors[:20]:  # warm-up: imports, caches
        check_choreography(v, cfg)

    scheduling = _realtime() if realtime else "normal"
    wall, cpu, samples, accepted = [], [], [], 0
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for v in vectors:
        t0, c0 = time.perf_counter(), time.process_time()
        verdict = check_choreography(v, cfg)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
        accepted += verdict.ok
        if verdict.plan is not None:
            samples.append(verdict.plan.t.shape[0])
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults

    # The same at the 12 ms controller cycle (a third of the samples).
    cfg12 = robot_config_with(cfg, cycle_ms=12)
    wall12 = []
    for v in vectors[:200]:
        t0 = time.perf_counter()
        check_choreography(v, cfg12)
        wall12.append(time.perf_counter() - t0)

    # Breakdown on a subset.
    plan_t, checks_t, fk_t = [], [], []
    for v in vectors[:100]:
        t0 = time.perf_counter()
        plan = plan_choreography(v, cfg)
        t1 = time.perf_counter()
        check_plan(plan, cfg)
        t2 = time.perf_counter()
        forward_kinematics(plan.q, np.float32)
        t3 = time.perf_counter()
        plan_t.append(t1 - t0)
        checks_t.append(t2 - t1)
        fk_t.append(t3 - t2)

    at_time_t, online_t, diffs = [], [], []
    for v in vectors[:n_anchor]:
        ours = plan_choreography(v, cfg).q
        t0 = time.perf_counter()
        ref = anchor_at_time(v, cfg)
        t1 = time.perf_counter()
        online = anchor_online(v, cfg)
        t2 = time.perf_counter()
        at_time_t.append(t1 - t0)
        online_t.append(t2 - t1)
        diffs.append(float(np.abs(ref - ours).max()))
        m = min(len(online), len(ours))
        diffs.append(float(np.abs(online[:m] - ours[:m]).max()))

    if realtime:
        _normal()  # anchors and breakdown ran at the same priority as the figure

    w, c, w12 = timing_stats(wall), timing_stats(cpu), timing_stats(wall12)
    a1, a2 = timing_stats(at_time_t), timing_stats(online_t)
    result: dict[str, object] = {
        "what": "decode + plan + check one 196-byte choreography (check_choreography)",
        "cycle_ms": cfg.cycle_ms,
        "samples_per_choreography_median": float(np.median(samples)),
        "accepted_share": accepted / n,
        "check_choreography_wall": w,
        "check_choreography_cpu": c,
        "minor_page_faults_per_check": faults / n,
        "malloc": malloc,
        "check_choreography_wall_12ms_cycle": w12,
        "breakdown_plan": timing_stats(plan_t),
        "breakdown_checks": timing_stats(checks_t),
        "breakdown_fk_float32": timing_stats(fk_t),
        "anchor_at_time_loop": a1,
        "anchor_online_update": a2,
        "anchor_max_abs_diff_deg": max(diffs),
        "target_p99_ms": 5.0,
        "scheduling": scheduling,
        "machine": machine(),
    }
    print(
        f"check_choreography  median {w['p50_ms']:6.2f} ms  p99 {w['p99_ms']:6.2f} ms"
        f"  max {w['max_ms']:6.2f} ms   (target p99 <= 5 ms; n = {n},"
        f" {result['samples_per_choreography_median']:.0f} samples each)"
    )
    print(
        f"  same, CPU time    median {c['p50_ms']:6.2f} ms  p99 {c['p99_ms']:6.2f} ms"
        f"   ({faults / n:.0f} minor page faults per check; malloc: {malloc})"
    )
    print(f"  at 12 ms cycle    median {w12['p50_ms']:6.2f} ms  p99 {w12['p99_ms']:6.2f} ms")
    print(
        f"  parts (median): plan {np.median(plan_t) * 1e3:.2f} ms, checks"
        f" {np.median(checks_t) * 1e3:.2f} ms (of which FK {np.median(fk_t) * 1e3:.2f} ms)"
    )
    print(
        f"anchor at_time loop median {a1['p50_ms']:6.1f} ms;  online update() median"
        f" {a2['p50_ms']:6.1f} ms   (plan only, no checks; max difference"
        f" {result['anchor_max_abs_diff_deg']:.1e} deg)"
    )
    print(f"accepted {accepted}/{n};  scheduling {scheduling};  ({result['machine']})")
    return result


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=400, help="choreographies to time")
    parser.add_argument("--anchor", type=int, default=5, help="choreographies for anchors")
    parser.add_argument(
        "--realtime",
        action="store_true",
        help="time check_choreography at real-time priority, as a robot bridge would run",
    )
    parser.add_argument(
        "--default-malloc",
        action="store_true",
        help="leave glibc's allocator defaults (the bridge keeps freed memory for reuse)",
    )
    args = parser.parse_args()
    from choreo.runtime import configure_process

    kept = configure_process(keep_memory=not args.default_malloc).freed_memory_kept
    malloc = "freed memory kept for reuse" if kept else "glibc defaults"
    runs = {"normal": main(args.n, args.anchor, malloc=malloc)}
    if args.realtime:
        print("-- again at real-time priority --")
        runs["realtime"] = main(args.n, args.anchor, realtime=True, malloc=malloc)
    write_results("plan", runs)
