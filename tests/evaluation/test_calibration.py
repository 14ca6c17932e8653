"""Calibration from the real Muse recordings, and the participants' use of it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from choreo.eeg.sources.synthetic import SynthSettings
from choreo.errors import InputError
from choreo.evaluation import participants
from choreo.evaluation.calibration import (
    MUSE_CALIBRATION,
    T3_ROBUST_SD_PER_SCALE,
    calibrate,
    labelled_recordings,
    trial_scores,
)


def test_trial_scores_cut_consecutive_trials() -> None:
    t = np.arange(0.0, 60.0, 0.5)
    z = np.where(t < 20.0, 1.0, -1.0)
    acc = np.ones_like(t, dtype=bool)
    # Windows end at 0 .. 59.5 s: two whole 20 s trials; a third would end after the data.
    scores = trial_scores(t, z, acc, 20.0, 0.1)
    assert len(scores) == 2
    assert scores[0] == pytest.approx(1.0)
    assert scores[-1] == pytest.approx(-1.0)


def test_an_empty_folder_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "notes.csv").write_text("x\n")
    with pytest.raises(InputError, match=r"no subject<id>-<state>-<n>\.csv"):
        labelled_recordings(tmp_path)
    with pytest.raises(InputError, match="not found"):
        labelled_recordings(tmp_path / "absent")


def test_calibration_matches_what_the_participants_use(muse_dir: Path) -> None:
    cal = calibrate(muse_dir)
    assert len(cal.recordings) == 12
    # Relaxed recordings carry more frontal alpha+theta than concentrating ones.
    levels = cal.relaxation_by_state
    assert levels["concentrating"] < levels["neutral"] < levels["relaxed"]
    assert levels["concentrating"] > 0.25
    assert levels["relaxed"] < 0.36
    assert cal.n_trials >= 25
    assert 0.2 < cal.trial_robust_sd_z < 0.3
    assert set(cal.state_difference_z) == {"a", "b"}
    assert all(0.5 < d < 0.8 for d in cal.state_difference_z.values())
    # The recorded figures (what the synthetic parts read) are these, to their 3 decimals.
    rec = MUSE_CALIBRATION
    for state, level in levels.items():
        assert rec.relative_power[state] == pytest.approx(level, abs=6e-4)
    assert rec.trial_sd_z == pytest.approx(cal.trial_sd_z, abs=6e-4)
    assert rec.trial_robust_sd_z == pytest.approx(cal.trial_robust_sd_z, abs=6e-4)
    assert rec.n_trials == cal.n_trials
    assert rec.state_difference_z == pytest.approx(cal.mean_state_difference_z, abs=6e-4)
    doc = cal.to_dict()
    assert doc["mean_state_difference_z"] == pytest.approx(cal.mean_state_difference_z)


def test_the_synthetic_parts_read_the_recorded_figures() -> None:
    rec = MUSE_CALIBRATION
    # Participants: t3 noise whose robust SD is the real trials' one; the state difference.
    noise_robust_sd = participants.NOISE_SCALE_Z * T3_ROBUST_SD_PER_SCALE
    assert noise_robust_sd == pytest.approx(rec.trial_robust_sd_z, rel=1e-12)
    effect = participants.EFFECT_RANGE_Z
    assert effect == rec.state_difference_z
    # Synthetic EEG: relaxation 0 and 1 are the concentrating and relaxed levels.
    assert SynthSettings().relative_power == (
        rec.relative_power["concentrating"],
        rec.relative_power["relaxed"],
    )
    # t3's IQR is 1.5298 x its scale.
    from scipy.stats import t

    per_scale = T3_ROBUST_SD_PER_SCALE
    assert per_scale == pytest.approx((t.ppf(0.75, 3) - t.ppf(0.25, 3)) / 1.349, rel=1e-4)
    assert rec.to_dict()["noise_scale_z"] == pytest.approx(0.2037, abs=1e-4)
