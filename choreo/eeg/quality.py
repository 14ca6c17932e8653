"""Signal quality: which windows to trust, and how well each electrode sits.

Per window and channel (from the statistics :mod:`choreo.eeg.bandpower`
computes on the same windows), a window is rejected when

- it holds NaN, infinite or absurd (>= 10 V) samples (``NONFINITE``),
- its peak-to-peak amplitude exceeds ``ptp_max_uv`` (default 150 uV: blinks,
  movement, electrode pops; ``AMPLITUDE``),
- its standard deviation is below ``flat_std_uv`` (a flatline: a dead or
  disconnected channel; ``FLATLINE``),
- it is saturated: a sample at or beyond ``rail_uv`` when the rail is known,
  or at least ``saturation_share`` of its samples sitting exactly at its
  maximum or its minimum (clipping, or an amplifier stuck at one value;
  ``SATURATED``).

The per-channel quality index, something to watch while fitting a headset
(Muse's own horseshoe indicator is not on LSL), looks at the windows of the
last ``index_span_s`` seconds: "good" when at least ``good_share`` of them
were accepted and mains pick-up is moderate (median mains power at most
``line_ratio_max`` times the 1-40 Hz power: strong mains means a poorly
contacting electrode), "medium" when at least ``medium_share`` were
accepted, "bad" otherwise, "none" before the first window.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from choreo.eeg.bandpower import BandPowerWindows
from choreo.eeg.settings import QualitySettings

__all__ = [
    "AMPLITUDE",
    "FLATLINE",
    "NONFINITE",
    "SATURATED",
    "ChannelQuality",
    "ChannelQualityTracker",
    "QualityLevel",
    "WindowQuality",
    "assess_windows",
    "describe_reasons",
    "quality_level",
]

#: Reasons a window is rejected (bit flags in :attr:`WindowQuality.reasons`).
NONFINITE = 1
AMPLITUDE = 2
FLATLINE = 4
SATURATED = 8

_REASON_NAMES = {
    NONFINITE: "NaN/inf",
    AMPLITUDE: "amplitude",
    FLATLINE: "flatline",
    SATURATED: "saturation",
}

QualityLevel = Literal["good", "medium", "bad", "none"]


@dataclass(frozen=True)
class WindowQuality:
    """Decisions per window and channel, ``(n_windows, n_channels)``.

    ``accepted`` is true for a usable window; ``reasons`` holds the bit flags
    (``NONFINITE | AMPLITUDE | FLATLINE | SATURATED``) of a rejected one.
    """

    accepted: NDArray[np.bool_]
    reasons: NDArray[np.uint8]


def assess_windows(windows: BandPowerWindows, settings: QualitySettings) -> WindowQuality:
    """Accept or reject every window of every channel (see the module docstring)."""
    reasons = np.zeros(windows.ptp.shape, dtype=np.uint8)
    reasons[windows.n_bad > 0] |= NONFINITE
    reasons[windows.ptp > settings.ptp_max_uv] |= AMPLITUDE
    reasons[windows.std < settings.flat_std_uv] |= FLATLINE
    saturated = windows.extreme_share >= settings.saturation_share
    if settings.rail_uv is not None:
        saturated |= windows.max_abs >= settings.rail_uv
    reasons[saturated] |= SATURATED
    # A window whose relative power is undefined (no power at all) is unusable too.
    reasons[~np.isfinite(windows.rel_alpha) & (reasons == 0)] |= FLATLINE
    return WindowQuality(reasons == 0, reasons)


def describe_reasons(flags: int) -> str:
    """Human words for a bit set of rejection reasons ("" when accepted)."""
    return ", ".join(name for bit, name in _REASON_NAMES.items() if flags & bit)


def quality_level(share: float, line_ratio: float, settings: QualitySettings) -> QualityLevel:
    """The level of a channel from its accepted share (0..1) and mains ratio.

    "good" takes ``good_share`` and a mains ratio of at most ``line_ratio_max``
    (NaN, unknown, does not count against it); "medium" ``medium_share``.
    """
    if share >= settings.good_share and not line_ratio > settings.line_ratio_max:
        return "good"
    if share >= settings.medium_share:
        return "medium"
    return "bad"


@dataclass(frozen=True)
class ChannelQuality:
    """The quality index of one channel over the recent windows.

    Attributes
    ----------
    name
        Channel label.
    level
        "good", "medium", "bad", or "none" before the first window.
    accepted_share
        Share of the recent windows accepted (0..1).
    line_ratio
        Median mains power over 1-40 Hz power of the recent windows (NaN if unknown).
    reason
        Why the latest window was rejected ("" if accepted).
    """

    name: str
    level: QualityLevel
    accepted_share: float
    line_ratio: float
    reason: str


class ChannelQualityTracker:
    """The per-channel quality index over a sliding span of windows.

    Parameters
    ----------
    ch_names
        Labels of the channels, in column order.
    hop_s
        Time between windows, s (sets how many windows the span holds).
    settings
        Thresholds and span.
    """

    def __init__(
        self, ch_names: tuple[str, ...] | list[str], hop_s: float, settings: QualitySettings
    ) -> None:
        self.ch_names = tuple(ch_names)
        self.settings = settings
        n_ch = len(self.ch_names)
        self._span = max(1, round(settings.index_span_s / hop_s))
        self._accepted = np.zeros((self._span, n_ch), dtype=bool)
        self._line = np.full((self._span, n_ch), np.nan)
        self._count = 0
        self._last_reasons = np.zeros(n_ch, dtype=np.uint8)

    def update(self, windows: BandPowerWindows, quality: WindowQuality) -> None:
        """Take in the latest windows."""
        n = windows.n_windows
        if n == 0:
            return
        keep = min(n, self._span)
        total = windows.total[-keep:]
        ratio = np.divide(
            windows.line[-keep:], total, out=np.full(total.shape, np.nan), where=total > 0
        )
        rows = (self._count + n - keep + np.arange(keep)) % self._span
        self._accepted[rows] = quality.accepted[-keep:]
        self._line[rows] = ratio
        self._count += n
        self._last_reasons = quality.reasons[-1].copy()

    def shares(self) -> NDArray[np.float64]:
        """Share of accepted windows per channel over the span (0 before any window)."""
        filled = min(self._count, self._span)
        if filled == 0:
            return np.zeros(len(self.ch_names))
        return np.asarray(self._accepted[:filled].mean(axis=0), dtype=float)

    def channels(self) -> list[ChannelQuality]:
        """The quality index of every channel."""
        filled = min(self._count, self._span)
        shares = self.shares()
        out = []
        for i, name in enumerate(self.ch_names):
            if filled == 0:
                out.append(ChannelQuality(name, "none", 0.0, float("nan"), ""))
                continue
            line = self._line[:filled, i]
            line = line[np.isfinite(line)]
            ratio = float(np.median(line)) if line.size else float("nan")
            share = float(shares[i])
            out.append(
                ChannelQuality(
                    name,
                    quality_level(share, ratio, self.settings),
                    share,
                    ratio,
                    describe_reasons(int(self._last_reasons[i])),
                )
            )
        return out
