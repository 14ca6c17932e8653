"""Typed settings of the EEG processing: band power, quality, feedback score.

Loaded from ``choreo/configs/eeg.toml`` (or any TOML file with the same keys) by
:func:`load_eeg_settings`; every model is a :class:`~choreo.config.StrictModel`,
so an unknown key is an error naming the file and the key.
"""

from __future__ import annotations

import os
from typing import Self

from pydantic import Field, model_validator

from choreo.config import StrictModel, load_toml
from choreo.resources import config_dir, locate


class BandPowerSettings(StrictModel):
    """Sliding-window relative band power.

    Attributes
    ----------
    window_s, hop_s
        Window length and hop in seconds. The window is a whole number of hops:
        the hop is rounded to whole samples and the window to a whole number of
        hops (2 s / 125 ms at 500 Hz gives 62-sample hops and 1.984 s windows).
    theta_hz, alpha_hz, total_hz
        Half-open bands ``[low, high)`` in Hz; relative power is the power in a
        band over the power in ``total_hz``.
    line_hz, line_width_hz
        Mains frequency (50 or 60 Hz) and half-width of the neighbourhood of it
        and its harmonics that is left out of the total power.
    gap_periods, gap_slack_s
        A timestamp step longer than ``gap_periods`` sample periods plus
        ``gap_slack_s`` (timestamp rounding, e.g. 1 ms in muselsl CSV) is a gap,
        and so is a step backwards by more than ``gap_slack_s``: the window
        buffer restarts there, so no window straddles a gap.
    """

    window_s: float = Field(2.0, gt=0)
    hop_s: float = Field(0.125, gt=0)
    theta_hz: tuple[float, float] = (4.0, 8.0)
    alpha_hz: tuple[float, float] = (8.0, 12.0)
    total_hz: tuple[float, float] = (1.0, 40.0)
    line_hz: float = Field(50.0, gt=0)
    line_width_hz: float = Field(1.0, ge=0)
    gap_periods: float = Field(2.5, gt=1)
    gap_slack_s: float = Field(0.002, ge=0)

    @model_validator(mode="after")
    def _check_bands(self) -> Self:
        for name in ("theta_hz", "alpha_hz", "total_hz"):
            lo, hi = getattr(self, name)
            if not 0 < lo < hi:
                raise ValueError(f"{name} must be [low, high) with 0 < low < high")
        for name in ("theta_hz", "alpha_hz"):
            lo, hi = getattr(self, name)
            if lo < self.total_hz[0] or hi > self.total_hz[1]:
                raise ValueError(f"{name} must lie inside total_hz")
        if self.hop_s > self.window_s:
            raise ValueError("hop_s must not exceed window_s")
        return self


class QualitySettings(StrictModel):
    """Rejection of windows and the per-channel quality index.

    Attributes
    ----------
    ptp_max_uv
        A window whose peak-to-peak amplitude exceeds this (uV) is rejected
        (blinks, movement, electrode pops).
    flat_std_uv
        A window whose standard deviation is below this (uV) is a flatline.
    rail_uv
        Absolute value (uV) at or beyond which the amplifier is saturated
        (None: unknown, only the repeated-extreme test applies).
    saturation_share
        A window where this share of samples sits exactly at its maximum or at
        its minimum is saturated (clipped at the rail, or stuck).
    index_span_s
        The quality index looks at the windows of the last this many seconds.
    good_share, medium_share
        Share of accepted windows for "good" and "medium" (below: "bad").
    line_ratio_max
        A channel whose median mains power over its 1-40 Hz power exceeds this
        is at most "medium" (mains pick-up means poor contact).
    """

    ptp_max_uv: float = Field(150.0, gt=0)
    flat_std_uv: float = Field(0.2, ge=0)
    rail_uv: float | None = Field(None, gt=0)
    saturation_share: float = Field(0.05, gt=0, le=1)
    index_span_s: float = Field(10.0, gt=0)
    good_share: float = Field(0.8, ge=0, le=1)
    medium_share: float = Field(0.5, ge=0, le=1)
    line_ratio_max: float = Field(1.0, gt=0)


class FeedbackSettings(StrictModel):
    """From relative power to the feedback score.

    Attributes
    ----------
    calibration_s
        Without a given baseline, the first this many seconds of a stream
        (accepted windows only) form the baseline; the score is NaN until then.
    min_baseline_windows
        Fewest accepted windows a baseline needs.
    min_std
        Floor of the baseline spread (relative power, 0..1), so that a
        suspiciously steady baseline does not blow up the z-score.
    smoothing_s
        Time constant (s) of the exponential moving average of the score.
    trim
        Share trimmed from each end for the robust mean of a trial.
    """

    calibration_s: float = Field(20.0, ge=0)
    min_baseline_windows: int = Field(8, ge=2)
    min_std: float = Field(0.01, gt=0)
    smoothing_s: float = Field(2.0, ge=0)
    trim: float = Field(0.1, ge=0, lt=0.5)


class EegSettings(StrictModel):
    """All EEG processing settings (``choreo/configs/eeg.toml``)."""

    bandpower: BandPowerSettings = BandPowerSettings()
    quality: QualitySettings = QualitySettings()
    feedback: FeedbackSettings = FeedbackSettings()


def load_eeg_settings(path: str | os.PathLike[str] | None = None) -> EegSettings:
    """Load EEG settings from ``path`` (default ``choreo/configs/eeg.toml``; defaults if absent).

    Raises
    ------
    ConfigError
        Unknown or invalid key, naming the file and the key.
    """
    if path is None:
        default = config_dir() / "eeg.toml"
        if not default.exists():
            return EegSettings()
        path = default
    return load_toml(locate(path), EegSettings)
