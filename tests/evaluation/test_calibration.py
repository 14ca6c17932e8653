"""Calibration from the real Muse recordings, and the participants' use of it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from choreo.errors import InputError
from choreo.evaluation import participants
from choreo.evaluation.calibration import calibrate, labelled_recordings, trial_scores


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
    # The participants' noise (t3: robust SD 1.134 x scale) and effect range are these.
    noise_robust_sd = 1.134 * participants.NOISE_SCALE_Z
    assert abs(noise_robust_sd - cal.trial_robust_sd_z) < 0.02
    assert abs(participants.EFFECT_RANGE_Z - cal.mean_state_difference_z) < 0.02
    doc = cal.to_dict()
    assert doc["mean_state_difference_z"] == pytest.approx(cal.mean_state_difference_z)
