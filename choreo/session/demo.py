"""``choreo demo``: the whole loop with no hardware, in about two minutes.

What stands in for what:

- the person: a synthetic participant (:mod:`choreo.evaluation.participants`, by import
  path) whose response to the choreography the robot is performing sets the
  relaxation level of synthetic EEG (:func:`choreo.eeg.sources.outlet.publish_synthetic`),
  published in real time over LSL like a headset's app would;
- the robot: the bridge on the simulator, started by the session itself when no bridge
  answers (on a free port, sped up by ``simulator_speed``), spoken to over real OSC;
- everything else is the live session (:func:`choreo.session.live.run_session`):
  the real scoring path, the real learner, XDF recording, then the report.

The participant sees a choreography when the bridge says ``/choreo/started``; its
response ``r`` (z units) becomes the EEG's relaxation level until ``/choreo/done``
(``mapping = "calibrated"``: :func:`choreo.evaluation.participants.relaxation_level`,
the motions' range over the real recordings' concentrating..relaxed levels; or
``"sigmoid"``, ``1 / (1 + exp(-gain r))``); between trials the relaxation is
``rest_relaxation``.

After the session, ``participant.json`` records what the learner never sees, so the
report can show what was learned beside the scores: per trial the participant's
response, its hidden true value, the habituation cost (a motion like the last few
relaxes less), the relaxation level, and the true value of the learner's
recommendation after that trial (from the saved checkpoint); and, as a yardstick,
the true values of choreographies drawn at random from the learner's prior.
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
        from choreo.evaluation.participants import load_participant

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
        #: One row per performance watched: trial, response_z, true_value,
        #: habituation_z, relaxation.
        self.watched: list[dict[str, float]] = []
        self.publisher = publish_synthetic(
            demo.device, relaxation=self.relaxation, seed=demo.eeg_seed, name=name, source_id=name
        )

    def relaxation(self, t: float) -> float:
        """The relaxation level now (the synthetic EEG asks once per chunk)."""
        return self.level

    def on_trial_start(self, trial_id: int, vector: np.ndarray) -> None:
        """The robot starts performing ``vector``: the participant responds."""
        hab = self._habituation_z(vector)  # before respond(), which remembers this motion
        r = float(self.participant.respond(vector))
        self.level = self.level_of(r)
        self.watched.append(
            {
                "trial": trial_id,
                "response_z": r,
                "true_value": float(self.participant.true_value(vector)),
                "habituation_z": hab,
                "relaxation": self.level,
            }
        )

    def level_of(self, response_z: float) -> float:
        """The relaxation level (0..1) the EEG shows for response ``response_z`` (z)."""
        if self.demo.mapping == "sigmoid":
            return 1.0 / (1.0 + math.exp(-self.demo.gain * response_z))
        from choreo.evaluation.participants import relaxation_level

        return relaxation_level(self.participant, response_z)

    def _habituation_z(self, vector: np.ndarray) -> float:
        """What habituation takes off this response (z), if the participant has it; else NaN."""
        import choreo.evaluation.participants as participants

        similarity = getattr(self.participant, "habituation", None)
        scale = getattr(participants, "HABITUATION_Z", None)
        if not callable(similarity) or scale is None:
            return math.nan
        return float(scale) * float(similarity(vector))

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
    watched: list[dict[str, float]] = field(default_factory=list)


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
    feed: Any = None,
) -> DemoResult:
    """Run the demo (see the module docstring) and make its report.

    Parameters
    ----------
    config
        Demo settings file (default ``choreo/configs/demo.toml``).
    trials
        Override the number of trials.
    root
        Override the folder of session directories.
    view
        Override whether the live view is drawn.
    feed
        A :class:`choreo.dashboard.state.DashboardFeed` (``choreo demo --dashboard``).
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
        result = run_session(settings, hooks=audience.hooks(), meta=meta, feed=feed)
    finally:
        audience.stop()
    _write_watched(result.path, audience, settings.learner.checkpoint)
    report = None
    if demo_file.demo.report:
        from choreo.session.report import make_report

        report = make_report(result.path)
    return DemoResult(result, time.monotonic() - t0, report, audience.watched)


#: Choreographies drawn from the learner's prior for the yardstick in participant.json.
PRIOR_DRAWS = 256


def prior_yardstick(
    participant: Any, checkpoint: str | None, n: int = PRIOR_DRAWS
) -> dict[str, float]:
    """True values (z) of ``n`` choreographies drawn at random from the learner's prior.

    What a learner that does not learn would show on average: the median, the 90th
    percentile and the best of the draws (a fixed draw: seed 0).
    """
    from choreo.evaluation.participants import true_values_of
    from choreo.prior.checkpoint import load_generator

    generator, _ = load_generator(checkpoint)
    rng = np.random.default_rng(0)
    vectors = generator.decode_latent(rng.standard_normal((n, generator.latent_dim)))
    values = true_values_of(participant, vectors)
    return {
        "n": int(n),
        "median": float(np.median(values)),
        "p90": float(np.percentile(values, 90)),
        "max": float(values.max()),
    }


def recommended_true_values(
    path: Path, participant: Any, checkpoint: str | None
) -> dict[int, float]:
    """{trial id: true value of the learner's recommendation after that trial}."""
    from choreo.learning.learner import Learner
    from choreo.session.store import SessionStore

    out: dict[int, float] = {}
    for r in SessionStore.open(path).trials():
        if not r.get("checkpoint"):
            continue
        learner = Learner.load(path / "checkpoints" / r["checkpoint"], checkpoint=checkpoint)
        out[int(r["trial"])] = float(participant.true_value(learner.recommend()))
    return out


def _write_watched(path: Path, audience: SyntheticAudience, checkpoint: str | None) -> None:
    from choreo.session.store import write_json_atomic

    rows: list[dict[str, Any]] = [dict(w) for w in audience.watched]
    notes: list[str] = []
    prior: dict[str, float] | None = None
    try:
        recommended = recommended_true_values(path, audience.participant, checkpoint)
        for row in rows:
            row["recommended_true_value"] = recommended.get(int(row["trial"]))
        prior = prior_yardstick(audience.participant, checkpoint)
    except Exception as exc:  # evidence for the report only: never lose the session over it
        notes.append(f"participant evidence incomplete: {type(exc).__name__}: {exc}")
    write_json_atomic(
        path / "participant.json",
        {"participant": audience.demo.participant, "trials": rows, "prior": prior, "notes": notes},
    )
