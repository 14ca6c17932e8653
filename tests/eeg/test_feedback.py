"""Feedback: baseline, z-score, smoothing, robust trial score."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from choreo.eeg.feedback import (
    Baseline,
    FeedbackSample,
    FeedbackScorer,
    aggregate_arrays,
    aggregate_interval,
    frontal_relaxation,
)
from choreo.eeg.settings import FeedbackSettings
from choreo.errors import InputError


def test_frontal_relaxation_averages_only_accepted_channels() -> None:
    ra = np.array([[0.2, 0.4], [0.2, 0.4], [0.1, 0.1]])
    rt = np.array([[0.1, 0.1], [0.1, 0.1], [0.1, 0.1]])
    acc = np.array([[True, True], [False, True], [False, False]])
    ri = frontal_relaxation(ra, rt, acc)
    np.testing.assert_allclose(ri[:2], [0.4, 0.5])
    assert math.isnan(ri[2])


def test_baseline_from_windows_round_trips_and_refuses_too_little() -> None:
    rng = np.random.default_rng(0)
    ri = 0.3 + 0.05 * rng.standard_normal((200, 2))
    acc = np.ones((200, 2), dtype=bool)
    acc[:, 1] = False
    acc[:5, 1] = True  # too few for the second channel
    b = Baseline.from_windows(["AF7", "AF8"], ri, acc, FeedbackSettings())
    assert b.mean[0] == pytest.approx(ri[:, 0].mean())
    assert b.std[0] == pytest.approx(ri[:, 0].std(ddof=1))
    assert math.isnan(b.mean[1])
    assert b.n_windows == (200, 5)
    again = Baseline.from_dict(b.to_dict())
    assert again.ch_names == b.ch_names
    assert again.mean[0] == b.mean[0]
    assert math.isnan(again.mean[1])
    with pytest.raises(InputError, match="too few accepted windows"):
        Baseline.from_windows(["AF7"], ri[:3, :1], acc[:3, :1], FeedbackSettings())
    with pytest.raises(InputError, match="not a choreo baseline"):
        Baseline.from_dict({"channels": ["AF7"]})


def test_baseline_file_errors_name_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "b.json"
    bad.write_text("{not json")
    with pytest.raises(InputError, match=r"b\.json: not a JSON baseline"):
        Baseline.load(bad)
    with pytest.raises(InputError, match="not found"):
        Baseline.load(tmp_path / "missing.json")
    b = Baseline(("AF7",), (0.3,), (0.05,), (100,))
    b.save(tmp_path / "ok.json")
    assert Baseline.load(tmp_path / "ok.json") == b
    with pytest.raises(InputError, match="do not match"):
        FeedbackScorer(["Fp1"], FeedbackSettings(), b)


def test_scorer_z_scores_and_smooths_with_its_time_constant() -> None:
    b = Baseline(("AF7", "AF8"), (0.3, 0.4), (0.05, 0.1), (100, 100))
    scorer = FeedbackScorer(["AF8", "AF7"], FeedbackSettings(smoothing_s=2.0), b)
    # Step from baseline to +1 z on both channels at t = 0.
    t = np.arange(-2, 10, 0.125)
    up = t >= 0
    ri = np.column_stack([np.where(up, 0.5, 0.4), np.where(up, 0.35, 0.3)])
    acc = np.ones_like(ri, dtype=bool)
    acc[(t > 5) & (t < 6), :] = False  # rejected windows hold the score
    z, score = scorer.score(t, ri, acc)
    np.testing.assert_allclose(z[up & acc[:, 0]], 1.0)
    assert np.isnan(z[~acc[:, 0]]).all()
    # After one time constant the average has come 1 - 1/e of the way.
    i = int(np.searchsorted(t, 2.0))
    assert score[i] == pytest.approx(1 - math.exp(-(2.0 + 0.125) / 2.0), abs=1e-9)
    held = (t > 5) & (t < 6)
    assert np.all(score[held] == score[np.flatnonzero(held)[0] - 1])
    assert score[-1] > 0.95
    # Chunking does not matter: the state carries over.
    s2 = FeedbackScorer(["AF8", "AF7"], FeedbackSettings(smoothing_s=2.0), b)
    parts = [s2.score(t[a:e], ri[a:e], acc[a:e])[1] for a, e in ((0, 17), (17, 50), (50, len(t)))]
    np.testing.assert_allclose(np.concatenate(parts), score, rtol=1e-12)


def test_trial_score_is_robust_and_reports_rejections() -> None:
    t: np.ndarray = np.arange(100) * 0.125
    z = np.full(100, 0.5)
    z[10] = 40.0  # one wild window
    acc = np.ones(100, dtype=bool)
    acc[50:60] = False
    ts = aggregate_arrays(t, z, acc, 0.0, 100.0, trim=0.1)
    assert ts.score == pytest.approx(0.5)
    assert ts.rejected_share == pytest.approx(0.1)
    assert (ts.n_windows, ts.n_total) == (90, 100)
    inside = aggregate_arrays(t, z, acc, 6.25, 7.5)  # windows 50..60: all but one rejected
    assert inside.n_total == 11
    assert inside.n_windows == 1
    empty = aggregate_arrays(t, z, acc, 100.0, 200.0)
    assert math.isnan(empty.score)
    assert empty.rejected_share == 1.0
    assert empty.n_windows == 0
    samples = [
        FeedbackSample(float(ti), 0.0, 0.1, 0.2, 1.0, bool(a), float(zi))
        for ti, zi, a in zip(t, z, acc, strict=True)
    ]
    assert aggregate_interval(samples, 0.0, 100.0) == ts
    assert aggregate_interval([], 0.0, 1.0).n_windows == 0
