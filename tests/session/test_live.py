"""End to end on loopback: synthetic EEG over real LSL, the bridge in its own process on
the simulator, real OSC, LabRecorder's XDF read back, and the replay agreeing with live."""

from __future__ import annotations

import json
import os
import shutil
import signal
from pathlib import Path

import numpy as np
import pytest
from session_helpers import PausableEEG, fast_settings

from choreo.robot.client import BridgeClient
from choreo.robot.kr6 import HOME_DEG
from choreo.session.live import SessionHooks, run_session
from choreo.session.markers import parse_marker
from choreo.session.recording import load_xdf_streams, stream_field
from choreo.session.replay import replay_session
from choreo.session.report import make_report
from choreo.session.store import SessionStore


def test_session_end_to_end(tmp_path: Path, eeg: PausableEEG, bridge_process) -> None:  # type: ignore[no-untyped-def]
    bridge = bridge_process(speed=18.0)  # trials of about 3 s
    settings = fast_settings(tmp_path, eeg.src.info.name, bridge.port, trials=3, check=True)
    levels = iter([0.1, 0.95, 0.1, 0.95, 0.1])

    # Alternate the relaxation from trial to trial, so the scores must follow it.
    def start(trial_id: int, vector: np.ndarray) -> None:
        eeg.level = next(levels)

    def end(trial_id: int) -> None:
        eeg.level = 0.5

    def record(rec: dict) -> None:  # type: ignore[type-arg]
        if rec.get("status") == "scored" and rec["n"] == 2:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C after the second of three trials

    hooks = SessionHooks(on_trial_start=start, on_trial_end=end, on_record=record)
    result = run_session(settings, hooks=hooks)
    assert result.stopped == "interrupted"
    assert result.n_scored == 2
    store = SessionStore.open(result.path)
    trials = store.scored_trials()
    assert [t["n"] for t in trials] == [1, 2]
    # Relaxation 0.95 scores above 0.1 (z against the 0.5 baseline).
    assert trials[1]["score"] > trials[0]["score"]
    assert all(t["started"] < t["done"] and t["n_windows"] > 0 for t in trials)
    ckpts = sorted((result.path / "checkpoints").glob("*.safetensors"))
    assert [p.name for p in ckpts][-1] == trials[-1]["checkpoint"]
    # Ctrl-C: the end is recorded, the robot is home, LabRecorder has closed the file.
    assert store.records()[-1]["kind"] == "end"
    assert store.records()[-1]["reason"] == "interrupted"
    client = BridgeClient(bridge=("127.0.0.1", bridge.port))
    try:
        np.testing.assert_allclose(client.request_state().q, HOME_DEG, atol=0.01)
    finally:
        client.close()

    # The XDF holds the EEG, the markers and the feedback, with every trial's markers.
    (part,) = store.recording_paths()
    streams = {stream_field(s, "type"): s for s in load_xdf_streams(part)}
    assert set(streams) == {"EEG", "Markers", "Feedback"}
    assert streams["EEG"]["time_series"].shape[1] == 5
    markers = [parse_marker(x[0]) for x in streams["Markers"]["time_series"]]
    starts = [m for m in markers if m["event"] == "trial_start"]
    assert [m["trial"] for m in starts] == [t["trial"] for t in trials]
    assert starts[0]["vector"] == trials[0]["vector"]
    scores = [m["score"] for m in markers if m["event"] == "trial_score"]
    np.testing.assert_allclose(scores, [t["score"] for t in trials])
    t_start = [
        ts
        for ts, x in zip(streams["Markers"]["time_stamps"], markers, strict=True)
        if x["event"] == "trial_start"
    ]
    np.testing.assert_allclose(t_start, [t["started"] for t in trials], atol=1e-6)

    # Replay: same scores to 1e-6, same proposals.
    rep = replay_session(result.path)
    assert rep.agrees, [c.problems for c in rep.trials] + rep.problems
    assert rep.n_scores == 2
    assert rep.max_score_diff <= 1e-6
    assert rep.n_proposals == rep.n_proposals_same == 2

    # A tampered copy: the replay says where and why it differs.
    copy = tmp_path / "tampered"
    shutil.copytree(result.path, copy)
    lines = (copy / "trials.jsonl").read_text().splitlines()
    for i, line in enumerate(lines):
        rec = json.loads(line)
        if rec.get("kind") == "trial" and rec["trial"] == trials[1]["trial"]:
            rec["score"] += 0.01
            rec["vector"][0] = (rec["vector"][0] + 1) % 256
            lines[i] = json.dumps(rec)
    (copy / "trials.jsonl").write_text("\n".join(lines) + "\n")
    bad = replay_session(copy)
    assert not bad.agrees
    by_id = {c.trial: c for c in bad.trials}
    problems = " ".join(by_id[trials[1]["trial"]].problems)
    assert "score differs by 0.01" in problems
    assert "proposal differs in 1 of 196 values" in problems

    report = make_report(result.path, gif=False)
    assert {p.name for p in report.figures} >= {"scores.png", "eeg.png"}
    assert (report.folder / "index.html").read_text().count("<tr>") == 3


def test_missing_stream_is_one_line(tmp_path: Path, unique_name: str) -> None:
    from choreo.errors import StreamError

    settings = fast_settings(tmp_path, unique_name, 9, trials=1)
    settings = settings.model_copy(
        update={"eeg": settings.eeg.model_copy(update={"resolve_timeout_s": 0.5})}
    )
    with pytest.raises(StreamError, match=r"no EEG stream .* start the headset's LSL app") as err:
        run_session(settings)
    assert "\n" not in str(err.value)


def test_unreachable_bridge_is_one_line(tmp_path: Path, eeg: PausableEEG) -> None:
    from choreo.errors import StreamError
    from choreo.session.demo import free_udp_port

    settings = fast_settings(tmp_path, eeg.src.info.name, free_udp_port(), trials=1, record=False)
    settings = settings.model_copy(
        update={"bridge": settings.bridge.model_copy(update={"connect_timeout_s": 0.3})}
    )
    with pytest.raises(
        StreamError, match=r"no bridge answers at 127.0.0.1:\d+: start one with `choreo bridge`"
    ):
        run_session(settings)
