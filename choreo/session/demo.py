"""``choreo demo``: the whole loop with no hardware, in about two minutes.

What stands in for what:

- the person: a synthetic participant (:mod:`choreo.gan.participants`, by import
  path) whose response to the choreography the robot is performing sets the
  relaxation level of synthetic EEG (:func:`choreo.eeg.sources.outlet.publish_synthetic`),
  published in real time over LSL like a headset's app would;
- the robot: the bridge on the simulator, started by the session itself when no bridge
  answers (on a free port, sped up by ``simulator_speed``), spoken to over real OSC;
- everything else is the live session (:func:`choreo.session.live.run_session`):
  the real scoring path, the real learner, XDF recording, then the report.

The participant sees a choreography when the bridge says ``/choreo/started``; its
noisy response ``r`` (z units) becomes relaxation ``1 / (1 + exp(-gain r))`` until
``/choreo/done``; between trials the relaxation is ``rest_relaxation``.
"""

from __future__ import annotations

import math
import os
import socket
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from choreo.errors import ConfigError
from choreo.session.live import SessionHooks, SessionResult, run_session
from choreo.session.settings import DemoSettings, SessionSettings, load_demo_settings


def free_udp_port(host: str = "127.0.0.1") -> int:
    """A UDP port nobody uses right now on ``host``."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


class SyntheticAudience:
    """A synthetic participant watching the robot, publishing EEG over LSL.

    Parameters
    ----------
    demo
        The demo settings (participant, device, seeds, mapping).
    name
        LSL stream name (and source id) of the EEG.
    """

    def __init__(self, demo: DemoSettings, name: str) -> None:
        from choreo.eeg.sources.outlet import publish_synthetic
        from choreo.gan.participants import load_participant

        self.demo = demo
        self.name = name
        self.participant = load_participant(demo.participant, demo.participant_seed)
        if demo.participant_noise is not None:
            if not hasattr(self.participant, "noise_scale"):
                raise ConfigError(
                    f"demo participant {demo.participant}: has no noise_scale; "
                    "set [demo] participant_noise to nothing"
                )
            self.participant.noise_scale = demo.participant_noise
        self.level = demo.rest_relaxation
        #: (trial id, response z, true value, relaxation) per performance watched.
        self.watched: list[tuple[int, float, float, float]] = []
        self.publisher = publish_synthetic(
            demo.device, relaxation=self.relaxation, seed=demo.eeg_seed, name=name, source_id=name
        )

    def relaxation(self, t: float) -> float:
        """The relaxation level now (the synthetic EEG asks once per chunk)."""
        return self.level

    def on_trial_start(self, trial_id: int, vector: np.ndarray) -> None:
        """The robot starts performing ``vector``: the participant responds."""
        r = float(self.participant.respond(vector))
        self.level = 1.0 / (1.0 + math.exp(-self.demo.gain * r))
        self.watched.append((trial_id, r, float(self.participant.true_value(vector)), self.level))

    def on_trial_end(self, trial_id: int) -> None:
        """The performance is over: back to the resting level."""
        self.level = self.demo.rest_relaxation

    def hooks(self) -> SessionHooks:
        """The session hooks that connect this audience to the robot's performances."""
        return SessionHooks(on_trial_start=self.on_trial_start, on_trial_end=self.on_trial_end)

    def start(self) -> SyntheticAudience:
        """Start publishing (a daemon thread)."""
        self.publisher.start()
        return self

    def stop(self) -> None:
        """Stop publishing and withdraw the stream."""
        self.publisher.stop()


@dataclass
class DemoResult:
    """What the demo did: the session, its duration and the score curve."""

    session: SessionResult
    duration_s: float
    report: Any
    watched: list[tuple[int, float, float, float]] = field(default_factory=list)


def demo_session_settings(base: SessionSettings, eeg_name: str, port: int) -> SessionSettings:
    """The demo's session settings: its own EEG stream and a free port for its bridge."""
    return base.model_copy(
        update={
            "eeg": base.eeg.model_copy(
                update={"name": eeg_name, "source_id": eeg_name, "type": "EEG"}
            ),
            "bridge": base.bridge.model_copy(update={"port": port, "start_simulator": True}),
        }
    )


def run_demo(
    config: str | os.PathLike[str] | None = None,
    trials: int | None = None,
    root: str | None = None,
    view: bool | None = None,
) -> DemoResult:
    """Run the demo (see the module docstring) and make its report.

    Parameters
    ----------
    config
        Demo settings file (default ``configs/demo.toml``).
    trials
        Override the number of trials.
    root
        Override the folder of session directories.
    view
        Override whether the live view is drawn.
    """
    t0 = time.monotonic()
    demo_file = load_demo_settings(config)
    base = demo_file.session
    updates: dict[str, Any] = {}
    if trials is not None:
        updates["trials"] = base.trials.model_copy(update={"count": trials})
    if root is not None:
        updates["root"] = root
    if view is not None:
        updates["view"] = view
    base = base.model_copy(update=updates)
    eeg_name = f"choreo-demo-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    settings = demo_session_settings(base, eeg_name, free_udp_port(base.bridge.host))
    audience = SyntheticAudience(demo_file.demo, eeg_name).start()
    meta = {
        "demo": demo_file.demo.model_dump(mode="json"),
        "seeds": {
            "learner": settings.learner.seed,
            "participant": demo_file.demo.participant_seed,
            "eeg": demo_file.demo.eeg_seed,
        },
    }
    try:
        result = run_session(settings, hooks=audience.hooks(), meta=meta)
    finally:
        audience.stop()
    _write_watched(result.path, audience.watched)
    report = None
    if demo_file.demo.report:
        from choreo.session.report import make_report

        report = make_report(result.path)
    return DemoResult(result, time.monotonic() - t0, report, audience.watched)


def _write_watched(path: Path, watched: list[tuple[int, float, float, float]]) -> None:
    from choreo.session.store import write_json_atomic

    write_json_atomic(
        path / "participant.json",
        [
            {"trial": t, "response_z": r, "true_value": v, "relaxation": lvl}
            for t, r, v, lvl in watched
        ],
    )
