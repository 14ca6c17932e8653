"""What the dashboard shows, and the artist's commands back: one thread-safe feed.

The session, the monitor, the bridge or a replay *publish* into a :class:`DashboardFeed`
(the values their terminal views already show, nothing recomputed); the web server
*reads* snapshots from it and *puts* commands (pause, resume, stop, skip) into it; the
session *polls* the commands between and within trials.

Units: scores in z, relative band power as a share (0..1), joints in deg, arm points in
m (the robot's base frame), times in s (``lsl_t``: LSL clock; ``wall``: Unix time).
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Commands the dashboard accepts.
COMMANDS = ("pause", "resume", "stop", "skip")
#: Feedback points kept for the live plots (at 10 windows a second: 2 min).
HISTORY_POINTS = 1200


class SessionStopRequested(KeyboardInterrupt):
    """The artist pressed *stop*: the session ends as on Ctrl-C (robot home, records kept).

    A ``KeyboardInterrupt`` so that every loop that already stops cleanly on Ctrl-C stops
    cleanly on it too; :attr:`reason` is what the session records as its end.
    """

    reason = "stopped from the dashboard"


def _finite(x: Any) -> float | None:
    """``x`` as a JSON number, ``None`` for NaN/inf/absent (JSON has no NaN)."""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def arm_points(q_deg: Any) -> list[list[float]]:
    """Base, the six joint origins' chain and the flange of the KR 6 at ``q_deg``, m (7, 3)."""
    from choreo.robot.kr6 import joint_positions

    return np.round(joint_positions(np.asarray(q_deg, dtype=float)), 4).tolist()


def record_intervals(records: Any) -> list[list[Any]]:
    """The baseline block and the performed trials of session records, for shading the
    plots: ``[kind, start, end, status]`` (LSL s; kind ``baseline`` or ``trial``)."""
    out: list[list[Any]] = []
    for r in records:
        if r.get("kind") == "baseline":
            out.append(["baseline", _finite(r.get("start")), _finite(r.get("end")), ""])
        elif r.get("kind") == "trial" and r.get("started") and r.get("done"):
            out.append(["trial", _finite(r["started"]), _finite(r["done"]), r.get("status")])
    return out


def choreography_path(vector: Any) -> dict[str, Any]:
    """The flange's keyframe positions (m) and the keyframe durations (s) of ``vector``."""
    from choreo.robot.codec import decode
    from choreo.robot.config import load_robot_config
    from choreo.robot.kr6 import forward_kinematics

    c = decode(np.asarray(vector, dtype=np.uint8), load_robot_config())
    xyz = forward_kinematics(c.keyframes_deg)
    return {
        "flange": np.round(xyz, 4).tolist(),
        "keyframes_deg": np.round(c.keyframes_deg, 2).tolist(),
        "durations_s": np.round(c.durations_s, 3).tolist(),
    }


@dataclass
class FeedbackWindow:
    """One feedback window as the dashboard plots it: LSL time ``t`` (s), score (z),
    frontal relative alpha and theta (0..1), whether it was accepted, and for a replayed
    window the Unix time ``wall`` (s) the session recorded it at (None: now)."""

    t: float
    score: float
    rel_alpha: float
    rel_theta: float
    accepted: bool
    wall: float | None = None


