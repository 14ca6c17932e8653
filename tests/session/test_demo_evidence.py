"""The demo's evidence of learning: what the synthetic participant records, how the report
reads and summarises it (fast: no session, no EEG thread)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import choreo.evaluation.participants as participants
from choreo.session.demo import SyntheticAudience, prior_yardstick
from choreo.session.report import _participant_evidence, rolling_mean, slope_per_trial
from choreo.session.settings import load_demo_settings


def test_rolling_mean_is_trailing_and_slope_is_per_trial() -> None:
    assert rolling_mean([1.0, 3.0, 5.0, 7.0], k=2).tolist() == [1.0, 2.0, 4.0, 6.0]
    assert rolling_mean([2.0, 4.0], k=5).tolist() == [2.0, 3.0]
    assert slope_per_trial([0.0, 0.5, 1.0, 1.5]) == pytest.approx(0.5)
    assert math.isnan(slope_per_trial([1.0]))


def test_participant_evidence_reads_both_forms(tmp_path: Path) -> None:
    store = SimpleNamespace(path=tmp_path)
    assert _participant_evidence(store) == {}  # type: ignore[arg-type]
    f = tmp_path / "participant.json"
    f.write_text(json.dumps([{"trial": 1, "true_value": 0.2, "response_z": 0.1}]))
    assert _participant_evidence(store)["trials"][0]["true_value"] == 0.2  # type: ignore[arg-type]
    f.write_text(
        json.dumps(
            {
                "trials": [{"trial": 2, "true_value": 0.3}, {"no": "trial"}],
                "prior": {"n": 4, "median": 0.1, "p90": 0.2, "max": 0.25},
            }
        )
    )
    got = _participant_evidence(store)  # type: ignore[arg-type]
    assert [w["trial"] for w in got["trials"]] == [2]
    assert got["prior"]["median"] == 0.1
    f.write_text("{torn")
    assert _participant_evidence(store) == {}  # type: ignore[arg-type]


def test_audience_records_habituation_before_the_response(unique_name: str) -> None:
    demo = load_demo_settings(None).demo
    audience = SyntheticAudience(demo, unique_name)
    try:
        v = np.full(196, 128, dtype=np.uint8)
        audience.on_trial_start(1, v)
        audience.on_trial_end(1)
        audience.on_trial_start(2, v)  # the same motion again: fully habituated
        first, second = audience.watched
        assert first["habituation_z"] == 0.0
        assert second["habituation_z"] == pytest.approx(participants.HABITUATION_Z)
        assert first["true_value"] == second["true_value"]
        # The relaxation is the response's departure from the person's level over the
        # calibrated effect range (the motions' range spans relaxation 0..1), as the
        # module says (this still, flat motion relaxes nobody: clipped at 0).
        person = audience.participant
        r = second["response_z"]
        level = (r - person.offset) / participants.EFFECT_RANGE_Z
        assert second["relaxation"] == pytest.approx(min(max(level, 0.0), 1.0))
        half = person.offset + participants.EFFECT_RANGE_Z / 2
        assert audience.level_of(half) == pytest.approx(0.5)
        assert audience.level_of(person.offset + 2.0) == 1.0
        sigmoid = SyntheticAudience(
            demo.model_copy(update={"mapping": "sigmoid"}), unique_name + "s"
        )
        try:
            assert sigmoid.level_of(r) == pytest.approx(1 / (1 + math.exp(-demo.gain * r)))
        finally:
            sigmoid.stop()
        assert audience.level == second["relaxation"]
        audience.on_trial_end(2)
        assert audience.level == demo.rest_relaxation
    finally:
        audience.stop()


def test_prior_yardstick_is_a_fixed_draw() -> None:
    person = participants.CalmParticipant(3)
    a = prior_yardstick(person, "models/prior.safetensors", n=32)
    b = prior_yardstick(participants.CalmParticipant(3), "models/prior.safetensors", n=32)
    assert a == b
    assert a["n"] == 32
    assert a["median"] <= a["p90"] <= a["max"]
    # The participant's true values lie within offset .. offset + effect range.
    assert person.offset <= a["median"] <= person.offset + participants.EFFECT_RANGE_Z


def test_real_pace_demo_is_the_demo_at_a_real_trials_length() -> None:
    quick = load_demo_settings(None)
    real = load_demo_settings("configs/demo-real-pace.toml")
    # A ~50 s choreography plays for ~19 s, a real trial's length, instead of ~4 s.
    assert real.session.bridge.simulator_speed == pytest.approx(2.6)
    assert real.session.baseline.duration_s == pytest.approx(20.0)
    assert real.session.trials.count == 30
    # Everything else is the quick demo's: the two files cannot drift apart unseen.
    paced = {
        ("bridge", "simulator_speed"),
        ("baseline", "duration_s"),
        ("trials", "count"),
    }
    q, r = quick.session.model_dump(), real.session.model_dump()
    for table, keys in q.items():
        if not isinstance(keys, dict):
            assert r[table] == keys, table
            continue
        for key, value in keys.items():
            if (table, key) not in paced:
                assert r[table][key] == value, f"[session.{table}] {key}"
    assert real.demo == quick.demo
