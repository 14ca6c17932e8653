"""From relative band power to the feedback score, and from scores to a trial score.

Relaxation index
----------------
Per window and channel, the relaxation index is relative (alpha + theta)
power: the power in 4-12 Hz over the power in 1-40 Hz (0..1). For the
frontal set (AF7/AF8 on a Muse) it is the mean over the frontal channels
whose window was accepted; a window where none was accepted has no index.

Score
-----
A :class:`Baseline` holds, per frontal channel, the mean and spread of the
relaxation index over the accepted windows of a calibration block. A window's
z-score is the mean over its accepted frontal channels of
``(index - mean) / std`` (std floored at ``min_std``); the feedback score is
that z-score smoothed by an exponential moving average with time constant
``smoothing_s`` (rejected windows leave it unchanged). Positive means more
relaxed than at baseline.

Trial score
-----------
:func:`aggregate_interval` takes the windows that end inside a trial, drops
the rejected ones and returns the trimmed mean (``trim`` from each end) of
their *unsmoothed* z-scores, so that the smoothing's lag does not carry one
trial into the next, with the share of rejected windows beside it.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from choreo.eeg.settings import FeedbackSettings
from choreo.eeg.stream import FloatArray
from choreo.errors import InputError

__all__ = [
    "Baseline",
    "FeedbackSample",
    "FeedbackScorer",
    "TrialScore",
    "aggregate_arrays",
    "aggregate_interval",
    "frontal_relaxation",
]


@dataclass(frozen=True)
class FeedbackSample:
    """The feedback of one window.

    Attributes
    ----------
    t
        Window end time, s (LSL clock live; the recording's clock offline).
    score
        Smoothed z-score against the baseline (NaN before there is a baseline
        or before the first accepted window).
    rel_alpha, rel_theta
        Relative alpha and theta power of the frontal set (mean over the
        accepted frontal channels; NaN when none was accepted).
    quality
        Share of the frontal channels' recent windows that were accepted (0..1).
    accepted
        True when at least one frontal channel's window was accepted.
    z
        Unsmoothed z-score of this window (NaN when rejected or no baseline).
    relaxation
        Relaxation index of this window: relative (alpha + theta) of the frontal set.
    """

    t: float
    score: float
    rel_alpha: float
    rel_theta: float
    quality: float
    accepted: bool
    z: float = math.nan
    relaxation: float = math.nan


@dataclass(frozen=True)
class TrialScore:
    """A robust summary of the feedback over an interval.

    Attributes
    ----------
    score
        Trimmed mean of the accepted windows' z-scores (NaN when there are none).
    rejected_share
        Share of the interval's windows that were rejected (1.0 when the interval
        holds no window at all).
    n_windows
        Number of accepted windows that made the score (those with a z-score).
    n_total
        Number of windows in the interval.
    """

    score: float
    rejected_share: float
    n_windows: int
    n_total: int = 0


def frontal_relaxation(
    rel_alpha: FloatArray, rel_theta: FloatArray, accepted: NDArray[np.bool_]
) -> FloatArray:
    """Relaxation index per window: mean relative (alpha + theta) over accepted channels.

    Parameters
    ----------
    rel_alpha, rel_theta, accepted
        ``(n_windows, n_frontal)``.

    Returns
    -------
    ``(n_windows,)``, NaN where no channel was accepted.
    """
    return mean_where(rel_alpha + rel_theta, accepted)


def mean_where(values: FloatArray, mask: NDArray[np.bool_]) -> FloatArray:
    """Row means of ``values`` over the columns where ``mask`` holds (NaN for none)."""
    n = mask.sum(axis=1)
    out = np.full(values.shape[0], np.nan)
    return np.divide(np.where(mask, values, 0.0).sum(axis=1), n, out=out, where=n > 0)


@dataclass(frozen=True)
class Baseline:
    """Mean and spread of the relaxation index per frontal channel at rest.

    Attributes
    ----------
    ch_names
        The frontal channels, in the order of ``mean`` and ``std``.
    mean, std
        Relative (alpha + theta) power, 0..1.
    n_windows
        Accepted windows per channel that made the numbers.
    """

    ch_names: tuple[str, ...]
    mean: tuple[float, ...]
    std: tuple[float, ...]
    n_windows: tuple[int, ...]

    @classmethod
    def from_windows(
        cls,
        ch_names: Sequence[str],
        relaxation: FloatArray,
        accepted: NDArray[np.bool_],
        settings: FeedbackSettings,
        where: str = "calibration block",
    ) -> Baseline:
        """Baseline from per-channel relaxation ``(n_windows, n_frontal)`` and acceptance.

        Raises
        ------
        InputError
            When no frontal channel has ``min_baseline_windows`` accepted windows.
        """
        means, stds, counts = [], [], []
        for i in range(len(ch_names)):
            vals = relaxation[accepted[:, i], i]
            vals = vals[np.isfinite(vals)]
            counts.append(int(vals.size))
            if vals.size >= settings.min_baseline_windows:
                means.append(float(vals.mean()))
                stds.append(max(float(vals.std(ddof=1)), settings.min_std))
            else:
                means.append(math.nan)
                stds.append(math.nan)
        if not any(math.isfinite(m) for m in means):
            raise InputError(
                f"{where}: too few accepted windows for a baseline "
                f"({', '.join(f'{c}: {k}' for c, k in zip(ch_names, counts, strict=True))}; "
                f"need {settings.min_baseline_windows})"
            )
        return cls(tuple(ch_names), tuple(means), tuple(stds), tuple(counts))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able dictionary (NaN for a channel without a baseline becomes null)."""
        return {
            "kind": "choreo-baseline",
            "channels": list(self.ch_names),
            "mean": [None if math.isnan(v) else v for v in self.mean],
            "std": [None if math.isnan(v) else v for v in self.std],
            "n_windows": list(self.n_windows),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any], where: str = "baseline") -> Baseline:
        """Inverse of :meth:`to_dict`; raises :class:`InputError` naming ``where``."""
        try:
            names = tuple(str(c) for c in d["channels"])
            mean = tuple(math.nan if v is None else float(v) for v in d["mean"])
            std = tuple(math.nan if v is None else float(v) for v in d["std"])
            counts = tuple(int(v) for v in d.get("n_windows", [0] * len(names)))
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"{where}: not a choreo baseline ({exc!s})") from None
        if not (len(names) == len(mean) == len(std) == len(counts)) or not names:
            raise InputError(f"{where}: channels, mean and std differ in length")
        if any(math.isfinite(s) and s <= 0 for s in std):
            raise InputError(f"{where}: std must be positive")
        return cls(names, mean, std, counts)

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write as JSON."""
        Path(path).write_text(json.dumps(self.to_dict(), indent=2) + "\n")

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Baseline:
        """Read a JSON file written by :meth:`save`."""
        p = Path(path)
        try:
            d = json.loads(p.read_text())
        except FileNotFoundError:
            raise InputError(f"{p}: baseline file not found") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"{p}: not a JSON baseline ({exc})") from None
        if not isinstance(d, dict):
            raise InputError(f"{p}: not a choreo baseline")
        return cls.from_dict(d, str(p))

    def aligned(self, ch_names: Sequence[str]) -> tuple[FloatArray, FloatArray]:
        """Mean and std in the order of ``ch_names`` (NaN for a channel it lacks)."""
        index = {c.lower(): i for i, c in enumerate(self.ch_names)}
        mean = np.full(len(ch_names), np.nan)
        std = np.full(len(ch_names), np.nan)
        for j, c in enumerate(ch_names):
            i = index.get(c.lower())
            if i is not None:
                mean[j], std[j] = self.mean[i], self.std[i]
        if not np.isfinite(mean).any():
            raise InputError(
                f"baseline channels [{', '.join(self.ch_names)}] do not match the frontal "
                f"channels [{', '.join(ch_names)}]"
            )
        return mean, std


class FeedbackScorer:
    """z-scores against a baseline, smoothed by an exponential moving average.

    Parameters
    ----------
    ch_names
        Frontal channel labels, in the column order of what :meth:`score` gets.
    settings
        Smoothing time constant and baseline floor.
    baseline
        The baseline, or None (z and score are NaN until :meth:`set_baseline`).
    """

    def __init__(
        self,
        ch_names: Sequence[str],
        settings: FeedbackSettings,
        baseline: Baseline | None = None,
    ) -> None:
        self.ch_names = tuple(ch_names)
        self.settings = settings
        self.baseline: Baseline | None = None
        self._mean = np.full(len(self.ch_names), np.nan)
        self._std = np.full(len(self.ch_names), np.nan)
        self._ema = math.nan
        self._ema_t = math.nan
        if baseline is not None:
            self.set_baseline(baseline)

    def set_baseline(self, baseline: Baseline) -> None:
        """Use ``baseline`` from now on; the smoothing starts afresh."""
        self._mean, self._std = baseline.aligned(self.ch_names)
        self.baseline = baseline
        self._ema = math.nan
        self._ema_t = math.nan

    def score(
        self, t: FloatArray, relaxation: FloatArray, accepted: NDArray[np.bool_]
    ) -> tuple[FloatArray, FloatArray]:
        """z-scores and smoothed scores of windows.

        Parameters
        ----------
        t
            Window end times, s, ``(n_windows,)``.
        relaxation, accepted
            Per frontal channel, ``(n_windows, n_frontal)``.

        Returns
        -------
        z, score
            ``(n_windows,)`` each.
        """
        use = accepted & np.isfinite(self._mean)[None, :]
        z = mean_where((relaxation - self._mean) / self._std, use)
        score = np.empty_like(z)
        tau = self.settings.smoothing_s
        ema, last = self._ema, self._ema_t
        # A recursion over windows: cheap (one float each), and the same live and offline.
        for i in range(z.shape[0]):
            zi = z[i]
            if zi == zi:  # not NaN
                if ema != ema or tau <= 0:
                    ema = zi
                else:
                    ema += (1.0 - math.exp(-(t[i] - last) / tau)) * (zi - ema)
                last = t[i]
            score[i] = ema
        self._ema, self._ema_t = ema, last
        return z, score


def aggregate_arrays(
    t: FloatArray,
    z: FloatArray,
    accepted: NDArray[np.bool_],
    start: float,
    end: float,
    trim: float = 0.1,
) -> TrialScore:
    """:func:`aggregate_interval` on arrays (window end times, z-scores, acceptance)."""
    inside = (t >= start) & (t <= end)
    n_total = int(inside.sum())
    if n_total == 0:
        return TrialScore(math.nan, 1.0, 0, 0)
    rejected = 1.0 - int((inside & accepted).sum()) / n_total
    vals = np.sort(z[inside & accepted & np.isfinite(z)])
    n = int(vals.size)
    if n == 0:
        return TrialScore(math.nan, rejected, 0, n_total)
    cut = math.floor(trim * n)
    kept = vals[cut : n - cut] if n - 2 * cut > 0 else vals
    return TrialScore(float(kept.mean()), rejected, n, n_total)


def aggregate_interval(
    samples: Sequence[FeedbackSample], start: float, end: float, trim: float = 0.1
) -> TrialScore:
    """Robust mean of the accepted windows ending in ``[start, end]`` (s).

    The trimmed mean (``trim`` from each end) of their unsmoothed z-scores, with
    the share of rejected windows; see the module docstring.
    """
    if not samples:
        return TrialScore(math.nan, 1.0, 0, 0)
    t = np.fromiter((s.t for s in samples), float, len(samples))
    z = np.fromiter((s.z for s in samples), float, len(samples))
    acc = np.fromiter((s.accepted for s in samples), bool, len(samples))
    return aggregate_arrays(t, z, acc, start, end, trim)
