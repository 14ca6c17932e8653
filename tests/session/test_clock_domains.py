"""Headsets stamp with other clocks than LSL's (muselsl's default is Unix time): the real
session loop on the simulator maps them, records the mapping, and its replay agrees."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from session_helpers import PausableEEG, fast_settings

from choreo.errors import StreamError
from choreo.session.live import run_session
from choreo.session.recording import load_xdf_streams, stream_field
from choreo.session.replay import replay_session
from choreo.session.settings import EegSettings
from choreo.session.store import SessionStore


def run_two_trials(tmp_path: Path, name: str, port: int, **over):  # type: ignore[no-untyped-def]
    settings = fast_settings(tmp_path, name, port, trials=2, **over)
    return run_session(settings)


@pytest.mark.parametrize(
    ("clock", "offset", "domain"),
    # (LSL-clock stamps: every other session test; Unix stamps: the real recording below.)
    [("lsl", -98765.4, "offset")],
)
def test_every_clock_domain_scores_every_trial_and_replays(  # type: ignore[no-untyped-def]
    tmp_path: Path, unique_name: str, bridge_process, clock: str, offset: float, domain: str
) -> None:
    bridge = bridge_process(speed=18.0)
    eeg = PausableEEG(unique_name, clock=clock, clock_offset=offset)
    try:
        result = run_two_trials(tmp_path, eeg.src.info.name, bridge.port)
    finally:
        eeg.close()
    assert result.stopped == "completed"
    assert result.n_scored == 2
    store = SessionStore.open(result.path)
    (run,) = [r for r in store.records() if r["kind"] == "run"]
    assert run["clock"]["domain"] == domain
    assert run["clock"]["segments"][0]["reason"] == "start"
    # The stream's diagnosis before the baseline is in meta.json, the clock named.
    check = {f["item"]: f for f in store.meta()["stream_check"]["findings"]}
    assert check["clock"]["verdict"] == "warn"
    assert check["rate"]["verdict"] == "ok"
    assert check["frontal"]["value"] == "AF7, AF8"
    # first_sample_t is on the LSL clock, whatever the sender stamped.
    baseline = next(r for r in store.records() if r["kind"] == "baseline")
    assert 0 < baseline["start"] - run["first_sample_t"] < 30
    # The XDF keeps the sender's own stamps.
    (part,) = store.recording_paths()
    eeg_stream = next(s for s in load_xdf_streams(part) if stream_field(s, "type") == "EEG")
    assert eeg_stream["time_stamps"][0] == pytest.approx(run["clock"]["first_raw"], abs=1.0)
    rep = replay_session(result.path)
    assert rep.agrees, [c.problems for c in rep.trials] + rep.problems
    assert rep.n_scores == 2
    assert rep.max_score_diff <= 1e-6


def test_a_clock_jump_mid_session_is_followed_recorded_and_replayed(  # type: ignore[no-untyped-def]
    tmp_path: Path, unique_name: str, bridge_process
) -> None:
    bridge = bridge_process(speed=18.0)
    eeg = PausableEEG(unique_name)
    eeg.jump_clock_at(6.0, 3600.0)  # during the first trials: the sender's clock leaps an hour
    try:
        result = run_two_trials(tmp_path, eeg.src.info.name, bridge.port)
    finally:
        eeg.close()
    assert result.n_scored == 2
    store = SessionStore.open(result.path)
    jumps = [r for r in store.records() if r["kind"] == "clock" and r["reason"] == "jump"]
    assert len(jumps) == 1
    assert jumps[0]["offset_s"] == pytest.approx(-3600.0, abs=0.2)
    # Every trial's windows lie between its start and end on the LSL clock.
    for t in store.scored_trials():
        assert t["started"] <= t["window_t"][0] <= t["window_t"][1] <= t["done"] + 1.0
    rep = replay_session(result.path)
    assert rep.agrees, [c.problems for c in rep.trials] + rep.problems
    assert rep.max_score_diff <= 1e-6


def test_lsl_only_refuses_unix_stamps_in_one_line_and_keeps_the_recording(  # type: ignore[no-untyped-def]
    tmp_path: Path, unique_name: str, bridge_process
) -> None:
    bridge = bridge_process(speed=18.0)
    eeg = PausableEEG(unique_name, clock="unix")
    settings = fast_settings(tmp_path, unique_name, bridge.port, trials=1)
    settings = settings.model_copy(
        update={"eeg": EegSettings(**{**settings.eeg.model_dump(), "clock": "lsl-only"})}
    )
    try:
        with pytest.raises(StreamError) as err:
            run_session(settings)
    finally:
        eeg.close()
    text = str(err.value)
    assert unique_name in text
    assert "muselsl stream --lsltime" in text
    assert "\n" not in text
    (path,) = [p for p in tmp_path.iterdir() if p.is_dir()]
    store = SessionStore.open(path)
    assert store.records()[-1]["kind"] == "end"
    (part,) = store.recording_paths()
    assert part.stat().st_size > 0
    assert np.isfinite(
        next(s for s in load_xdf_streams(part) if stream_field(s, "type") == "EEG")["time_stamps"]
    ).all()


def test_a_real_muse_recording_stamped_as_muselsl_does_scores_every_trial(  # type: ignore[no-untyped-def]
    tmp_path: Path, unique_name: str, bridge_process, muse_dir: Path
) -> None:
    """The issue's case: real Muse EEG and metadata, chunks of 12, Unix stamps (muselsl
    without --lsltime). It used to fail at the baseline ("too few accepted windows")."""
    from choreo.eeg.sources.outlet import replay_recording

    bridge = bridge_process(speed=18.0)
    pub = replay_recording(
        muse_dir / "subjecta-relaxed-1.csv",
        loop=True,
        name=unique_name,
        source_id=unique_name,
        clock="unix",
    )
    with pub:
        result = run_two_trials(tmp_path, unique_name, bridge.port)
    assert result.stopped == "completed"
    assert result.n_scored == 2
    store = SessionStore.open(result.path)
    (run,) = [r for r in store.records() if r["kind"] == "run"]
    assert run["clock"]["domain"] == "unix"
    assert run["eeg"]["device"] == "muse2016"
    baseline = next(r for r in store.records() if r["kind"] == "baseline")
    assert min(baseline["baseline"]["n_windows"]) > 0  # AF7 and AF8 both calibrated
    assert 0 < baseline["start"] - run["first_sample_t"] < 30  # on the LSL clock
    check = {f["item"]: f for f in store.meta()["stream_check"]["findings"]}
    assert check["clock"]["verdict"] == "warn"
    assert "Unix epoch" in check["clock"]["value"]
    # The XDF keeps the sender's Unix stamps; the replay maps them as live did.
    (part,) = store.recording_paths()
    eeg_stream = next(s for s in load_xdf_streams(part) if stream_field(s, "type") == "EEG")
    assert eeg_stream["time_stamps"][0] == pytest.approx(run["clock"]["first_raw"], abs=1.0)
    rep = replay_session(result.path)
    assert rep.agrees, [c.problems for c in rep.trials] + rep.problems
    assert rep.max_score_diff <= 1e-6
