"""A recorded session as the dashboard shows it: the feedback stream from its XDF, the
trial records, the arm's motion re-planned from each performed choreography.

Read by the static report page (:mod:`choreo.dashboard.report_page`) and by the replay
into the live dashboard (:mod:`choreo.dashboard.replay`); the numbers are those the
session recorded (the report's own readers: ``choreo.session.report``), nothing rescored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from choreo.session.store import SessionStore


@dataclass
class RecordedSession:
    """What the session left, on the LSL clock (s).

    Attributes
    ----------
    t, score, rel_alpha, rel_theta, accepted
        The recorded feedback windows (window end, z, share of 1-40 Hz power, bool).
    wall_offset
        Unix time minus LSL time at the session (from the first run record), s.
    """

    name: str
    records: list[dict[str, Any]]
    t: np.ndarray
    score: np.ndarray
    rel_alpha: np.ndarray
    rel_theta: np.ndarray
    accepted: np.ndarray
    wall_offset: float
    channels: list[str] = field(default_factory=list)
    eeg: str = ""

    @property
    def trials(self) -> list[dict[str, Any]]:
        """The trial records, in order."""
        return [r for r in self.records if r.get("kind") == "trial"]

    def points(self, lo: float = -math.inf, hi: float = math.inf) -> list[list[Any]]:
        """Feedback points with window end in (lo, hi] as the feed sends them:
        ``[i, lsl_t, wall, score, rel_alpha, rel_theta, accepted]`` (NaN as None)."""
        sel = np.flatnonzero((self.t > lo) & (self.t <= hi))
        return [
            [
                int(i) + 1,
                float(self.t[i]),
                float(self.t[i] + self.wall_offset),
                _num(self.score[i]),
                _num(self.rel_alpha[i]),
                _num(self.rel_theta[i]),
                bool(self.accepted[i]),
            ]
            for i in sel
        ]


def _num(x: Any) -> float | None:
    v = float(x)
    return v if math.isfinite(v) else None


def read_recorded_session(store: SessionStore) -> RecordedSession:
    """The feedback windows of every run (as recorded live) and the records of ``store``."""
    from choreo.session.report import _feedback_series

    records = store.records()
    series = _feedback_series(store)
    if series:
        t = np.concatenate([s["t"] for s in series])
        x = np.concatenate([s["x"] for s in series])
    else:
        t, x = np.zeros(0), np.zeros((0, 5))
    order = np.argsort(t, kind="stable")
    t, x = t[order], x[order]
    run = next((r for r in records if r.get("kind") == "run"), {})
    first = run.get("first_sample_t")
    wall_offset = float(run["wall"]) - float(first) if first is not None and "wall" in run else 0.0
    eeg = run.get("eeg") or {}
    return RecordedSession(
        name=store.path.name,
        records=records,
        t=t,
        score=x[:, 0],
        rel_alpha=x[:, 1],
        rel_theta=x[:, 2],
        accepted=x[:, 4] >= 0.5,
        wall_offset=wall_offset,
        channels=list(eeg.get("ch_names") or []),
        eeg=f"{eeg.get('name', '')} ({eeg.get('type', '')}, {eeg.get('sfreq', 0):g} Hz)"
        if eeg
        else "",
    )


def trial_motion(vector: Any, started: float, done: float) -> tuple[np.ndarray, np.ndarray]:
    """The arm's planned joint path of a performed choreography, stretched onto
    [started, done] (the bridge played it, possibly faster on the simulator):
    times (n,) s LSL, joints (n, 6) deg."""
    from choreo.robot.config import load_robot_config
    from choreo.robot.trajectory import plan_choreography

    plan = plan_choreography(np.asarray(vector, dtype=np.uint8), load_robot_config())
    step = max(1, len(plan.t) // 2000)
    t = np.asarray(plan.t[::step], dtype=float)
    q = np.ascontiguousarray(plan.q[::step])
    span = float(plan.duration) or 1.0
    return started + (t / span) * (done - started), q


def settings_rows(store: SessionStore) -> list[dict[str, str]]:
    """The session's seeds and the settings that shape its numbers, as readable rows."""
    meta = store.meta()
    s = store.settings()
    rows: list[dict[str, str]] = []

    def add(what: str, value: Any) -> None:
        rows.append({"what": what, "value": str(value)})

    for k, v in (meta.get("seeds") or {}).items():
        add(f"seed of the {k}" if isinstance(v, int) else f"seed: {k}", v)
    demo = meta.get("demo") or {}
    if demo.get("participant"):
        add("synthetic participant (demo)", demo["participant"])
    add("prior checkpoint", meta.get("prior_checkpoint", s.learner.checkpoint))
    if meta.get("prior_sha256"):
        add("prior checkpoint sha256", str(meta["prior_sha256"])[:16] + "…")
    add("trials asked for", s.trials.count)
    add("baseline block (s)", s.baseline.duration_s)
    add("rest between trials (s)", s.trials.rest_s)
    add("bridge", f"{s.bridge.host}:{s.bridge.port}")
    versions = meta.get("versions") or {}
    for pkg in ("choreo", "choreo_source", "torch", "numpy", "pylsl"):
        if pkg in versions:
            add(f"version of {pkg}", versions[pkg])
    if meta.get("created"):
        add("created (UTC)", meta["created"])
    if meta.get("host"):
        add("host", meta["host"])
    return rows
