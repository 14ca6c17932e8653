"""Faults during a session: EEG lost, bridge silent, a choreography the bridge rejects."""

from __future__ import annotations

import os
import re
import signal
import threading
from pathlib import Path

import numpy as np
from session_helpers import PausableEEG, fast_settings

from choreo.session.live import SessionHooks, run_session
from choreo.session.store import SessionStore


def test_eeg_loss_and_silent_bridge(tmp_path: Path, eeg: PausableEEG, bridge_process) -> None:  # type: ignore[no-untyped-def]
    """EEG lost in one trial and the bridge frozen in another: both invalid, both replayed."""
    bridge = bridge_process(speed=40.0)  # trials of about 1.3 s
    settings = fast_settings(tmp_path, eeg.src.info.name, bridge.port, trials=2, record=False)
    seen: list[int] = []

    def start(trial_id: int, vector: np.ndarray) -> None:
        seen.append(trial_id)
        if trial_id == 1:
            eeg.pause_for(1.2)  # longer than lost_after_s = 0.6
        if trial_id == 3:
            os.kill(bridge.proc.pid, signal.SIGSTOP)  # no state messages any more
            threading.Timer(1.6, os.kill, (bridge.proc.pid, signal.SIGCONT)).start()

    result = run_session(settings, hooks=SessionHooks(on_trial_start=start))
    assert result.stopped == "completed"
    store = SessionStore.open(result.path)
    trials = store.trials()
    by_id = {t["trial"]: t for t in trials}
    assert by_id[1]["status"] == "invalid"
    assert by_id[1]["cause"] == "eeg_lost"
    assert by_id[2]["status"] == "scored"
    assert by_id[2]["proposed"] is False
    assert by_id[2]["vector"] == by_id[1]["vector"]  # the lost trial is performed again
    assert by_id[3]["status"] == "invalid"
    assert by_id[3]["cause"] in (
        "bridge_silent",
        "bridge_fault",
    )
    scored = [t for t in trials if t["status"] == "scored"]
    assert len(scored) == 2
    assert scored[-1]["vector"] == by_id[3]["vector"]
    pauses = [r["reason"] for r in store.records() if r.get("kind") == "pause"]
    assert pauses[0] == "eeg_lost"
    assert "bridge_silent" in pauses or by_id[3]["cause"] == "bridge_fault"
    assert result.n_invalid == 2


def _flange_extremes(vector: np.ndarray) -> dict[str, float]:
    """How far the flange goes in each direction (m) when ``vector`` is played from HOME."""
    from choreo.robot.config import load_robot_config
    from choreo.robot.kr6 import forward_kinematics
    from choreo.robot.trajectory import plan_choreography

    xyz = forward_kinematics(plan_choreography(vector, load_robot_config()).q)
    lo, hi = xyz.min(axis=0), xyz.max(axis=0)
    return {"x-": -lo[0], "x+": hi[0], "y-": -lo[1], "y+": hi[1], "z-": -lo[2], "z+": hi[2]}


def _stricter_config(first: np.ndarray, second: np.ndarray, path: Path) -> str:
    """The shipped robot configuration with one workspace bound (or the floor) between
    where ``first`` and ``second`` reach, so the bridge refuses the first and not the second."""
    from choreo.resources import config_dir

    a, b = _flange_extremes(first), _flange_extremes(second)
    side = max(a, key=lambda k: a[k] - b[k])
    assert a[side] - b[side] > 0.01, f"the first two proposals reach alike: {a} {b}"
    bound = (a[side] + b[side]) / 2
    text = (config_dir() / "robot" / "kr6r900sixx.toml").read_text()
    axis, sign = side[0], side[1]
    if side == "z-":  # the floor
        text = re.sub(r"(?m)^floor_z_m\s*=.*$", f"floor_z_m = {-bound:.4f}", text)
    else:
        m = re.search(rf"(?m)^{axis}\s*=\s*\[([-0-9.]+),\s*([-0-9.]+)\]", text)
        assert m is not None
        lo, hi = float(m.group(1)), float(m.group(2))
        lo, hi = (-bound, hi) if sign == "-" else (lo, bound)
        text = text[: m.start()] + f"{axis} = [{lo:.4f}, {hi:.4f}]" + text[m.end() :]
    path.write_text(text)
    return "floor" if side == "z-" else "workspace"


def test_rejected_choreography_is_logged_and_another_proposed(
    tmp_path: Path,
    eeg: PausableEEG,
    bridge_process,  # type: ignore[no-untyped-def]
) -> None:
    """A bridge stricter than the learner's own check (a tighter workspace) refuses the first
    proposal; the session logs it, tells the learner, proposes another, and goes on."""
    from choreo.learning.learner import Learner

    settings = fast_settings(tmp_path, eeg.src.info.name, 9, trials=2, record=False)
    # What the session's learner will propose: the first, and the next once it is refused.
    learner = Learner(settings.learner.checkpoint, seed=settings.learner.seed)
    first = learner.propose()
    learner.reject(first)
    second = learner.propose()
    strict = tmp_path / "strict.toml"
    what = _stricter_config(first, second, strict)
    bridge = bridge_process(speed=40.0, extra=["--config", str(strict)])
    settings = settings.model_copy(
        update={"bridge": settings.bridge.model_copy(update={"port": bridge.port})}
    )
    result = run_session(settings)
    store = SessionStore.open(result.path)
    trials = store.trials()
    assert result.n_scored == 2
    assert trials[0]["status"] == "rejected"
    assert trials[0]["vector"] == first.tolist()
    assert what in trials[0]["reason"]
    assert trials[1]["vector"] == second.tolist()
    assert trials[1]["status"] == "scored"
    assert all(t["proposed"] for t in trials if t["status"] == "rejected")
    for i, t in enumerate(trials):  # a rejected one is never offered again
        if t["status"] == "rejected":
            assert all(u["vector"] != t["vector"] for u in trials[i + 1 :])
