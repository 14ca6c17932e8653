"""Relative band power: definition (vs scipy), power not amplitude, streaming == batch, gaps."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.signal import periodogram

from choreo.eeg.bandpower import (
    BandPowerSettings,
    BandPowerWindows,
    SpectralPlan,
    StreamingBandPower,
    batch_band_power,
)
from choreo.eeg.stream import Chunk
from choreo.errors import InputError

FS = 256.0


def _noise(n: int, ch: int, seed: int = 0, fs: float = FS) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    # Brown + white noise with an offset: a spectrum that is far from flat.
    x = np.cumsum(rng.standard_normal((n, ch)), axis=0) + 5 * rng.standard_normal((n, ch)) + 300
    return x, 1000.0 + np.arange(n) / fs


def _push_in_chunks(
    est: StreamingBandPower, x: np.ndarray, t: np.ndarray, sizes
) -> BandPowerWindows:
    out, i, k = [], 0, 0
    while i < len(t):
        n = int(sizes[k % len(sizes)])
        out.append(est.push(Chunk(x[i : i + n], t[i : i + n])))
        i, k = i + n, k + 1
    return BandPowerWindows.concat(out, x.shape[1])


def test_each_window_is_scipys_hann_periodogram_with_linear_detrend() -> None:
    x, t = _noise(256 * 12, 4)
    bp = batch_band_power(x, t, FS)
    assert bp.n_windows == (len(t) - 512) // 32 + 1
    for w in (0, 7, 50, bp.n_windows - 1):
        seg = x[w * 32 : w * 32 + 512]
        f, p = periodogram(seg, FS, window="hann", detrend="linear", axis=0)
        total = p[(f >= 1) & (f < 40)].sum(axis=0)
        np.testing.assert_allclose(
            bp.rel_theta[w], p[(f >= 4) & (f < 8)].sum(axis=0) / total, rtol=1e-10
        )
        np.testing.assert_allclose(
            bp.rel_alpha[w], p[(f >= 8) & (f < 12)].sum(axis=0) / total, rtol=1e-10
        )
        # Absolute power in uV^2: density times bin width.
        np.testing.assert_allclose(bp.total[w], total * FS / 512, rtol=1e-10)
        np.testing.assert_allclose(bp.ptp[w], np.ptp(seg, axis=0), rtol=1e-12)
        np.testing.assert_allclose(bp.std[w], seg.std(axis=0), rtol=1e-9)
        assert bp.t[w] == t[w * 32 + 511]


def test_relative_power_is_power_not_amplitude() -> None:
    n = 256 * 6
    t = np.arange(n) / FS
    # 10 Hz at 2 uV, 6 Hz at 1 uV, 30 Hz at 1 uV: powers 2, 0.5, 0.5 uV^2.
    x = 2 * np.sin(2 * np.pi * 10 * t) + np.sin(2 * np.pi * 6 * t + 1) + np.sin(2 * np.pi * 30 * t)
    bp = batch_band_power(x[:, None], t, FS)
    # Not exact only because the linear detrend also takes the sines' (tiny) projection
    # onto a straight line; an amplitude ratio would give 2/4 and 1/4, a log ratio worse.
    np.testing.assert_allclose(bp.rel_alpha[:, 0], 2 / 3, atol=1e-4)
    np.testing.assert_allclose(bp.rel_theta[:, 0], 1 / 6, atol=1e-4)
    np.testing.assert_allclose(bp.total[:, 0], 3.0, rtol=1e-3)


def test_mains_hardly_moves_the_relative_power() -> None:
    x, t = _noise(256 * 8, 2, seed=3)
    clean = batch_band_power(x, t, FS)
    mains = 40 * np.sin(2 * np.pi * 50 * (t - t[0]))[:, None]
    noisy = batch_band_power(x + mains, t, FS)
    assert np.abs(noisy.rel_alpha - clean.rel_alpha).max() < 1e-3
    assert np.abs(noisy.rel_theta - clean.rel_theta).max() < 1e-3
    # ... and is measured: 40 uV amplitude = 800 uV^2 near 50 Hz.
    np.testing.assert_allclose(noisy.line, 800.0, rtol=0.1)  # plus the noise near 50 Hz


def test_offset_and_drift_do_not_change_the_numbers() -> None:
    x, t = _noise(256 * 8, 2, seed=5)
    base = batch_band_power(x, t, FS)
    drift = 1e4 + 30.0 * (t - t[0])[:, None]  # 10 mV offset, 30 uV/s drift
    moved = batch_band_power(x + drift, t, FS)
    np.testing.assert_allclose(moved.rel_alpha, base.rel_alpha, rtol=1e-8)
    np.testing.assert_allclose(moved.rel_theta, base.rel_theta, rtol=1e-8)


@pytest.mark.parametrize(("fs", "ch"), [(256.0, 4), (500.0, 32)])
def test_streaming_equals_batch_for_hop_sized_and_odd_chunks(fs: float, ch: int) -> None:
    x, t = _noise(int(fs * 10), ch, seed=1, fs=fs)
    batch = batch_band_power(x, t, fs)
    for sizes in ([12], [SpectralPlan.build(fs, BandPowerSettings()).hop], [1, 37, 250, 5]):
        s = _push_in_chunks(StreamingBandPower(fs, ch), x, t, sizes)
        np.testing.assert_array_equal(s.t, batch.t)
        for f in ("rel_alpha", "rel_theta", "total", "ptp", "std", "extreme_share"):
            np.testing.assert_allclose(getattr(s, f), getattr(batch, f), rtol=1e-10, atol=1e-12)


@settings(max_examples=15, deadline=None)
@given(sizes=st.lists(st.integers(1, 700), min_size=1, max_size=6), seed=st.integers(0, 3))
def test_streaming_equals_batch_for_any_chunking(sizes: list[int], seed: int) -> None:
    x, t = _noise(256 * 6, 3, seed=seed)
    batch = batch_band_power(x, t, FS)
    s = _push_in_chunks(StreamingBandPower(FS, 3), x, t, sizes)
    np.testing.assert_array_equal(s.t, batch.t)
    np.testing.assert_allclose(s.rel_alpha, batch.rel_alpha, rtol=1e-10)
    np.testing.assert_allclose(s.rel_theta, batch.rel_theta, rtol=1e-10)


def test_a_gap_restarts_the_window() -> None:
    x, t = _noise(256 * 10, 2, seed=2)
    t = t.copy()
    t[1000:] += 0.5  # half a second of missing samples after sample 999
    bp = batch_band_power(x, t, FS)
    first = batch_band_power(x[:1000], t[:1000], FS)
    second = batch_band_power(x[1000:], t[1000:], FS)
    assert bp.n_windows == first.n_windows + second.n_windows
    np.testing.assert_allclose(bp.rel_alpha[first.n_windows :], second.rel_alpha, rtol=1e-10)
    # No window ends within one window length after the gap.
    after = bp.t[bp.t > t[999]]
    assert after.min() >= t[1000] + 511 / FS - 1e-9
    # Rounded (1 ms) timestamps jitter but are no gap; a step backwards is one.
    est = StreamingBandPower(FS, 2)
    est.push(Chunk(x[:3000], np.round(t[:3000] - (t[:3000] > t[999]) * 0.5, 3)))
    assert est.n_gaps == 0
    est.push(Chunk(x[:600], t[:600]))  # the clock went back
    assert est.n_gaps == 1


def test_bad_samples_reject_only_their_windows_and_never_raise() -> None:
    x, t = _noise(256 * 8, 2, seed=4)
    clean = batch_band_power(x, t, FS)
    bad = x.copy()
    bad[1000, 0] = np.nan
    bad[1500, 1] = np.inf
    bad[1800, 0] = 1e300
    bp = _push_in_chunks(StreamingBandPower(FS, 2), bad, t, [12])
    start = np.arange(bp.n_windows) * 32
    holds = lambda i: (start <= i) & (i < start + 512)  # noqa: E731
    hit0 = holds(1000) | holds(1800)
    assert (bp.n_bad[hit0, 0] > 0).all()
    assert np.isnan(bp.rel_alpha[hit0, 0]).all()
    assert (bp.n_bad[~hit0, 0] == 0).all()
    np.testing.assert_allclose(bp.rel_alpha[~hit0, 0], clean.rel_alpha[~hit0, 0], rtol=1e-9)
    np.testing.assert_allclose(
        bp.rel_alpha[~holds(1500), 1], clean.rel_alpha[~holds(1500), 1], rtol=1e-9
    )


def test_rate_too_low_and_window_rounding() -> None:
    with pytest.raises(InputError, match="too low"):
        StreamingBandPower(64.0, 4)
    plan = SpectralPlan.build(500.0, BandPowerSettings())
    assert (plan.hop, plan.n_blocks, plan.n) == (62, 16, 992)
    with pytest.raises(InputError, match="channels"):
        StreamingBandPower(FS, 4).push(Chunk(np.zeros((10, 3)), np.arange(10) / FS))
