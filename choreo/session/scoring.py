"""The one place the session turns EEG into trial scores, live and in replay.

Both :mod:`choreo.session.live` and :mod:`choreo.session.replay` build their pipeline,
fix the baseline and score a trial through these functions, which only wire the EEG
package's own code (:class:`choreo.eeg.pipeline.FeedbackPipeline`,
:func:`choreo.eeg.feedback.aggregate_interval`); nothing is recomputed here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from choreo.config import validate
from choreo.eeg.stream import StreamInfo


@dataclass(frozen=True)
class TrialOutcome:
    """A trial's score, or why it has none."""

    score: float
    rejected_share: float
    n_windows: int
    valid: bool
    reason: str = ""
    #: End times (LSL s) of the first and last window in the interval, if any.
    window_t: tuple[float, float] | None = None


def session_eeg_settings(scoring: dict[str, Any]) -> Any:
    """The EEG settings of a session: ``[scoring]`` validated, self-calibration off.

    The session fixes the baseline itself (its baseline block), so the pipeline's own
    calibration from the first seconds (``feedback.calibration_s``) is switched off.
    """
    from choreo.eeg.settings import EegSettings

    settings = validate(EegSettings, scoring, "session settings [scoring]")
    feedback = settings.feedback.model_copy(update={"calibration_s": 0.0})
    return settings.model_copy(update={"feedback": feedback})


def build_pipeline(info: StreamInfo, scoring: dict[str, Any], device: str = "") -> Any:
    """A :class:`~choreo.eeg.pipeline.FeedbackPipeline` for ``info`` with the session's settings.

    Parameters
    ----------
    info
        The EEG stream (units uV).
    scoring
        The ``[scoring]`` table of the session settings (EEG settings: ``bandpower``,
        ``quality``, ``feedback``), validated by the EEG package's model.
    device
        Device profile name; empty: the one the source matched.
    """
    from choreo.eeg.devices import stream_profile
    from choreo.eeg.pipeline import FeedbackPipeline

    settings = session_eeg_settings(scoring)
    return FeedbackPipeline(info, stream_profile(info, device or None), settings)


def calibrate(pipeline: Any, start: float, end: float) -> dict[str, Any]:
    """Fix the pipeline's baseline from its windows in ``[start, end]`` (LSL s); return it."""
    baseline = pipeline.calibrate(start, end)
    return dict(baseline.to_dict())


def restore_baseline(pipeline: Any, baseline: dict[str, Any]) -> None:
    """Give the pipeline a baseline saved by :func:`calibrate` (resume, replay)."""
    from choreo.eeg.feedback import Baseline

    pipeline.set_baseline(Baseline.from_dict(baseline))


def trial_interval(start: float, end: float, settle_s: float) -> tuple[float, float]:
    """The window ends that make a trial's score: ``[start + settle, end]`` (LSL s), with
    ``settle = min(settle_s, (end - start) / 2)``: the windows inside the performance (a
    short one keeps its second half)."""
    return start + min(settle_s, max(end - start, 0.0) / 2), end


def score_trial(
    pipeline: Any,
    samples: list[Any],
    start: float,
    end: float,
    min_windows: int,
    settle_s: float = 0.0,
) -> TrialOutcome:
    """The trial score from the feedback samples whose window ends lie in
    :func:`trial_interval`; ``window_t`` of the outcome holds the first and last of them."""
    lo, hi = trial_interval(start, end, settle_s)
    return score_windows(pipeline, samples, lo, hi, min_windows)


def score_windows(
    pipeline: Any, samples: list[Any], lo: float, hi: float, min_windows: int
) -> TrialOutcome:
    """The robust mean (:func:`~choreo.eeg.feedback.aggregate_interval`) of the windows
    ending in ``[lo, hi]`` (LSL s)."""
    from choreo.eeg.feedback import aggregate_interval

    ts = aggregate_interval(samples, lo, hi, trim=pipeline.settings.feedback.trim)
    inside = [x.t for x in samples if lo <= x.t <= hi]
    window_t = (float(inside[0]), float(inside[-1])) if inside else None
    score = float(ts.score)
    if ts.n_windows < min_windows or not math.isfinite(score):
        return TrialOutcome(
            score,
            float(ts.rejected_share),
            int(ts.n_windows),
            False,
            f"only {ts.n_windows} accepted windows"
            if ts.n_windows < min_windows
            else "no finite score",
            window_t,
        )
    return TrialOutcome(score, float(ts.rejected_share), int(ts.n_windows), True, "", window_t)


def hop_s(pipeline: Any) -> float:
    """Time between two feedback windows (s)."""
    return float(pipeline.bandpower.plan.hop_s)
