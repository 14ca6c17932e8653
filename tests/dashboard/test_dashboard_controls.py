"""The dashboard's buttons act on a real session loop: synthetic EEG over LSL, the bridge
in its own process on the simulator, the commands over HTTP as the page sends them."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from dashboard_helpers import post_command
from session_helpers import fast_settings

from choreo.dashboard.server import serve_dashboard
from choreo.dashboard.state import DashboardFeed
from choreo.robot.client import BridgeClient
from choreo.robot.kr6 import HOME_DEG
from choreo.session.live import SessionHooks, run_session
from choreo.session.replay import replay_learner
from choreo.session.store import SessionStore


def test_skip_pause_and_stop_act_on_the_session(tmp_path: Path, eeg, bridge_process) -> None:  # type: ignore[no-untyped-def]
    bridge = bridge_process(speed=18.0)  # trials of about 3 s
    settings = fast_settings(tmp_path, eeg.src.info.name, bridge.port, trials=4, record=False)
    feed = DashboardFeed("session")
    server = serve_dashboard(feed, port=0)
    starts: list[tuple[int, float]] = []
    replies: dict[str, str] = {}
    pause_hold: dict[str, float] = {}

    def press(name: str, after: float) -> None:
        def go() -> None:
            replies[name] = post_command(server.port, name)
            pause_hold.setdefault(f"{name}_at", time.monotonic())

        threading.Timer(after, go).start()

    def start(trial_id: int, vector: np.ndarray) -> None:
        starts.append((trial_id, time.monotonic()))
        if len(starts) == 1:
            press("skip", 0.5)  # the first trial is skipped half a second in
        elif len(starts) == 2:
            press("pause", 0.3)  # the second plays to its end, then the session holds
        elif len(starts) == 3:
            press("stop", 0.5)  # the third is stopped: robot home, records kept

    def record(rec: dict[str, Any]) -> None:
        if rec.get("kind") == "pause" and rec.get("reason") == "dashboard":
            press("resume", 1.5)

    hooks = SessionHooks(on_trial_start=start, on_record=record)
    try:
        result = run_session(settings, name="dash-controls", hooks=hooks, feed=feed)
    finally:
        server.close()

    assert result.stopped == "stopped from the dashboard"
    assert replies["skip"].startswith("skipping")
    assert replies["pause"].startswith("pausing")
    assert replies["stop"].startswith("stopping")
    store = SessionStore.open(result.path)
    trials = store.trials()
    # Skip: the first trial ends unscored, within about a second of its start; never retried.
    assert trials[0]["status"] == "rejected"
    assert trials[0]["cause"] == "skipped"
    assert trials[0]["reason"] == "skipped from the dashboard"
    assert "score" not in trials[0]
    assert trials[1]["status"] == "scored"
    assert trials[1]["vector"] != trials[0]["vector"]
    assert [t["trial"] for t in trials] == [starts[0][0], starts[1][0]]  # stop: 3rd unrecorded
    # Pause: held between trial 2 and trial 3 until resume (1.5 s after the hold began).
    kinds = [(r["kind"], r.get("reason")) for r in store.records()]
    i_pause = kinds.index(("pause", "dashboard"))
    assert kinds[i_pause + 1] == ("resume", "dashboard")
    assert store.records()[i_pause - 1]["trial"] == trials[1]["trial"]  # after trial 2
    assert starts[2][1] - pause_hold["resume_at"] >= 0.0
    held = store.records()[i_pause + 1]["t"] - store.records()[i_pause]["t"]
    assert held >= 1.4
    # Stop: the end is recorded and the robot is home.
    assert store.records()[-1] == {**store.records()[-1], "kind": "end", "reason": result.stopped}
    client = BridgeClient(bridge=("127.0.0.1", bridge.port))
    try:
        np.testing.assert_allclose(client.request_state().q, HOME_DEG, atol=0.01)
    finally:
        client.close()
    # The replay's learner sees the skip as live did: same proposals.
    proposals = replay_learner(store)
    for t in trials:
        np.testing.assert_array_equal(proposals[t["trial"]], t["vector"])
    # The feed saw the session: its channels, its scores, the bridge's pose.
    snap = feed.snapshot()
    assert snap["channels"] == list(eeg.src.info.ch_names)
    assert snap["scores"] == [trials[1]["score"]]
    assert snap["best_trial"] == 1
    assert snap["best_vector"] == trials[1]["vector"]
    assert snap["n_points"] > 20
    assert snap["joints"] is not None
