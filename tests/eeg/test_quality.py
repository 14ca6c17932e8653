"""Quality: amplitude, flatline, saturation, NaN per window; the per-channel index."""

from __future__ import annotations

import numpy as np

from choreo.eeg.bandpower import batch_band_power
from choreo.eeg.quality import (
    AMPLITUDE,
    FLATLINE,
    NONFINITE,
    SATURATED,
    ChannelQualityTracker,
    assess_windows,
    describe_reasons,
)
from choreo.eeg.settings import QualitySettings

FS = 256.0


def _eeg(n: int, ch: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 10 * rng.standard_normal((n, ch))  # ~60 uV peak-to-peak over 2 s


def _windows_holding(i: int, n_windows: int) -> np.ndarray:
    start = np.arange(n_windows) * 32
    return (start <= i) & (i < start + 512)


def test_each_fault_rejects_exactly_its_windows_for_its_reason() -> None:
    n = 256 * 12
    x = _eeg(n, 5)
    t = np.arange(n) / FS
    x[600:680, 0] += 200 * np.hanning(80)  # a blink: 200 uV
    x[1500:2200, 1] = 3.0  # a flatline
    x[:, 2] = np.clip(x[:, 2] * 4, -30, 30)  # clipping at a rail, everywhere
    x[2500, 3] = np.nan
    bp = batch_band_power(x, t, FS)
    q = assess_windows(bp, QualitySettings())
    nw = bp.n_windows
    peak = _windows_holding(640, nw)
    assert (q.reasons[peak, 0] == AMPLITUDE).all()
    assert q.accepted[~_windows_holding(600, nw) & ~_windows_holding(679, nw) & ~peak, 0].all()
    start = np.arange(nw) * 32
    flat = (start >= 1500) & (start + 512 <= 2200)
    assert (q.reasons[flat, 1] & FLATLINE).all()
    assert q.accepted[~_windows_holding(1500, nw) & ~_windows_holding(2199, nw) & ~flat, 1].all()
    assert (q.reasons[:, 2] & SATURATED).all()
    nan_w = _windows_holding(2500, nw)
    assert (q.reasons[nan_w, 3] == NONFINITE).all()
    assert q.accepted[~nan_w, 3].all()
    assert q.accepted[:, 4].all()
    assert describe_reasons(AMPLITUDE | SATURATED) == "amplitude, saturation"


def test_a_known_rail_saturates_and_thresholds_come_from_settings() -> None:
    n = 256 * 4
    x = _eeg(n, 2)
    x[100, 0] = 400.0
    t = np.arange(n) / FS
    bp = batch_band_power(x, t, FS)
    loose = QualitySettings(ptp_max_uv=1000.0)
    assert assess_windows(bp, loose).accepted.all()
    railed = assess_windows(bp, QualitySettings(ptp_max_uv=1000.0, rail_uv=390.0))
    hit = _windows_holding(100, bp.n_windows)
    assert (railed.reasons[hit, 0] == SATURATED).all()
    assert railed.accepted[:, 1].all()


def test_quality_index_levels_follow_the_share_of_accepted_windows_and_mains() -> None:
    n = 256 * 20
    t = np.arange(n) / FS
    x = _eeg(n, 4, seed=1)
    # ch1: a blink every 1.2 s rejects most windows; ch2: one blink just before the
    # last 10 s (a few of their windows hold it); ch3: strong mains pick-up.
    for i in range(256, n - 100, 307):
        x[i : i + 60, 1] += 250
    x[n - 2760 : n - 2700, 2] += 250
    x[:, 3] += 25 * np.sin(2 * np.pi * 50 * t)
    bp = batch_band_power(x, t, FS)
    q = assess_windows(bp, QualitySettings())
    tracker = ChannelQualityTracker(["a", "b", "c", "d"], 0.125, QualitySettings())
    assert [c.level for c in tracker.channels()] == ["none"] * 4
    # Pushing in pieces or at once gives the same index.
    for s in range(0, bp.n_windows, 7):
        part = type(bp)(*(getattr(bp, f)[s : s + 7] for f in bp.__dataclass_fields__))
        tracker.update(part, type(q)(q.accepted[s : s + 7], q.reasons[s : s + 7]))
    ch = tracker.channels()
    assert [c.level for c in ch] == ["good", "bad", "good", "medium"]
    assert ch[0].accepted_share == 1.0
    assert ch[1].accepted_share < 0.5
    assert 0.8 <= ch[2].accepted_share < 1.0
    assert ch[3].accepted_share == 1.0
    assert ch[3].line_ratio > 1.0
    assert ch[0].line_ratio < 0.2
    np.testing.assert_allclose(tracker.shares(), [c.accepted_share for c in ch])
