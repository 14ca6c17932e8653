"""Scoring a whole recording offline, through the same :class:`FeedbackPipeline` as live.

:func:`score_recording` reads a file (muselsl CSV, XDF, or what MNE reads) and pushes it
through one :class:`~choreo.eeg.pipeline.FeedbackPipeline` in a single vectorised call,
so offline numbers are the live numbers; :class:`ScoreResult` holds the per-window
arrays and the per-channel summary (``choreo score`` prints it, :mod:`choreo.eeg.plot`
draws it). :func:`load_baseline` takes a baseline from a JSON file or a recording.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from choreo.eeg.devices import DeviceProfile, stream_profile
from choreo.eeg.feedback import Baseline, TrialScore, aggregate_arrays
from choreo.eeg.pipeline import FeedbackPipeline, PipelineWindows
from choreo.eeg.quality import describe_reasons, quality_level
from choreo.eeg.settings import EegSettings, FeedbackSettings
from choreo.eeg.stream import StreamInfo
from choreo.errors import InputError

__all__ = ["ChannelSummary", "ScoreResult", "load_baseline", "score_recording"]


@dataclass(frozen=True)
class ChannelSummary:
    """One channel over a whole recording.

    ``rel_alpha``, ``rel_theta`` and ``relaxation`` are means over its accepted
    windows; ``line_ratio`` the median mains/1-40 Hz power; ``reasons`` the
    rejection reasons seen, most frequent first.
    """

    name: str
    frontal: bool
    level: str
    accepted_share: float
    rel_alpha: float
    rel_theta: float
    relaxation: float
    line_ratio: float
    reasons: str


@dataclass(frozen=True)
class ScoreResult:
    """What :func:`score_recording` found: per-window arrays and a summary.

    Attributes
    ----------
    relaxation
        Mean over the windows with an accepted frontal channel of the
        relaxation index (frontal relative alpha + theta).
    trial
        Robust mean z-score of all scored windows, with the rejected share.
    """

    path: Path
    info: StreamInfo
    device: str
    ch_names: tuple[str, ...]
    frontal_names: tuple[str, ...]
    windows: PipelineWindows
    channels: list[ChannelSummary]
    relaxation: float
    rel_alpha: float
    rel_theta: float
    trial: TrialScore
    baseline: Baseline | None
    baseline_source: str
    window_s: float
    hop_s: float
    n_gaps: int
    notes: tuple[str, ...] = field(default=())

    @property
    def accepted_share(self) -> float:
        """Share of windows with at least one accepted frontal channel."""
        return float(self.windows.frontal_accepted.mean())

    def baseline_of_all_windows(self, settings: FeedbackSettings) -> Baseline:
        """A baseline from every accepted frontal window of this recording.

        What :func:`load_baseline` of the same file gives with the same settings,
        without reading and processing it again (band power and acceptance do not
        depend on the baseline).
        """
        frontal = [i for i, c in enumerate(self.channels) if c.frontal]
        return _frontal_baseline(
            self.windows, frontal, self.frontal_names, settings, str(self.path)
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: summary, channels and the per-window values (NaN -> null)."""
        w = self.windows

        def col(a: NDArray[Any]) -> list[Any]:
            return [
                None if isinstance(v, float) and not math.isfinite(v) else v for v in a.tolist()
            ]

        def num(v: float) -> float | None:
            return v if math.isfinite(v) else None

        return {
            "file": str(self.path),
            "device": self.device,
            "sfreq": self.info.sfreq,
            "channels": list(self.ch_names),
            "frontal": list(self.frontal_names),
            "window_s": self.window_s,
            "hop_s": self.hop_s,
            "gaps": self.n_gaps,
            "notes": list(self.notes),
            "summary": {
                "relaxation_index": num(self.relaxation),
                "rel_alpha": num(self.rel_alpha),
                "rel_theta": num(self.rel_theta),
                "score": num(self.trial.score),
                "rejected_share": self.trial.rejected_share,
                "scored_windows": self.trial.n_windows,
                "windows": w.n_windows,
                "frontal_accepted_share": self.accepted_share,
                "baseline": self.baseline.to_dict() if self.baseline else None,
                "baseline_source": self.baseline_source,
            },
            "channel_summary": [
                {k: (num(v) if isinstance(v, float) else v) for k, v in vars(c).items()}
                for c in self.channels
            ],
            "windows": {
                "t": w.t.tolist(),
                "relaxation": col(w.relaxation),
                "rel_alpha": col(w.frontal_alpha),
                "rel_theta": col(w.frontal_theta),
                "z": col(w.z),
                "score": col(w.score),
                "quality": col(w.quality),
                "accepted": w.frontal_accepted.tolist(),
                "per_channel": {
                    name: {
                        "rel_alpha": col(w.rel_alpha[:, i]),
                        "rel_theta": col(w.rel_theta[:, i]),
                        "accepted": w.accepted[:, i].tolist(),
                        "reasons": w.reasons[:, i].tolist(),
                    }
                    for i, name in enumerate(self.ch_names)
                },
            },
        }


