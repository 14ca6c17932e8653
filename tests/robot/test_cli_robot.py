"""The robot commands as a user runs them: ``choreo bridge``, ``send``, ``fake-kuka``."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from bridge_fixtures import free_udp_port

CHOREO = str(Path(sys.executable).with_name("choreo"))


def run(*args: str, timeout: float = 30.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CHOREO, *args], capture_output=True, text=True, timeout=timeout)


def test_bridge_then_send_a_random_choreography() -> None:
    port = free_udp_port()
    bridge = subprocess.Popen(
        [CHOREO, "bridge", "--listen", f"127.0.0.1:{port}", "--reply", "none", "--speed", "60"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        time.sleep(1.0)  # the bridge imports and binds
        sent = run("send", "--random", "4", "--trial", "3", "--bridge", f"127.0.0.1:{port}")
        assert sent.returncode == 0, sent.stderr
        assert "trial 3: done in" in sent.stderr
    finally:
        bridge.send_signal(signal.SIGINT)
        _, err = bridge.communicate(timeout=10)
    assert "backend sim" in err
    assert "Traceback" not in err


def test_send_without_a_bridge_fails_in_one_line() -> None:
    port = free_udp_port()
    out = run("send", "--random", "1", "--bridge", f"127.0.0.1:{port}", "--timeout", "0.3")
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0
    assert out.stderr.startswith("choreo: error: bridge at 127.0.0.1")
    assert "no /choreo/state" in out.stderr


def test_send_option_errors_are_one_line(tmp_path: Path) -> None:
    out = run("send")
    assert out.returncode == 2
    assert "give exactly one of --random SEED or --vector FILE" in out.stderr
    missing = tmp_path / "nope.json"
    out = run("send", "--vector", str(missing))
    assert out.returncode == 2
    assert f"{missing}: vector file not found" in out.stderr
    assert "Traceback" not in out.stderr


def test_bridge_off_loopback_needs_an_allow_list() -> None:
    out = run("bridge", "--listen", "0.0.0.0:9")
    assert out.returncode == 2
    assert "allow-list" in out.stderr
    assert "Traceback" not in out.stderr


def test_fake_kuka_stops_rsi_when_nobody_answers() -> None:
    port = free_udp_port()
    out = run("fake-kuka", "--target", f"127.0.0.1:{port}", "--duration", "5")
    assert out.returncode == 1
    assert "RSI stopped: 100 answers missed their 4 ms cycle" in out.stderr
