"""Helpers of the session tests: a bridge process on the simulator, synthetic EEG over LSL."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from choreo.resources import model_dir
from choreo.session.demo import free_udp_port
from choreo.session.settings import (
    BaselineSettings,
    BridgeConnection,
    EegSettings,
    FeedbackOutput,
    LearnerConnection,
    QualitySettings,
    RecordingSettings,
    SessionSettings,
    TrialSettings,
)

REPO = Path(__file__).resolve().parents[2]
#: The shipped GAN prior (CHOREO_TEST_PRIOR points elsewhere).
PRIOR = os.environ.get("CHOREO_TEST_PRIOR", str(model_dir() / "prior.safetensors"))


class BridgeProcess:
    """``choreo bridge`` on the simulator in its own process, on a free port."""

    def __init__(self, speed: float, extra: list[str] | None = None) -> None:
        self.port = free_udp_port()
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "choreo",
                "bridge",
                "--listen",
                f"127.0.0.1:{self.port}",
                "--reply",
                "none",
                "--speed",
                str(speed),
                *(extra or []),
            ],
            cwd=REPO,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 20.0) -> None:
        from choreo.errors import StreamError
        from choreo.robot.client import BridgeClient

        client = BridgeClient(bridge=("127.0.0.1", self.port))
        try:
            deadline = time.monotonic() + timeout
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"bridge exited: {self.proc.stderr.read() if self.proc.stderr else ''}"
                    )
                try:
                    client.request_state(timeout=0.3)
                    return
                except StreamError:
                    if time.monotonic() > deadline:
                        raise
        finally:
            client.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


class PausableEEG:
    """Synthetic Muse EEG on a real LSL outlet, with a switch that silences it (dropout).

    While paused, chunks that come due are dropped (the outlet stays, no samples flow),
    as when a headset loses its radio link.
    """

    def __init__(
        self,
        name: str,
        relaxation: float = 0.5,
        seed: int = 5,
        clock: str = "lsl",
        clock_offset: float = 0.0,
    ) -> None:
        import pylsl

        from choreo.eeg.sources.outlet import PacedPublisher
        from choreo.eeg.sources.synthetic import SyntheticEEG, SynthSettings

        self.level = relaxation
        self.paused = threading.Event()
        self.src = SyntheticEEG(
            "muse2016",
            seed=seed,
            relaxation=lambda t: self.level,
            # A calm test subject: few blinks, so a short baseline block is clean enough.
            settings=SynthSettings(blink_rate_hz=0.02, muscle_rate_hz=0.02),
            chunk_samples=8,
            name=name,
            source_id=name,
        )

        def chunks():  # type: ignore[no-untyped-def]
            self.src.start_time = pylsl.local_clock() + 0.05
            for chunk in self.src:
                if self.paused.is_set():
                    due = float(chunk.timestamps[-1]) - pylsl.local_clock()
                    if due > 0:
                        time.sleep(due)
                    continue
                yield chunk

        self.publisher = PacedPublisher(
            self.src.info,
            chunks(),
            units="uV",
            clock=clock,  # type: ignore[arg-type]
            clock_offset=clock_offset,
        )
        self.publisher.start()

    def jump_clock_at(self, delay: float, seconds: float) -> None:
        """In ``delay`` s, shift every later stamp by ``seconds`` (a clock jump)."""

        def jump() -> None:
            self.publisher.clock_offset += seconds

        threading.Timer(delay, jump).start()

    def pause_for(self, seconds: float) -> None:
        """Silence the stream now for ``seconds``."""
        self.paused.set()
        threading.Timer(seconds, self.paused.clear).start()

    def close(self) -> None:
        self.publisher.stop()


def fast_settings(
    root: Path,
    eeg_name: str,
    port: int,
    trials: int = 3,
    record: bool = True,
    check: bool = False,
    rest_s: float = 0.1,
    **over: object,
) -> SessionSettings:
    """Session settings for tests: short baseline, short rest, no live view."""
    return SessionSettings(
        root=str(root),
        name="t",
        view=False,
        eeg=EegSettings(name=eeg_name, source_id=eeg_name, resolve_timeout_s=5, lost_after_s=0.6),
        bridge=BridgeConnection(
            port=port, start_simulator=False, connect_timeout_s=2, silent_after_s=1.0
        ),
        quality=QualitySettings(
            check=check, required="medium", hold_s=0.3, timeout_s=10, on_timeout="abort"
        ),
        baseline=BaselineSettings(duration_s=2.5),
        trials=TrialSettings(count=trials, rest_s=rest_s, start_timeout_s=3),
        feedback=FeedbackOutput(osc_port=0),
        # LabRecorder once took over 10 s to start under the full suite's load (2 cores).
        recording=RecordingSettings(enabled=record, start_timeout_s=30),
        learner=LearnerConnection(checkpoint=PRIOR, seed=3),
        **over,  # type: ignore[arg-type]
    )


class AccOutlet:
    """A Muse-like accelerometer on LSL (type ACC, X/Y/Z in g, 52 Hz, Unix stamps as
    muselsl sends them), resting until :meth:`shake_for` shakes the head sideways."""

    def __init__(self, name: str, source_id: str) -> None:
        import numpy as np
        import pylsl

        info = pylsl.StreamInfo(name, "ACC", 3, 52.0, pylsl.cf_float32, source_id)
        chans = info.desc().append_child("channels")
        for label in ("X", "Y", "Z"):
            chans.append_child("channel").append_child_value("label", label)
        self.outlet = pylsl.StreamOutlet(info)
        self.shaking_until = 0.0
        self._stop = threading.Event()
        self._rng = np.random.default_rng(0)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import numpy as np

        k = 0
        while not self._stop.wait(4 / 52.0):  # muselsl: 4 samples per packet
            now = time.time()
            stamps = now - (3 - np.arange(4)) / 52.0
            x = self._rng.normal(0, 0.005, (4, 3))
            x[:, 2] += 1.0
            if time.monotonic() < self.shaking_until:
                x[:, 0] += 0.4 * np.sin(2 * np.pi * 3 * (k + np.arange(4)) / 52.0)
            k += 4
            self.outlet.push_chunk(x.astype(np.float32), stamps.tolist())

    def shake_for(self, seconds: float) -> None:
        """Shake the head from now for ``seconds``."""
        self.shaking_until = time.monotonic() + seconds

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)


# -- fixtures (registered by tests/session/conftest.py and tests/dashboard/conftest.py) --


@pytest.fixture
def bridge_process() -> Iterator[Callable[..., BridgeProcess]]:
    """Start bridges with ``bridge_process(speed, extra_args)``; all stopped at teardown."""
    started: list[BridgeProcess] = []

    def make(speed: float = 40.0, extra: list[str] | None = None) -> BridgeProcess:
        b = BridgeProcess(speed, extra)
        started.append(b)
        return b

    yield make
    for b in started:
        b.close()


@pytest.fixture
def eeg(unique_name: str) -> Iterator[PausableEEG]:
    """Synthetic EEG published over LSL under a unique name."""
    e = PausableEEG(unique_name)
    yield e
    e.close()
