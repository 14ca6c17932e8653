"""From ``/choreo/play`` received to the first corrected setpoint.

With the RSI backend and the fake KUKA controller (its own process, 4 ms cycle): the
bridge stamps the play datagram when its OSC thread receives it (LSL clock), and the
RSI process stamps the first answer that carries the new motion's setpoints (LSL
clock too: both are CLOCK_MONOTONIC, comparable across processes). The interval holds
the decode, the bridge's full safety check and plan of a ~60 s choreography
(``check_choreography``), the hand-over to the RSI process, and the wait for the
controller's next telegram (up to one 4 ms cycle). Each play is stopped (and reset)
after it starts, so that trials do not take a minute each. Target: <= 20 ms.

Also reported: the same interval on the simulator backend (to the motion's start,
which its first state message carries), and, seen from the client, play sent ->
``/choreo/started`` received.

Anchor, in the same run: the OSC round trip of a no-op request (``/choreo/state``
with no arguments -> the ``/choreo/state`` reply) to the same bridge.

Run: ``.venv/bin/python bench/bench_play_latency.py``; writes
``bench/results/play_latency.json``.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from _report import machine, timing_stats, write_results

CHOREO = str(Path(sys.executable).with_name("choreo"))
N_PLAYS = 30
N_PINGS = 300


def _wait(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.002)


def measure(bridge: Any, client: Any, rsi: bool) -> dict[str, Any]:
    """N_PLAYS plays of different ~60 s choreographies, each stopped after it starts."""
    from choreo.robot import osc_protocol as osc
    from choreo.robot.codec import random_vector

    to_setpoint, to_started = [], []
    for i in range(N_PLAYS):
        backend = bridge.backend
        before = getattr(backend, "first_answer_t", None)
        t_send = time.perf_counter()
        client.play(i, random_vector(100 + i))
        reply = client.wait_for((osc.STARTED, osc.REJECTED), i, timeout=5)
        to_started.append(time.perf_counter() - t_send)
        if reply.address != osc.STARTED:
            raise RuntimeError(f"play {i} rejected: {reply.args}")
        if rsi:
            _wait(
                lambda b=before, be=backend: be.first_answer_t not in (None, b), 2, "first answer"
            )
            to_setpoint.append(backend.first_answer_t - bridge.play_received_t)
        else:
            to_setpoint.append(bridge.play_begun_t - bridge.play_received_t)
        time.sleep(0.05)
        client.stop()
        client.wait_for(osc.ABORTED, i, timeout=5)
        _wait(lambda: bridge.mode in ("latched", "idle"), 5, "stopped")
        client.reset()
    return {
        "play_to_first_setpoint": timing_stats(to_setpoint),
        "client_play_to_started": timing_stats(to_started),
        "per_play_ms": [round(v * 1e3, 3) for v in to_setpoint],
    }


def osc_round_trip(client: Any) -> dict[str, float]:
    rtts = []
    for _ in range(N_PINGS):
        t0 = time.perf_counter()
        client.request_state(timeout=1.0)
        rtts.append(time.perf_counter() - t0)
        time.sleep(0.002)
    return timing_stats(rtts)


def main() -> None:
    import tempfile

    from rich.console import Console
    from rich.table import Table

    from choreo.robot.backends.rsi import RsiBackend
    from choreo.robot.bridge import Bridge
    from choreo.robot.bridge_settings import BridgeSettings
    from choreo.robot.client import BridgeClient

    console = Console()
    results: dict[str, Any] = {}
    rsi_settings = BridgeSettings(
        listen=("127.0.0.1", 0), reply=None, backend="rsi", rsi_listen=("127.0.0.1", 0)
    )
    console.print(f"RSI backend + fake KUKA controller: {N_PLAYS} plays ...")
    with tempfile.TemporaryDirectory() as tmp, Bridge(rsi_settings) as bridge:
        assert isinstance(bridge.backend, RsiBackend)
        host, port = bridge.backend.address
        summary = Path(tmp) / "fake.json"
        fake = subprocess.Popen(
            [CHOREO, "fake-kuka", "--target", f"{host}:{port}", "--json", str(summary)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        with BridgeClient(bridge.address) as client:
            _wait(lambda: bridge.backend.not_ready() is None, 10, "controller")
            results["anchor_osc_round_trip"] = osc_round_trip(client)
            results["rsi"] = measure(bridge, client, rsi=True)
        fake.send_signal(signal.SIGINT)
        fake.wait(timeout=10)
        results["rsi"]["controller"] = json.loads(summary.read_text())
    console.print(f"simulator backend: {N_PLAYS} plays ...")
    sim_settings = BridgeSettings(listen=("127.0.0.1", 0), reply=None, speed=1.0)
    with Bridge(sim_settings) as bridge, BridgeClient(bridge.address) as client:
        results["sim"] = measure(bridge, client, rsi=False)
        results["anchor_osc_round_trip_sim"] = osc_round_trip(client)

    table = Table(title="/choreo/play received -> first corrected setpoint")
    for col in ("", "p50 ms", "p90 ms", "p99 ms", "max ms"):
        table.add_column(col, justify="right" if col else "left")

    def row(name: str, s: dict[str, float]) -> None:
        table.add_row(name, *(f"{s[k]:.2f}" for k in ("p50_ms", "p90_ms", "p99_ms", "max_ms")))

    row(
        "RSI: play received -> first answer of the motion",
        results["rsi"]["play_to_first_setpoint"],
    )
    row("sim: play received -> motion start", results["sim"]["play_to_first_setpoint"])
    row("client: play sent -> /choreo/started (RSI)", results["rsi"]["client_play_to_started"])
    row("anchor: OSC no-op round trip (state request)", results["anchor_osc_round_trip"])
    console.print(table)
    p99 = results["rsi"]["play_to_first_setpoint"]["p99_ms"]
    p50 = results["rsi"]["play_to_first_setpoint"]["p50_ms"]
    console.print(
        f"target <= 20 ms: p50 {p50:.1f} ms {'met' if p50 <= 20 else 'NOT met'}, "
        f"p99 {p99:.1f} ms {'met' if p99 <= 20 else 'NOT met'}; "
        f"controller missed cycles: {results['rsi']['controller']['missed']}"
    )
    out = {"benchmark": "play_latency", **results, "target_ms": 20.0, "machine": machine()}
    write_results("play_latency", out)


if __name__ == "__main__":
    from choreo.runtime import configure_process

    configure_process()
    main()