def load_baseline(
    source: str | os.PathLike[str],
    device: str | DeviceProfile | None = None,
    settings: EegSettings | None = None,
) -> Baseline:
    """A baseline from a JSON file (:meth:`Baseline.save`) or from a whole recording.

    A recording gives the mean and spread of its accepted windows.

    Raises
    ------
    InputError
        Unreadable file, or too few accepted windows.
    """
    p = Path(source)
    if p.suffix.lower() == ".json":
        return Baseline.load(p)
    from choreo.eeg.sources.files import read_recording

    settings = settings or EegSettings()
    rec = read_recording(p, device)
    no_cal = settings.feedback.model_copy(update={"calibration_s": 0.0})
    try:
        pipe = FeedbackPipeline(
            rec.info,
            stream_profile(rec.info, device),
            settings.model_copy(update={"feedback": no_cal}),
        )
    except InputError as exc:
        raise InputError(f"{p}: {exc}") from None
    w = pipe.push_windows(rec.as_chunk())
    return _frontal_baseline(w, pipe._fpos, pipe.frontal_names, settings.feedback, str(p))


def _frontal_baseline(
    w: PipelineWindows,
    frontal: Sequence[int] | NDArray[np.intp],
    names: tuple[str, ...],
    settings: FeedbackSettings,
    where: str,
) -> Baseline:
    """Baseline from the accepted windows of the frontal columns of ``w``."""
    return Baseline.from_windows(
        names,
        w.rel_alpha[:, frontal] + w.rel_theta[:, frontal],
        w.accepted[:, frontal],
        settings,
        where=where,
    )


def score_recording(
    path: str | os.PathLike[str],
    device: str | DeviceProfile | None = None,
    baseline: Baseline | str | os.PathLike[str] | None = None,
    settings: EegSettings | None = None,
) -> ScoreResult:
    """Score a whole recording with the live pipeline (one vectorised push).

    Parameters
    ----------
    path
        A recording (muselsl CSV, XDF, or what MNE reads).
    device
        Device profile name or object (default: from the file, or matched).
    baseline
        A :class:`Baseline`, a baseline JSON or recording to take one from, or
        None: the first ``feedback.calibration_s`` seconds of this recording.
    settings
        EEG processing settings (default: ``choreo/configs/eeg.toml``).

    Raises
    ------
    InputError
        Unreadable file, no usable frontal channel, rate too low, recording
        shorter than one window, or no accepted frontal window at all.
    """
    from choreo.eeg.settings import load_eeg_settings
    from choreo.eeg.sources.files import read_recording

    settings = settings or load_eeg_settings()
    p = Path(path)
    rec = read_recording(p, device)
    profile = stream_profile(rec.info, device)
    source = f"first {settings.feedback.calibration_s:g} s"
    if baseline is not None and not isinstance(baseline, Baseline):
        source = str(baseline)
        baseline = load_baseline(baseline, device, settings)
    elif isinstance(baseline, Baseline):
        source = "given"
    try:
        pipe = FeedbackPipeline(rec.info, profile, settings, baseline)
    except InputError as exc:  # name the file, not only the stream
        raise InputError(f"{p}: {exc}") from None
    w = pipe.push_windows(rec.as_chunk())
    plan = pipe.bandpower.plan
    if w.n_windows == 0:
        raise InputError(
            f"{p}: no complete {plan.window_s:g} s window without a gap "
            f"({rec.n_samples} samples, {len(rec.gaps)} gaps)"
        )
    fp = pipe._fpos
    if not w.frontal_accepted.any():
        why = "; ".join(
            f"{pipe.frontal_names[j]}: {_main_reasons(w.reasons[:, i])}" for j, i in enumerate(fp)
        )
        raise InputError(f"{p}: no usable frontal window ({why})")
    channels = []
    for i, name in enumerate(pipe.ch_names):
        acc = w.accepted[:, i]
        share = float(acc.mean())
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = w.line[acc, i] / w.total[acc, i]
        ratio = ratio[np.isfinite(ratio)]
        line_ratio = float(np.median(ratio)) if ratio.size else math.nan
        ra = float(w.rel_alpha[acc, i].mean()) if acc.any() else math.nan
        rt = float(w.rel_theta[acc, i].mean()) if acc.any() else math.nan
        channels.append(
            ChannelSummary(
                name,
                i in fp,
                quality_level(share, line_ratio, settings.quality),
                share,
                ra,
                rt,
                ra + rt,
                line_ratio,
                _main_reasons(w.reasons[:, i]),
            )
        )
    fa = w.frontal_accepted
    trial = aggregate_arrays(w.t, w.z, fa, -math.inf, math.inf, settings.feedback.trim)
    notes = list(rec.notes)
    if pipe.calibration_error and pipe.baseline is None:
        notes.append(f"no baseline: {pipe.calibration_error}")
    return ScoreResult(
        path=p,
        info=rec.info,
        device=profile.name,
        ch_names=pipe.ch_names,
        frontal_names=pipe.frontal_names,
        windows=w,
        channels=channels,
        relaxation=float(np.mean(w.relaxation[fa])),
        rel_alpha=float(np.mean(w.frontal_alpha[fa])),
        rel_theta=float(np.mean(w.frontal_theta[fa])),
        trial=trial,
        baseline=pipe.baseline,
        baseline_source=source,
        window_s=plan.window_s,
        hop_s=plan.hop_s,
        n_gaps=pipe.bandpower.n_gaps,
        notes=tuple(notes),
    )


def _main_reasons(reasons: NDArray[np.uint8]) -> str:
    """Rejection reasons seen in a channel, most frequent first, with their shares."""
    n = reasons.shape[0]
    parts = []
    for bit in (1, 2, 4, 8):
        k = int(np.count_nonzero(reasons & bit))
        if k:
            parts.append((k, f"{describe_reasons(bit)} {100 * k / n:.0f}%"))
    return ", ".join(s for _, s in sorted(parts, reverse=True))
