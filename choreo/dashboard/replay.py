"""Play a recorded session into the dashboard, paced (``choreo replay-session DIR
--dashboard``): the feedback windows from its XDF, its phases and trials from its
records, the arm along each performed choreography's plan.

The dashboard's buttons act on the playback: *pause* holds the clock, *skip* jumps to
the end of the trial playing, *stop* ends the playback.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from choreo.dashboard.recorded import RecordedSession, read_recorded_session, trial_motion
from choreo.dashboard.state import DashboardFeed, FeedbackWindow, record_intervals
from choreo.session.store import SessionStore

#: Seconds of wall time between two updates of the feed.
TICK_S = 0.05


@dataclass
class ReplayStats:
    """How a playback went: session seconds played, feedback windows and trials shown."""

    played_s: float
    n_points: int
    n_trials: int
    stopped: bool


class _Timeline:
    """What the session showed at session time ``t`` (LSL s)."""

    def __init__(self, rec: RecordedSession) -> None:
        self.rec = rec
        self.baseline = next((r for r in rec.records if r.get("kind") == "baseline"), None)
        self.trials = [r for r in rec.trials if r.get("started") is not None]
        self._motion: dict[int, tuple[np.ndarray, np.ndarray]] = {}

    def phase(self, t: float) -> tuple[str, str, float, dict[str, Any] | None]:
        """(phase, message, progress 0..1, the trial playing or None)."""
        b = self.baseline
        if b is not None and b["start"] <= t < b["end"]:
            span = b["end"] - b["start"]
            return "baseline", "replay", (t - b["start"]) / span, None
        for r in self.trials:
            end = r.get("done") or r["started"] + 1.0
            if r["started"] <= t < end:
                progress = (t - r["started"]) / (end - r["started"])
                return "trial", f"replay: id {r['trial']}", progress, r
        return "rest", "replay", 0.0, None

    def pose(self, r: dict[str, Any] | None, t: float) -> np.ndarray:
        """The arm at ``t`` during trial ``r`` (its plan stretched onto started..done)."""
        from choreo.robot.kr6 import HOME_DEG

        if r is None or r.get("done") is None:
            return HOME_DEG
        key = int(r["trial"])
        if key not in self._motion:
            self._motion[key] = trial_motion(r["vector"], r["started"], r["done"])
        ts, q = self._motion[key]
        return np.array([np.interp(t, ts, q[:, j]) for j in range(6)])


def replay_into_feed(
    path: str | os.PathLike[str],
    feed: DashboardFeed,
    speed: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> ReplayStats:
    """Play the session in ``path`` into ``feed`` at ``speed`` times real time.

    Parameters
    ----------
    path
        A session directory (with its recordings).
    feed
        Where to publish (a served dashboard's feed).
    speed
        Session seconds per wall second (> 0).
    sleep
        Waits between ticks (tests pass a no-op to run flat out).

    Raises
    ------
    InputError
        ``speed`` is not positive, or the session has no recorded feedback.
    """
    from choreo.errors import InputError

    if not speed > 0:
        raise InputError(f"replay speed {speed}: must be > 0")
    store = SessionStore.open(path)
    rec = read_recorded_session(store)
    if not len(rec.t):
        raise InputError(f"{store.path}: no recorded feedback stream to replay (recordings/)")
    line = _Timeline(rec)
    quality: dict[str, Any] = next((r for r in rec.records if r.get("kind") == "quality"), {})
    feed.publish(
        session=rec.name,
        eeg=rec.eeg,
        backend="replay of the recorded session",
        channels=rec.channels,
        quality=list(quality.get("quality") or []),
        n_trials=store.settings().trials.count,
    )
    t0 = float(rec.t[0]) - 1e-9
    t = t0
    i = 0  # next feedback window to publish
    shown: set[int] = set()
    scores: list[float | None] = []
    events: list[str] = []
    best: tuple[float, dict[str, Any]] | None = None
    end_t = float(rec.t[-1])
    stopped = False
    while t < end_t:
        if feed.stop_requested:  # the dashboard's Stop: end the playback
            stopped = True
            break
        if not feed.paused:
            t = min(end_t, t + TICK_S * speed)
        phase, message, progress, playing = line.phase(t)
        if playing is not None and feed.take_skip():
            t = float(playing.get("done") or t)
            events.append(f"skipped to the end of trial id {playing['trial']}")
        j = int(np.searchsorted(rec.t, t, side="right"))
        if j > i:
            feed.push_feedback(
                FeedbackWindow(
                    float(rec.t[k]),
                    float(rec.score[k]),
                    float(rec.rel_alpha[k]),
                    float(rec.rel_theta[k]),
                    bool(rec.accepted[k]),
                    float(rec.t[k] + rec.wall_offset),
                )
                for k in range(i, j)
            )
            i = j
        for r in line.trials:
            tid = int(r["trial"])
            done = r.get("done") or r["started"]
            if tid in shown or done > t:
                continue
            shown.add(tid)
            if r.get("status") == "scored":
                scores.append(float(r["score"]))
                events.append(f"trial {r['n']} (id {tid}): score {r['score']:+.2f} z")
                if best is None or float(r["score"]) > best[0]:
                    best = (float(r["score"]), r)
            elif r.get("status") == "invalid":
                scores.append(None)
                events.append(f"trial id {tid} invalid: {r.get('reason', '')}")
            else:
                events.append(f"trial id {tid} {r.get('status')}: {r.get('reason', '')}")
        last = i - 1
        values: dict[str, Any] = {
            "phase": "paused" if feed.paused else phase,
            "message": message + (" (paused)" if feed.paused else ""),
            "progress": progress,
            "score": float(rec.score[last]) if last >= 0 else math.nan,
            "rel_alpha": float(rec.rel_alpha[last]) if last >= 0 else math.nan,
            "rel_theta": float(rec.rel_theta[last]) if last >= 0 else math.nan,
            "sample_t": float(rec.t[last]) if last >= 0 else None,
            "trial": sum(v is not None for v in scores) + (1 if playing is not None else 0),
            "scores": list(scores),
            "events": events[-6:],
            "intervals": record_intervals(
                r for r in rec.records if (r.get("done") or r.get("end") or math.inf) <= t
            ),
        }
        if best is not None:
            values.update(
                best_trial=int(best[1]["n"]),
                best_score=best[0],
                best_note="(highest score so far)",
            )
            feed.set_best(int(best[1]["n"]), best[1]["vector"])
        feed.publish(**values)
        feed.set_joints(line.pose(playing, t), t)
        sleep(TICK_S)
    feed.publish(phase="finished" if not stopped else "stopped", message="replay ended")
    return ReplayStats(t - t0, i, len(shown), stopped)


def play_session(
    path: str | os.PathLike[str], speed: float = 1.0, host: str = "127.0.0.1", port: int = 8765
) -> ReplayStats:
    """``choreo replay-session DIR --dashboard``: serve the dashboard, play the session
    into it, then keep the page up until Ctrl-C."""
    from choreo.dashboard.launch import maybe_dashboard
    from choreo.ui.console import make_console

    console = make_console(stderr=True)
    stats = ReplayStats(0.0, 0, 0, True)
    with maybe_dashboard("replay", True, host, port, console) as feed:
        assert feed is not None
        try:
            stats = replay_into_feed(path, feed, speed)
            console.print(
                f"replay: {stats.played_s:.0f} s of the session, {stats.n_points} feedback "
                f"windows, {stats.n_trials} trials; Ctrl-C closes the page"
            )
            while not feed.stop_requested:
                time.sleep(0.2)
        except KeyboardInterrupt:
            console.print("replay: stopped")
    return stats
