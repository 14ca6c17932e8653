"""FeedbackPipeline: one object live and offline, chunking-free, calibration, bad input."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from choreo.eeg.devices import load_device
from choreo.eeg.feedback import Baseline, FeedbackSample
from choreo.eeg.offline_scoring import score_recording
from choreo.eeg.pipeline import FeedbackPipeline
from choreo.eeg.settings import EegSettings, FeedbackSettings
from choreo.eeg.sources.synthetic import SyntheticEEG
from choreo.eeg.stream import Chunk, Recording, StreamInfo
from choreo.errors import InputError


def _synthetic(duration: float, relaxation: Any, seed: int = 7) -> Recording:
    return SyntheticEEG("muse2016", seed, relaxation, start_time=500.0).recording(duration)


def _fields(samples: list[FeedbackSample]) -> np.ndarray:
    return np.array(
        [[s.t, s.score, s.rel_alpha, s.rel_theta, s.quality, s.accepted, s.z] for s in samples]
    )


def test_the_same_samples_whatever_the_chunking() -> None:
    rec = _synthetic(45.0, lambda t: 0.3 + 0.4 * ((t - 500.0) > 25.0))
    whole = FeedbackPipeline(rec.info).push(rec.as_chunk())
    live = FeedbackPipeline(rec.info)
    got = []
    for i in range(0, rec.n_samples, 12):  # muselsl pushes 12-sample chunks
        got += live.push(Chunk(rec.data[i : i + 12], rec.timestamps[i : i + 12]))
    a, b = _fields(whole), _fields(got)
    assert a.shape == b.shape == ((rec.n_samples - 512) // 32 + 1, 7)
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True)
    # Self-calibrated on the first 20 s: no score before, a score after.
    t, score = a[:, 0], a[:, 1]
    assert np.isnan(score[t <= 520.0]).all()
    assert np.isfinite(score[t > 521.0]).all()
    assert live.baseline is not None
    assert live.baseline.n_windows[0] >= 100


def test_more_relaxation_gives_a_higher_score_and_index() -> None:
    rec = _synthetic(60.0, lambda t: 0.2 if t < 530.0 else 0.9)
    w = FeedbackPipeline(rec.info).push_windows(rec.as_chunk())
    early = (w.t > 521) & (w.t < 529) & w.frontal_accepted
    late = (w.t > 540) & w.frontal_accepted
    # 0.7 of the calibrated range (0.278 .. 0.335, the real recordings' states): 0.04.
    assert np.nanmean(w.relaxation[late]) > np.nanmean(w.relaxation[early]) + 0.02
    assert np.nanmean(w.score[late]) > np.nanmean(w.score[early]) + 0.2


def test_calibrate_and_restore_give_the_same_z_scores() -> None:
    rec = _synthetic(40.0, 0.5)
    no_cal = EegSettings(feedback=FeedbackSettings(calibration_s=0))
    live = FeedbackPipeline(rec.info, settings=no_cal)
    first = live.push(Chunk(rec.data[:5120], rec.timestamps[:5120]))
    assert all(math.isnan(s.score) for s in first)
    baseline = live.calibrate(505.0, 520.0)
    later = live.push(Chunk(rec.data[5120:], rec.timestamps[5120:]))
    assert all(math.isfinite(s.z) for s in later if s.accepted)
    replay = FeedbackPipeline(rec.info, settings=no_cal)
    replay.set_baseline(Baseline.from_dict(baseline.to_dict()))
    again = [s for s in replay.push(rec.as_chunk()) if s.t > first[-1].t]
    np.testing.assert_allclose(_fields(again)[:, 6], _fields(later)[:, 6], rtol=1e-9)
    with pytest.raises(InputError, match="too few accepted windows"):
        live.calibrate(0.0, 1.0)


def test_quality_per_stream_channel_and_bad_samples_never_crash() -> None:
    rec = _synthetic(12.0, 0.5)
    pipe = FeedbackPipeline(rec.info, load_device("muse2016"))
    assert pipe.channel_quality() == ["none"] * 5
    data = rec.data.copy()
    data[1000:1010, 1] = np.nan  # AF7
    data[1000:1010, 2] = np.inf  # AF8
    samples = pipe.push(Chunk(data, rec.timestamps))
    t_bad = rec.timestamps[1000], rec.timestamps[1009]
    hit = [s for s in samples if s.t - 511 / 256 <= t_bad[1] and s.t >= t_bad[0]]
    assert hit
    assert not any(s.accepted for s in hit)
    assert all(math.isnan(s.rel_alpha) for s in hit)
    assert any(s.accepted for s in samples if s.t > rec.timestamps[1009] + 2.0)
    q = pipe.channel_quality()
    assert len(q) == 5
    assert q[4] == "none"
    assert set(q[:4]) <= {"good", "medium", "bad"}
    assert pipe.frontal == [1, 2]


def test_unusable_streams_are_refused_with_one_line() -> None:
    muse = load_device("muse2016")
    no_frontal = StreamInfo("x", "EEG", "x", 256.0, ("TP9", "TP10"), ("uV", "uV"))
    with pytest.raises(InputError, match="no usable frontal channel"):
        FeedbackPipeline(no_frontal, muse)
    slow = StreamInfo("y", "EEG", "y", 64.0, ("AF7", "AF8"), ("uV", "uV"))
    with pytest.raises(InputError, match="too low"):
        FeedbackPipeline(slow, muse)


def test_score_recording_refuses_a_file_too_short_or_without_a_usable_window(
    tmp_path: Path,
) -> None:
    rows = "\n".join(
        f"{1000 + i / 256:.3f},{np.sin(i):.3f},{np.cos(i):.3f},1.0,2.0,0.0" for i in range(300)
    )
    short = tmp_path / "short.csv"
    short.write_text("timestamps,TP9,AF7,AF8,TP10,Right AUX\n" + rows + "\n")
    with pytest.raises(InputError, match=r"short\.csv: no complete 2 s window"):
        score_recording(short)
    n = 256 * 4
    big = "\n".join(
        f"{1000 + i / 256:.3f},1.0,{500 * (-1) ** i:.1f},{400 * (-1) ** (i // 3):.1f},2.0,0.0"
        for i in range(n)
    )
    blinky = tmp_path / "blinky.csv"
    blinky.write_text("timestamps,TP9,AF7,AF8,TP10,Right AUX\n" + big + "\n")
    with pytest.raises(
        InputError, match=r"blinky\.csv: no usable frontal window \(AF7: .*amplitude 100%"
    ):
        score_recording(blinky)


_NOISY = _synthetic(8.0, 0.5, seed=11)


@settings(max_examples=25, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 300), min_size=1, max_size=5),
    bad=st.lists(
        st.tuples(
            st.integers(0, _NOISY.n_samples - 1),
            st.integers(0, 4),
            st.sampled_from([np.nan, np.inf, -np.inf, 1e12, -3e8]),
        ),
        max_size=6,
    ),
)
def test_bad_samples_in_a_stream_reject_windows_and_never_raise(
    sizes: list[int], bad: list[tuple[int, int, float]]
) -> None:
    data = _NOISY.data.copy()
    for i, c, v in bad:
        data[i, c] = v
    pipe = FeedbackPipeline(_NOISY.info)
    out, i, k = [], 0, 0
    while i < _NOISY.n_samples:
        n = sizes[k % len(sizes)]
        out += pipe.push(Chunk(data[i : i + n], _NOISY.timestamps[i : i + n]))
        i, k = i + n, k + 1
    assert len(out) == (_NOISY.n_samples - 512) // 32 + 1
    t = np.array([s.t for s in out])
    ts = _NOISY.timestamps
    # Windows where both frontal channels (AF7, AF8) hold a bad sample are rejected.
    spoiled = np.zeros((len(out), 2), dtype=bool)
    for i, c, _ in bad:
        if c in (1, 2):
            spoiled[:, c - 1] |= (t >= ts[i]) & (t - 511 / 256 <= ts[i] + 1e-9)
    accepted = np.array([s.accepted for s in out], dtype=bool)
    assert not (accepted & spoiled[:, 0] & spoiled[:, 1]).any()
    for s in out:
        assert not s.accepted or (0 <= s.rel_alpha <= 1 and 0 <= s.rel_theta <= 1)
        assert 0.0 <= s.quality <= 1.0
