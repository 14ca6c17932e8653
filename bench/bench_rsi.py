"""RSI against the fake KUKA controller on loopback, 4 ms cycle, a 60 s choreography.

The bridge runs with the RSI backend (its exchange in its own real-time process) and
the fake controller (``choreo fake-kuka``) in another process, as a real KR C4 would
be another machine. The controller measures each answer's latency from its send time
to the kernel's receive timestamp of the answer, and counts answers that miss their
4 ms cycle. Targets: zero missed cycles; answer latency p99 <= 1 ms.

Anchor, in the same run: a bare UDP echo round trip on loopback, a Python echo process
with the same (real-time) scheduling answering datagrams of the telegram's size.

Run: ``.venv/bin/python bench/bench_rsi.py``; writes ``bench/results/rsi.json``.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from _report import machine, timing_stats, write_results

CHOREO = str(Path(sys.executable).with_name("choreo"))
#: A random choreography whose plan lasts about 60 s under the shipped configuration.
SEED = 2

ECHO = """
import socket, sys
from choreo.robot.realtime import make_current_thread_realtime
make_current_thread_realtime()
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1], flush=True)
while True:
    data, addr = s.recvfrom(4096)
    if data == b"quit":
        break
    s.sendto(data, addr)
"""


def udp_echo_anchor(n: int = 2000, period_s: float = 0.004) -> dict[str, float]:
    """Round trip of a telegram-sized datagram to a Python echo process (ms)."""
    from choreo.robot.rsi_xml import format_rob

    payload = format_rob(123456789, [0.0, -90.0, 90.0, 0.0, 0.0, 0.0], [0.0] * 6, [0.0] * 6, 0)
    proc = subprocess.Popen([sys.executable, "-c", ECHO], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    rtts = []
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(1.0)
        for _ in range(n):
            t0 = time.perf_counter()
            s.sendto(payload, ("127.0.0.1", port))
            s.recv(4096)
            rtts.append(time.perf_counter() - t0)
            time.sleep(max(0.0, period_s - (time.perf_counter() - t0)))
        s.sendto(b"quit", ("127.0.0.1", port))
    proc.wait(timeout=5)
    return timing_stats(rtts)


def rsi_run() -> dict[str, Any]:
    """Perform the 60 s choreography over RSI; return the controller's counters."""
    from choreo.robot import osc_protocol as osc
    from choreo.robot.backends.rsi import RsiBackend
    from choreo.robot.bridge import Bridge
    from choreo.robot.bridge_settings import BridgeSettings
    from choreo.robot.client import BridgeClient
    from choreo.robot.codec import random_vector
    from choreo.robot.config import load_robot_config
    from choreo.robot.safety import check_choreography

    cfg = load_robot_config()
    vector = random_vector(SEED)
    verdict = check_choreography(vector, cfg)
    assert verdict.plan is not None
    duration = verdict.plan.duration
    settings = BridgeSettings(
        listen=("127.0.0.1", 0), reply=None, backend="rsi", rsi_listen=("127.0.0.1", 0)
    )
    with tempfile.TemporaryDirectory() as tmp, Bridge(settings, cfg) as bridge:
        assert isinstance(bridge.backend, RsiBackend)
        host, port = bridge.backend.address
        summary_path = Path(tmp) / "fake.json"
        fake = subprocess.Popen(
            [
                CHOREO,
                "fake-kuka",
                "--target",
                f"{host}:{port}",
                "--duration",
                str(duration + 30),
                "--json",
                str(summary_path),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        with BridgeClient(bridge.address) as client:
            deadline = time.monotonic() + 10
            while bridge.backend.not_ready() is not None:
                if time.monotonic() > deadline:
                    raise RuntimeError("the fake controller did not connect")
                time.sleep(0.05)
            client.start_heartbeat()
            client.play(1, vector)
            started = client.wait_for((osc.STARTED, osc.REJECTED), 1, timeout=5)
            if started.address != osc.STARTED:
                raise RuntimeError(f"rejected: {started.args}")
            t0 = time.monotonic()
            done = client.wait_for((osc.DONE, osc.ABORTED, osc.FAULT), 1, timeout=duration + 10)
            wall = time.monotonic() - t0
            time.sleep(0.05)
            n_states = client.n_states
            work_us = bridge.backend.answer_latencies_us()
        fake.send_signal(signal.SIGINT)
        fake.wait(timeout=10)
        summary = json.loads(summary_path.read_text())
    err = np.abs(np.asarray(summary["position_deg"]) - verdict.plan.q[-1]).max()
    return {
        "plan_duration_s": duration,
        "performed_wall_s": wall,
        "outcome": done.address,
        "final_pose_error_deg": float(err),
        "state_messages": n_states,
        "controller": summary,
        "rsi_process_realtime": bridge.backend.realtime,
        # The bridge's own view: kernel arrival of each telegram -> answer sent.
        "bridge_answer_ms": {
            **timing_stats(np.asarray(work_us, dtype=np.float64) * 1e-6),
            "over_1ms": int((work_us > 1000).sum()),
            "over_4ms": int((work_us > 4000).sum()),
        },
    }


def main() -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print("anchor: bare UDP echo round trip (Python echo process) ...")
    anchor = udp_echo_anchor()
    console.print("RSI: 60 s choreography against the fake KUKA controller at 4 ms ...")
    run = rsi_run()
    anchor_after = udp_echo_anchor(n=500)
    lat = run["controller"]["latency_ms"]
    table = Table(title="RSI answer latency on loopback, 4 ms cycle")
    table.add_column("")
    table.add_column("p50 ms", justify="right")
    table.add_column("p99 ms", justify="right")
    table.add_column("max ms", justify="right")
    table.add_row(
        "controller: sent -> answer arrived",
        f"{lat['p50']:.3f}",
        f"{lat['p99']:.3f}",
        f"{lat['max']:.3f}",
    )
    b = run["bridge_answer_ms"]
    table.add_row(
        "bridge: telegram arrived -> answer sent",
        f"{b['p50_ms']:.3f}",
        f"{b['p99_ms']:.3f}",
        f"{b['max_ms']:.3f}",
    )
    for name, a in (
        ("anchor: UDP echo RTT (before)", anchor),
        ("anchor: UDP echo RTT (after)", anchor_after),
    ):
        table.add_row(name, f"{a['p50_ms']:.3f}", f"{a['p99_ms']:.3f}", f"{a['max_ms']:.3f}")
    console.print(table)
    c = run["controller"]
    console.print(
        f"{run['outcome']} after {run['performed_wall_s']:.2f} s "
        f"(plan {run['plan_duration_s']:.2f} s); "
        f"telegrams {c['sent']}, answered in time {c['answered']}, missed {c['missed']}, "
        f"late {c['late']} (at telegrams {c['missed_at']}; the controller itself woke "
        f">1 cycle late {c['overruns']} times, at {c['overrun_at']}); bridge answers over "
        f"4 ms after arrival: {b['over_4ms']}; final pose error "
        f"{run['final_pose_error_deg']:.5f} deg; "
        f"targets: missed == 0 -> {'met' if c['missed'] == 0 else 'NOT met'}, "
        f"p99 <= 1 ms -> {'met' if lat['p99'] <= 1.0 else 'NOT met'}"
    )
    out = {
        "benchmark": "rsi",
        "cycle_ms": 4,
        "run": run,
        "anchor_udp_echo_rtt": {"before": anchor, "after": anchor_after},
        "targets": {"missed": 0, "latency_p99_ms": 1.0},
        "met": {"missed": c["missed"] == 0, "latency_p99": lat["p99"] <= 1.0},
        "machine": machine(),
    }
    write_results("rsi", out)


if __name__ == "__main__":
    from choreo.runtime import configure_process

    configure_process()
    main()