class DashboardFeed:
    """Thread-safe snapshots for the dashboard and the artist's commands for the session.

    Parameters
    ----------
    source
        Who publishes: ``"session"``, ``"monitor"``, ``"bridge"`` or ``"replay"`` (the page
        shows only the panels that source fills).
    history
        Feedback points kept for the plots.
    """

    def __init__(self, source: str = "session", history: int = HISTORY_POINTS) -> None:
        self.source = source
        self._lock = threading.Lock()
        self._values: dict[str, Any] = {"source": source, "phase": "starting"}
        self._seq = 0
        # Feedback points: (index, lsl_t, wall, score, rel_alpha, rel_theta, accepted).
        self._points: deque[tuple[Any, ...]] = deque(maxlen=history)
        self._n_points = 0
        self._paused = False
        self._stop = False
        self._skip = False
        self._best_key: Any = None
        self._n_records = -1
        self.log: list[str] = []

    # ------------------------------------------------------------- publishing
    def publish(self, **values: Any) -> None:
        """Set displayed values (e.g. ``phase="trial"``); floats may be NaN (sent as null)."""
        clean = {k: _finite(v) if isinstance(v, float) else v for k, v in values.items()}
        with self._lock:
            self._values.update(clean)
            self._seq += 1

    def push_feedback(self, samples: Any) -> None:
        """Append feedback windows (objects with ``t``, ``score``, ``rel_alpha``,
        ``rel_theta``, ``accepted``, e.g. :class:`choreo.eeg.feedback.FeedbackSample`;
        a ``wall`` attribute, Unix s, places a replayed window at its recorded time)."""
        now = time.time()
        with self._lock:
            for s in samples:
                self._n_points += 1
                self._points.append(
                    (
                        self._n_points,
                        _finite(s.t),
                        wall if (wall := getattr(s, "wall", None)) is not None else now,
                        _finite(s.score),
                        _finite(s.rel_alpha),
                        _finite(s.rel_theta),
                        bool(getattr(s, "accepted", True)),
                    )
                )
            self._seq += 1

    def set_joints(self, q_deg: Any, lsl_t: float | None = None) -> None:
        """The arm's pose (deg, A1..A6) as the bridge last reported it."""
        if q_deg is None:
            return
        q = np.asarray(q_deg, dtype=float)
        if q.shape != (6,) or not np.all(np.isfinite(q)):
            return
        self.publish(joints=np.round(q, 3).tolist(), arm=arm_points(q), joints_t=lsl_t)

    def set_best(self, key: Any, vector: Any, **values: Any) -> None:
        """The best choreography so far (computed once per ``key``, e.g. its trial)."""
        if key == self._best_key:
            return
        self._best_key = key
        try:
            path = choreography_path(vector)
        except Exception:  # display only: a bad vector is the session's to report
            path = {}
        self.publish(best_vector=[int(v) for v in vector], best_path=path, **values)

    def publish_session(self, session: Any, new_samples: Any = ()) -> None:
        """Copy what a :class:`choreo.session.live.LiveSession` shows in its terminal view
        (its ``status``), its new feedback windows and the bridge's last reported pose."""
        s = session.status
        if new_samples:
            self.push_feedback(new_samples)
        last = session.samples[-1] if session.samples else None
        self.publish(
            session=s.session,
            phase=s.phase,
            message=s.message,
            backend=s.backend,
            eeg=s.eeg,
            channels=list(s.channels),
            quality=list(s.quality),
            score=_finite(s.score),
            rel_alpha=_finite(s.rel_alpha),
            rel_theta=_finite(s.rel_theta),
            sample_t=_finite(last.t) if last is not None else None,
            trial=s.trial,
            n_trials=s.n_trials,
            progress=_finite(s.progress),
            scores=[_finite(v) if v is not None else None for v in s.scores],
            best_trial=s.best_trial,
            best_score=_finite(s.best_score),
            best_note=s.best_note,
            events=list(s.events[-6:]),
        )
        state = session.robot.latest_state  # the bridge's last /choreo/state
        if state is not None:
            self.set_joints(state.q, getattr(state, "t", None))
        if len(session.records) != self._n_records:  # a new record: maybe a new interval
            self._n_records = len(session.records)
            self.publish(intervals=record_intervals(session.records))
        if s.phase != "trial":
            with self._lock:  # a skip pressed between trials must not skip the next one
                self._skip = False
        if s.best_trial is not None and s.best_trial != self._best_key:
            rec = next(
                (
                    r
                    for r in session.records
                    if r.get("status") == "scored" and r.get("n") == s.best_trial
                ),
                None,
            )
            if rec is not None:
                self.set_best(s.best_trial, rec["vector"])

    def publish_monitor(self, state: Any, pipeline: Any, windows: Any) -> None:
        """Copy what ``choreo monitor`` shows (its :class:`choreo.eeg.monitor.MonitorState`,
        the pipeline's per-channel quality) and the windows of one push
        (:class:`choreo.eeg.pipeline.PipelineWindows`)."""
        if windows is not None and windows.n_windows:
            self.push_feedback(
                FeedbackWindow(t, sc, a, th, ok)
                for t, sc, a, th, ok in zip(
                    windows.t,
                    windows.score,
                    windows.frontal_alpha,
                    windows.frontal_theta,
                    windows.frontal_accepted,
                    strict=True,
                )
            )
        report = pipeline.channel_report()
        self.publish(
            session="",
            phase=state.status,
            message=state.message or (f"baseline: {state.baseline}" if state.baseline else ""),
            eeg=state.stream,
            channels=[c.name for c in report],
            quality=[c.level for c in report],
            score=_finite(state.score),
            rel_alpha=_finite(state.rel_alpha),
            rel_theta=_finite(state.rel_theta),
        )

    def publish_bridge(self, bridge: Any) -> None:
        """Copy what a running :class:`choreo.robot.bridge.Bridge` reports: mode, backend,
        the arm's pose now."""
        import pylsl

        now = pylsl.local_clock()
        self.publish(phase=bridge.mode, backend=bridge.backend_name, message="")
        self.set_joints(bridge.backend.pose(now), now)

    # ------------------------------------------------------------- reading
    def snapshot(self, since: int = 0) -> dict[str, Any]:
        """The displayed values, with the feedback points after index ``since``.

        Returns a JSON-ready dict; ``points`` is columns ``i, lsl_t, wall, score,
        rel_alpha, rel_theta, accepted`` and ``n_points`` the index of the last point.
        """
        with self._lock:
            out = dict(self._values)
            pts = [p for p in self._points if p[0] > since]
            out.update(
                seq=self._seq,
                wall=time.time(),
                paused=self._paused,
                stopping=self._stop,
                n_points=self._n_points,
                points=[list(p) for p in pts],
            )
        return out

    @property
    def paused(self) -> bool:
        """Whether the artist asked to hold before the next trial."""
        return self._paused

    @property
    def stop_requested(self) -> bool:
        """Whether the artist pressed *stop*."""
        return self._stop

    # ------------------------------------------------------------- commands
    def command(self, name: str) -> str:
        """Take a command from the dashboard; return what it does (shown on the page).

        Raises
        ------
        ValueError
            ``name`` is not one of :data:`COMMANDS`.
        """
        if name not in COMMANDS:
            raise ValueError(f"unknown command {name!r} (one of {', '.join(COMMANDS)})")
        with self._lock:
            if name == "pause":
                self._paused = True
                reply = "pausing: the session holds before the next trial"
            elif name == "resume":
                self._paused = False
                reply = "resuming"
            elif name == "stop":
                self._stop = True
                reply = "stopping: robot home, records saved"
            elif self._values.get("phase") != "trial":
                reply = "no trial is running: nothing to skip"
            else:
                self._skip = True
                reply = "skipping the current trial (not scored)"
            self.log.append(f"{time.strftime('%H:%M:%S')} {name}: {reply}")
            self._values["command_reply"] = reply
            self._seq += 1
        return reply

    def check_stop(self) -> None:
        """Raise :class:`SessionStopRequested` once the artist pressed *stop*."""
        if self._stop:
            raise SessionStopRequested(SessionStopRequested.reason)

    def take_skip(self) -> bool:
        """Whether *skip* was pressed since the last call (and forget it)."""
        with self._lock:
            skip, self._skip = self._skip, False
        return skip
