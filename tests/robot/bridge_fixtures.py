"""Shared pieces of the bridge tests: a fast robot configuration, short choreographies,
a bridge on the simulator in this process, and free UDP ports."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

from choreo.robot.bridge import Bridge
from choreo.robot.bridge_settings import BridgeSettings
from choreo.robot.client import BridgeClient
from choreo.robot.codec import Choreography, encode
from choreo.robot.config import RobotConfig, load_robot_config, robot_config_with
from choreo.robot.kr6 import HOME_DEG

#: A random choreography (seed 1) that plans to about 60 s under the shipped configuration.
LONG_SEED = 1


def fast_config() -> RobotConfig:
    """The shipped configuration with short segments and full scaled limits, so that a
    choreography lasts about two seconds in real time (for RSI tests, which cannot speed up)."""
    cfg = load_robot_config()
    return robot_config_with(
        cfg,
        segment_duration_s={"min": 0.05, "max": 0.5},
        speed_scale=1.0,
        accel_scale=1.0,
        jerk_deg_s3=[j * 5 for j in cfg.jerk_deg_s3],
    )


def short_vector(cfg: RobotConfig, offset: float = 1.0) -> np.ndarray:
    """A choreography of two small moves and 26 pauses: ~2 s under :func:`fast_config`."""
    kf = np.tile(HOME_DEG + offset * np.array([3.0, -2.0, 2.0, 5.0, -4.0, 6.0]), (28, 1))
    kf[-1] = HOME_DEG + offset * np.array([-2.0, 1.0, -1.0, -3.0, 2.0, -4.0])
    return encode(Choreography(kf, np.full(28, 0.05)), cfg)


def free_udp_port() -> int:
    """A UDP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sim_settings(**changes: Any) -> BridgeSettings:
    """Bridge settings for tests: ephemeral port, no fixed reply address, fast simulator."""
    base: dict[str, Any] = {"listen": ("127.0.0.1", 0), "reply": None, "speed": 40.0}
    return BridgeSettings(**{**base, **changes})


@contextmanager
def sim_bridge(
    cfg: RobotConfig | None = None, **changes: Any
) -> Iterator[tuple[Bridge, BridgeClient]]:
    """A started bridge on the simulator and a client talking to it."""
    with Bridge(sim_settings(**changes), cfg) as bridge, BridgeClient(bridge.address) as client:
        yield bridge, client


def wait_until(
    predicate: Callable[[], bool], timeout: float = 5.0, what: str = "condition"
) -> None:
    """Poll ``predicate`` every 10 ms until true; fail the test after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.01)


def second_difference_accel(t: np.ndarray, q: np.ndarray) -> np.ndarray:
    """|acceleration| (deg/s^2) per interior sample from non-uniform samples (n, 6)."""
    h1 = np.diff(t)[:-1, None]
    h2 = np.diff(t)[1:, None]
    return np.abs(2.0 * (h1 * q[2:] - (h1 + h2) * q[1:-1] + h2 * q[:-2]) / (h1 * h2 * (h1 + h2)))


class FakeKukaProcess:
    """``choreo fake-kuka`` in its own process (a real controller is separate hardware;
    in-process, the bridge's planning would hold the fake's GIL and distort its timing)."""

    def __init__(
        self,
        target: tuple[str, int],
        cycle_ms: int = 4,
        duration_s: float = 30.0,
        config: str | None = None,
    ) -> None:
        import subprocess
        import sys
        import tempfile
        from pathlib import Path

        self._dir = tempfile.TemporaryDirectory()
        self.json_path = Path(self._dir.name) / "fake.json"
        exe = Path(sys.executable).with_name("choreo")
        self.proc = subprocess.Popen(
            [
                str(exe),
                "fake-kuka",
                "--target",
                f"{target[0]}:{target[1]}",
                "--cycle-ms",
                str(cycle_ms),
                "--duration",
                str(duration_s),
                "--json",
                str(self.json_path),
                *(["--config", config] if config else []),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def finish(self, timeout: float = 10.0) -> dict[str, Any]:
        """Stop it (Ctrl-C) if still running; return its JSON summary."""
        import json
        import signal

        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        _, err = self.proc.communicate(timeout=timeout)
        try:
            return dict(json.loads(self.json_path.read_text()))
        except FileNotFoundError:
            raise AssertionError(f"fake-kuka wrote no summary; stderr: {err}") from None
        finally:
            self._dir.cleanup()

    def kill(self) -> None:
        """Kill it without a summary (a controller that vanishes)."""
        self.proc.kill()
        self.proc.wait()
