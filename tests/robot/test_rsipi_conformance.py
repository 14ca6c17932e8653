"""Conformance against an RSI implementation nobody here wrote: the ``rsipi`` package's
simulated controller (``RSIPI.rsi_echo_server.EchoServer``, version 0.3.0) on loopback.

It is configured only by the files ``choreo kuka-files`` writes (its ETHERNET config and
RSI context parsers read them) and talks to choreo's RSI backend: it validates every
answer's IPOC echo and ``Type``, applies ``AKorr`` corrections in absolute mode, counts
faulty answers and breaks RSI off past the context's ``Timeout``. See tests/robot/
rsipi_peer.py for the two adaptations (loopback bind, start at HOME).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from bridge_fixtures import fast_config, short_vector, wait_until

pytest.importorskip("RSIPI", reason="rsipi is a test dependency (pip install -e '.[dev]')")

from choreo.robot.atomic_output import write_files
from choreo.robot.backends.base import Trajectory
from choreo.robot.backends.rsi import RsiBackend
from choreo.robot.config import RobotConfig, robot_config_with
from choreo.robot.kr6 import AXES, HOME_DEG
from choreo.robot.kuka_files import CONTEXT_FILE, ETHERNET_FILE, correction_limits, kuka_files
from choreo.robot.safety import check_choreography

PEER = Path(__file__).with_name("rsipi_peer.py")


class RsipiController:
    """rsipi's EchoServer in its own process, set up from a choreo controller kit."""

    def __init__(self, kit_cfg: RobotConfig, folder: Path, cycle_ms: int = 4) -> None:
        kit = folder / "kit"
        write_files(kit, kuka_files(kit_cfg))
        self.json_path = folder / "rsipi.json"
        self.proc = subprocess.Popen(
            [
                sys.executable,
                str(PEER),
                "--config",
                str(kit / ETHERNET_FILE),
                "--context",
                str(kit / CONTEXT_FILE),
                "--cycle-ms",
                str(cycle_ms),
                "--json",
                str(self.json_path),
            ],
            cwd=folder,  # rsipi writes logs/ into its working folder
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert self.proc.stdout is not None
        self.output: list[str] = []
        for line in self.proc.stdout:
            self.output.append(line)
            if line.startswith("PEER "):
                break
        else:
            raise AssertionError("rsipi peer did not start: " + "".join(self.output))

    def finish(self, timeout: float = 10.0) -> dict[str, Any]:
        """Close its stdin (it stops), return its summary and keep its printed lines."""
        out, _ = self.proc.communicate(timeout=timeout)
        self.output.append(out)
        return dict(json.loads(self.json_path.read_text()))

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


def start_backend(cfg: RobotConfig, loss_timeout_s: float = 0.25) -> RsiBackend:
    backend = RsiBackend(cfg, ("127.0.0.1", 0), loss_timeout_s=loss_timeout_s)
    backend.start()
    return backend


def kit_config(cfg: RobotConfig, backend: RsiBackend, **rsi: Any) -> RobotConfig:
    """The same configuration, pointing the controller at the backend's port."""
    host, port = backend.address
    return robot_config_with(
        cfg, rsi={**cfg.rsi.model_dump(), "sensor_ip": host, "sensor_port": port, **rsi}
    )


def distinct_runs(poses: np.ndarray) -> np.ndarray:
    """Poses with consecutive repeats (holds, pauses) collapsed to one, (k, 6)."""
    keep = np.ones(len(poses), dtype=bool)
    keep[1:] = np.abs(np.diff(poses, axis=0)).max(axis=1) > 1e-6
    return poses[keep]


def perform(backend: RsiBackend, traj: Trajectory, timeout: float) -> None:
    backend.begin(traj, time.monotonic())
    deadline = time.monotonic() + timeout
    while True:
        snap = backend.poll(time.monotonic())
        assert snap.fault is None, snap.fault
        if snap.finished:
            return
        assert time.monotonic() < deadline, "the motion did not finish"
        time.sleep(0.01)


@pytest.mark.parametrize("cycle_ms", [4, 12])
def test_rsipi_controller_follows_choreos_corrections(tmp_path: Path, cycle_ms: int) -> None:
    cfg = robot_config_with(fast_config(), rsi={"correction_tag": "AKorr"})
    plan = check_choreography(short_vector(cfg), cfg).raise_if_unsafe()
    traj = Trajectory.from_plan(plan, "play", 1).resampled(cycle_ms / 1000)
    backend = start_backend(cfg)
    try:
        peer = RsipiController(kit_config(cfg, backend), tmp_path, cycle_ms)
        try:
            assert backend.wait_for_controller(5.0)
            wait_until(lambda: backend.not_ready() is None and backend.cycle_s is not None)
            # Cycle: choreo reads the controller's cycle from rsipi's IPOC steps.
            assert backend.cycle_s == pytest.approx(cycle_ms / 1000)
            # rsipi's loop sleeps a cycle after each exchange: its telegrams come a bit
            # slower than the cycle, and choreo paces the motion by its telegrams.
            perform(backend, traj, timeout=traj.n * cycle_ms / 1000 * 4 + 5)
            time.sleep(0.2)  # "finished" is reported as the last answer is sent
        finally:
            summary = peer.finish()
        time.sleep(0.05)  # the RSI process reports its counters every 10 ms
        counters = backend.counters()
    finally:
        backend.close()
    # rsipi read the kit: the sensor's address, SENTYPE, the received AKorr.A1..A6.
    assert summary["network"] == {
        "ip": "127.0.0.1",
        "port": backend.address[1],
        "sentype": "ImFree",
        "onlysend": False,
    }
    assert summary["receive"] == {"AKorr": {a: 0.0 for a in AXES}}
    assert {"AIPos", "ASPos", "Delay", "IPOC"} <= set(summary["send"])
    # ... and the context: its ETHERNET Timeout and AXISCORR limits.
    assert summary["timeout_packets"] == summary["budget"] == cfg.rsi.timeout_cycles
    lim = correction_limits(cfg)
    assert summary["limits"] == {
        f"AKorr.{a}": [lim.lower[i], lim.upper[i]] for i, a in enumerate(AXES)
    }
    # IPOC echo and Type: rsipi rejected no answer. (It counts an answer later than its
    # window as faulty too; this test machine is no real-time system: allow 2 of those.)
    output = "".join(peer.output)
    assert "mismatch" not in output, output
    assert summary["faulty_packets"] <= 2, output
    assert not summary["broke_off"]
    assert summary["ipoc_step"] == cycle_ms
    # Its wall-clock period: it sleeps a whole cycle after each exchange, so a cycle plus
    # the answer's latency and its own overhead (measured ~4.9 ms at 4 ms, ~13.3 at 12).
    period = summary["elapsed_s"] / summary["telegrams"]
    print(f"rsipi at {cycle_ms} ms: a telegram every {period * 1e3:.2f} ms of wall time")
    assert cycle_ms / 1000 < period < 2.0 * cycle_ms / 1000
    assert summary["accepted"] >= summary["telegrams"] - 2 - summary["faulty_packets"]
    assert counters["rsi_telegrams"] >= summary["accepted"]
    assert summary["accepted"] > traj.n
    # Corrections applied: rsipi's robot took every distinct pose of the plan in order
    # (answers carry 4 decimals), bar one per late answer, and ended at its last.
    np.testing.assert_allclose(summary["final_aipos"], traj.q[-1], atol=1e-4)
    sent = distinct_runs(HOME_DEG + np.round(traj.q - HOME_DEG, 4))
    seen = distinct_runs(np.array(summary["poses"]))
    j = 0
    for pose in seen:
        while j < len(sent) and np.abs(sent[j] - pose).max() > 1e-6:
            j += 1
        assert j < len(sent), f"rsipi reached {pose}, not a pose of the plan (in order)"
    assert len(seen) >= len(sent) - summary["faulty_packets"]
    assert len(sent) > 20


def test_rsipi_accepts_but_ignores_ak_corrections(tmp_path: Path) -> None:
    """rsipi's echo server applies only AKorr/RKorr/EKorr: with choreo's default tag AK
    the answers are valid (IPOC, Type) but move nothing. Hence the configurable tag."""
    cfg = fast_config()
    assert cfg.rsi.correction_tag == "AK"
    plan = check_choreography(short_vector(cfg), cfg).raise_if_unsafe()
    backend = start_backend(cfg)
    try:
        peer = RsipiController(kit_config(cfg, backend), tmp_path)
        try:
            assert backend.wait_for_controller(5.0)
            wait_until(lambda: backend.not_ready() is None)
            perform(backend, Trajectory.from_plan(plan, "play", 1), timeout=30)
            time.sleep(0.2)
        finally:
            summary = peer.finish()
    finally:
        backend.close()
    assert summary["faulty_packets"] == 0
    assert summary["accepted"] > plan.q.shape[0]
    np.testing.assert_allclose(summary["final_aipos"], HOME_DEG, atol=1e-9)


def test_choreo_reports_rsipi_controller_lost_mid_motion(tmp_path: Path) -> None:
    cfg = robot_config_with(fast_config(), rsi={"correction_tag": "AKorr"})
    plan = check_choreography(short_vector(cfg, offset=3.0), cfg).raise_if_unsafe()
    backend = start_backend(cfg, loss_timeout_s=0.2)
    try:
        peer = RsipiController(kit_config(cfg, backend), tmp_path)
        assert backend.wait_for_controller(5.0)
        wait_until(lambda: backend.not_ready() is None)
        backend.begin(Trajectory.from_plan(plan, "play", 1), time.monotonic())
        time.sleep(0.3)
        assert backend.poll(time.monotonic()).moving is not None
        peer.kill()
        killed = time.monotonic()
        fault = None
        while fault is None and time.monotonic() - killed < 3.0:
            fault = backend.poll(time.monotonic()).fault
            time.sleep(0.005)
        detected = time.monotonic() - killed
    finally:
        backend.close()
    assert fault is not None
    assert "lost" in fault
    assert "during a motion" in fault
    # Silence of 0.2 s, plus its last telegram's age and the 10 ms event period (and
    # slack for a loaded test machine).
    assert 0.15 < detected < 1.0
    assert backend.not_ready() is not None


def test_rsipi_breaks_rsi_off_after_the_kits_timeout_of_wrong_answers(tmp_path: Path) -> None:
    """An answer of another Type is faulty; past the context's Timeout rsipi stops RSI,
    and choreo sees its controller go."""
    cfg = robot_config_with(fast_config(), rsi={"sen_type": "NotImFree"})
    backend = start_backend(cfg, loss_timeout_s=0.2)
    try:
        kit = kit_config(cfg, backend, sen_type="ImFree", timeout_cycles=20)
        peer = RsipiController(kit, tmp_path)
        try:
            wait_until(lambda: peer.proc.poll() is not None, timeout=5.0, what="RSI break-off")
        finally:
            summary = peer.finish()
        wait_until(lambda: "lost" in (backend.not_ready() or ""), timeout=2.0)
    finally:
        backend.close()
    assert summary["broke_off"]
    assert summary["budget"] == 20
    assert summary["faulty_packets"] == 21  # "exceeded": one more than the budget
    assert summary["accepted"] == 0
    text = "".join(peer.output)
    assert "SENTYPE mismatch (expected 'ImFree', got 'NotImFree')" in text
    assert "RSI BROKE OFF" in text
