"""The EEG feedback pipeline: chunks in, feedback samples out, live and offline alike.

:class:`FeedbackPipeline` chains the streaming band power
(:mod:`choreo.eeg.bandpower`), the quality checks (:mod:`choreo.eeg.quality`)
and the score (:mod:`choreo.eeg.feedback`). The live loop pushes LSL chunks
into it; :func:`choreo.eeg.offline_scoring.score_recording` pushes a whole file
through the same object in one call (vectorised), so offline numbers are the live
numbers. Chunking
does not change any number (up to floating-point rounding).

Without a baseline given, the pipeline calibrates itself from the accepted
windows of its first ``feedback.calibration_s`` seconds (the score is NaN
until then; 0 disables this and the score waits for :meth:`~FeedbackPipeline.
set_baseline` or :meth:`~FeedbackPipeline.calibrate`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from choreo.eeg.bandpower import StreamingBandPower
from choreo.eeg.devices import (
    DeviceProfile,
    channel_indices,
    frontal_indices,
    stream_profile,
)
from choreo.eeg.feedback import (
    Baseline,
    FeedbackSample,
    FeedbackScorer,
    mean_where,
)
from choreo.eeg.quality import (
    ChannelQuality,
    ChannelQualityTracker,
    assess_windows,
)
from choreo.eeg.settings import EegSettings
from choreo.eeg.stream import Chunk, FloatArray, StreamInfo
from choreo.errors import InputError

__all__ = ["FeedbackPipeline", "FeedbackSample", "PipelineWindows"]


@dataclass(frozen=True)
class PipelineWindows:
    """Everything the pipeline computed for a run of windows (arrays, one row per window).

    Per channel (the processed channels, ``(n_windows, n_channels)``): ``rel_alpha``,
    ``rel_theta``, ``total`` (uV^2), ``line`` (uV^2), ``accepted``, ``reasons``
    (bit flags, see :mod:`choreo.eeg.quality`). Per window (``(n_windows,)``): ``t``
    (window end, s), ``relaxation`` (frontal relative alpha+theta), ``frontal_alpha``,
    ``frontal_theta``, ``frontal_accepted``, ``z``, ``score``, ``quality``.
    """

    t: FloatArray
    rel_alpha: FloatArray
    rel_theta: FloatArray
    total: FloatArray
    line: FloatArray
    accepted: NDArray[np.bool_]
    reasons: NDArray[np.uint8]
    relaxation: FloatArray
    frontal_alpha: FloatArray
    frontal_theta: FloatArray
    frontal_accepted: NDArray[np.bool_]
    z: FloatArray
    score: FloatArray
    quality: FloatArray

    @property
    def n_windows(self) -> int:
        """Number of windows."""
        return int(self.t.shape[0])

    @classmethod
    def concat(cls, parts: list[PipelineWindows]) -> PipelineWindows:
        """Join runs in order (at least one part)."""
        if len(parts) == 1:
            return parts[0]
        names = cls.__dataclass_fields__
        return cls(**{f: np.concatenate([getattr(p, f) for p in parts]) for f in names})

    def samples(self) -> list[FeedbackSample]:
        """One :class:`FeedbackSample` per window."""
        cols = (
            self.t.tolist(),
            self.score.tolist(),
            self.frontal_alpha.tolist(),
            self.frontal_theta.tolist(),
            self.quality.tolist(),
            self.frontal_accepted.tolist(),
            self.z.tolist(),
            self.relaxation.tolist(),
        )
        return [FeedbackSample(*row) for row in zip(*cols, strict=True)]


class FeedbackPipeline:
    """Band power, quality and score of one EEG stream, fed chunk by chunk.

    Parameters
    ----------
    info
        The stream (samples in uV).
    profile
        Device profile; None: the one named in ``info.device``, else matched.
    settings
        EEG processing settings (defaults when None).
    baseline
        A baseline to score against from the start (see the module docstring).

    Raises
    ------
    InputError
        When the rate is too low for the bands or no frontal channel is usable.
    """

    def __init__(
        self,
        info: StreamInfo,
        profile: DeviceProfile | None = None,
        settings: EegSettings | None = None,
        baseline: Baseline | None = None,
    ) -> None:
        if profile is None:
            profile = stream_profile(info)
        self.info = info
        self.profile = profile
        self.settings = settings or EegSettings()
        #: Stream indices of the frontal channels (the score's channels).
        self.frontal: list[int] = frontal_indices(info, profile)
        unused = set(channel_indices(info, profile.unused))
        #: Stream indices of the processed channels (all but the unused ones).
        self.channels: list[int] = [i for i in range(info.n_channels) if i not in unused]
        self._all_channels = len(self.channels) == info.n_channels
        self._fpos = np.array([self.channels.index(i) for i in self.frontal])
        self.ch_names = tuple(info.ch_names[i] for i in self.channels)
        self.frontal_names = tuple(info.ch_names[i] for i in self.frontal)
        self.bandpower = StreamingBandPower(
            info.sfreq, len(self.channels), self.settings.bandpower
        )
        hop_s = self.bandpower.plan.hop_s
        self.tracker = ChannelQualityTracker(self.ch_names, hop_s, self.settings.quality)
        self.scorer = FeedbackScorer(self.frontal_names, self.settings.feedback, baseline)
        self._span = max(1, round(self.settings.quality.index_span_s / hop_s))
        # Per-window history of the frontal channels, for calibrate().
        self._hist_t: list[FloatArray] = []
        self._hist_ri: list[FloatArray] = []
        self._hist_acc: list[NDArray[np.bool_]] = []
        self._t0: float | None = None
        cal = self.settings.feedback.calibration_s
        self._calibrate_at = math.inf if baseline is not None or cal <= 0 else cal
        self.calibration_error = ""
        self._last_t = -math.inf
        #: Windows ending after this time (s) are scored against the current baseline.
        self.baseline_since = -math.inf if baseline is not None else math.inf
        #: The windows of the latest push that completed any (for live views).
        self.last_windows: PipelineWindows | None = None
        n_ch = len(self.channels)
        e1, e2 = np.empty(0), np.empty((0, n_ch))
        self._no_windows = PipelineWindows(
            e1, e2, e2, e2, e2, e2.astype(bool), e2.astype(np.uint8), e1, e1, e1,
            np.empty(0, dtype=bool), e1, e1, e1,
        )  # fmt: skip
        #: Optional gate ``gate(t_end, window_s) -> bool array``: windows it marks (head
        #: movement, :mod:`choreo.eeg.motion`) count as rejected on every frontal channel.
        self.gate: Callable[[FloatArray, float], NDArray[np.bool_]] | None = None
        self._gated: list[float] = []
        self._recent_counts = np.zeros(self._span)
        self._recent_total = 0.0
        self._n_seen = 0

    def pop_gated(self) -> list[float]:
        """End times (s) of the windows the gate left out since the last call."""
        out, self._gated = self._gated, []
        return out

    # ------------------------------------------------------------------ baseline
    @property
    def baseline(self) -> Baseline | None:
        """The baseline in use (None before calibration)."""
        return self.scorer.baseline

    def set_baseline(self, baseline: Baseline) -> None:
        """Score against ``baseline`` from now on (stops self-calibration)."""
        self.scorer.set_baseline(baseline)
        self._calibrate_at = math.inf
        self.baseline_since = self._last_t

    def calibrate(self, start: float, end: float) -> Baseline:
        """Fix the baseline from the windows pushed so far that end in ``[start, end]`` (s).

        Raises
        ------
        InputError
            When too few windows there were accepted.
        """
        t, ri, acc = self._history()
        inside = (t >= start) & (t <= end)
        baseline = Baseline.from_windows(
            self.frontal_names,
            ri[inside],
            acc[inside],
            self.settings.feedback,
            where=f"calibration block {start:.3f}..{end:.3f} s",
        )
        self.set_baseline(baseline)
        return baseline

    def _history(self) -> tuple[FloatArray, FloatArray, NDArray[np.bool_]]:
        if not self._hist_t:
            n = len(self.frontal)
            return np.empty(0), np.empty((0, n)), np.empty((0, n), dtype=bool)
        if len(self._hist_t) > 1:
            self._hist_t = [np.concatenate(self._hist_t)]
            self._hist_ri = [np.concatenate(self._hist_ri)]
            self._hist_acc = [np.concatenate(self._hist_acc)]
        return self._hist_t[0], self._hist_ri[0], self._hist_acc[0]

    # ------------------------------------------------------------------ pushing
    def push(self, chunk: Chunk) -> list[FeedbackSample]:
        """Process samples; one :class:`FeedbackSample` per completed window."""
        return self.push_windows(chunk).samples()

    def push_windows(self, chunk: Chunk) -> PipelineWindows:
        """Process samples; all per-window arrays of the completed windows."""
        if chunk.n_channels != self.info.n_channels:
            raise InputError(
                f"stream '{self.info.name}': chunk has {chunk.n_channels} channels, "
                f"the stream {self.info.n_channels}"
            )
        data = chunk.data if self._all_channels else chunk.data[:, self.channels]
        bp = self.bandpower.push(Chunk(data, chunk.timestamps))
        if bp.n_windows == 0:  # most live chunks complete no window
            return self._no_windows
        q = assess_windows(bp, self.settings.quality)
        self.tracker.update(bp, q)
        fp = self._fpos
        acc_f = q.accepted[:, fp]
        if self.gate is not None:
            moving = self.gate(bp.t, self.bandpower.plan.window_s)
            if moving.any():
                acc_f = acc_f & ~moving[:, None]
                self._gated.extend(bp.t[moving].tolist())
        rel_a, rel_t = bp.rel_alpha[:, fp], bp.rel_theta[:, fp]
        ri_ch = rel_a + rel_t
        self._hist_t.append(bp.t)
        self._hist_ri.append(ri_ch)
        self._hist_acc.append(acc_f)
        if self._t0 is None:
            self._t0 = float(bp.t[0]) - self.bandpower.plan.window_s
        # Score, calibrating on the way when the calibration block ends inside this push.
        z = np.full(bp.n_windows, np.nan)
        score = np.full(bp.n_windows, np.nan)
        done, n_w = 0, bp.n_windows
        while done < n_w:
            stop = n_w
            if self._t0 is not None and math.isfinite(self._calibrate_at):
                cal_end = self._t0 + self._calibrate_at
                k = done + int(np.searchsorted(bp.t[done:], cal_end, side="right"))
                if k < n_w:
                    # The calibration block ends inside this push: score up to its end
                    # (no baseline yet), calibrate, go on with the rest.
                    stop = k
            if stop > done:
                sl = slice(done, stop)
                z[sl], score[sl] = self.scorer.score(bp.t[sl], ri_ch[sl], acc_f[sl])
                self._last_t = float(bp.t[stop - 1])
            if stop < n_w:
                self._self_calibrate(self._t0 + self._calibrate_at)
            done = stop
        f_alpha = mean_where(rel_a, acc_f)
        f_theta = mean_where(rel_t, acc_f)
        out = PipelineWindows(
            t=bp.t,
            rel_alpha=bp.rel_alpha,
            rel_theta=bp.rel_theta,
            total=bp.total,
            line=bp.line,
            accepted=q.accepted,
            reasons=q.reasons,
            relaxation=mean_where(ri_ch, acc_f),
            frontal_alpha=f_alpha,
            frontal_theta=f_theta,
            frontal_accepted=np.any(acc_f, axis=1),
            z=z,
            score=score,
            quality=self._rolling_quality(acc_f),
        )
        self.last_windows = out
        return out

    def _self_calibrate(self, cal_end: float) -> None:
        """Baseline from every window up to ``cal_end``; if too few, try again later."""
        assert self._t0 is not None
        t, ri, acc = self._history()
        inside = t <= cal_end
        try:
            baseline = Baseline.from_windows(
                self.frontal_names, ri[inside], acc[inside], self.settings.feedback
            )
        except InputError as exc:
            self.calibration_error = str(exc)
            self._calibrate_at += self.settings.feedback.calibration_s
            return
        self.calibration_error = ""
        self.set_baseline(baseline)

    def _rolling_quality(self, acc_f: NDArray[np.bool_]) -> FloatArray:
        """Per window: share of the frontal channels' last ``span`` windows accepted.

        A ring of per-window counts (whole numbers, so the running total is exact
        and the result does not depend on how the windows were chunked).
        """
        counts = acc_f.sum(axis=1).tolist()
        ring, span, n_fr = self._recent_counts, self._span, acc_f.shape[1]
        total, seen = self._recent_total, self._n_seen
        out = np.empty(len(counts))
        for i, c in enumerate(counts):
            slot = seen % span
            total += c - ring[slot]
            ring[slot] = c
            seen += 1
            out[i] = total / (min(seen, span) * n_fr)
        self._recent_total, self._n_seen = total, seen
        return out

    # ------------------------------------------------------------------ quality
    def channel_report(self) -> list[ChannelQuality]:
        """Quality index of each processed channel, over the recent windows."""
        return self.tracker.channels()

    def channel_quality(self) -> list[str]:
        """Quality level per *stream* channel ("good"/"medium"/"bad"/"none")."""
        levels = ["none"] * self.info.n_channels
        for i, cq in zip(self.channels, self.tracker.channels(), strict=True):
            levels[i] = cq.level
        return levels
