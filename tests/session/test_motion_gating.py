"""Head movement (a Muse's accelerometer over LSL) leaves feedback windows out of a trial's
score in the real session loop; the windows left out are recorded and the replay agrees."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
from session_helpers import AccOutlet, fast_settings

from choreo.eeg.motion import MotionSettings
from choreo.session.live import SessionHooks, run_session
from choreo.session.recording import load_xdf_streams, stream_field
from choreo.session.replay import replay_session
from choreo.session.store import SessionStore


def test_a_head_shake_in_a_trial_is_left_out_and_replayed(  # type: ignore[no-untyped-def]
    tmp_path: Path, eeg, bridge_process
) -> None:
    bridge = bridge_process(speed=6.0)  # trials of about 8 s
    name = eeg.src.info.name
    acc = AccOutlet(name, f"{name}-acc")  # muselsl names EEG and ACC streams alike
    settings = fast_settings(
        tmp_path, name, bridge.port, trials=2, motion=MotionSettings(enabled=True)
    )

    def start(trial_id: int, vector: np.ndarray) -> None:
        if trial_id == 1:  # 3 s into the first trial, half a second of shaking
            threading.Timer(3.0, acc.shake_for, (0.5,)).start()

    try:
        result = run_session(settings, hooks=SessionHooks(on_trial_start=start))
    finally:
        acc.close()
    assert result.n_scored == 2
    store = SessionStore.open(result.path)
    gated = np.array([t for r in store.records() if r["kind"] == "motion" for t in r["gated_t"]])
    first = next(t for t in store.trials() if t["trial"] == 1)
    assert first["status"] == "scored"
    baseline = next(r for r in store.records() if r["kind"] == "baseline")
    # The 2-s windows overlapping the shake (3..3.5 s into trial 1, held 0.5 s): about
    # 3 s of them, at a 0.125 s hop, all inside that trial and none in the baseline.
    assert 12 <= len(gated) <= 40
    assert gated.min() > first["started"] + 2.9
    assert gated.max() < first["started"] + 3.0 + 0.5 + 0.5 + 2.0 + 0.3
    assert not np.any((gated >= baseline["start"]) & (gated <= baseline["end"]))
    # Windows after the movement still score the trial.
    assert first["n_windows"] > 0
    # The motion stream is in the XDF beside the EEG, and the replay leaves out the same windows.
    (part,) = store.recording_paths()
    assert "ACC" in {stream_field(s, "type") for s in load_xdf_streams(part)}
    rep = replay_session(result.path)
    assert rep.agrees, [c.problems for c in rep.trials] + rep.problems
    assert rep.max_score_diff <= 1e-6
