"""Calibration of the synthetic participants and EEG from real Muse recordings.

The recordings in ``../shared/data/muse-mental-state`` (``subject<id>-<state>-<n>.csv``,
states relaxed / neutral / concentrating) are scored through the live scoring path
(:func:`choreo.eeg.offline_scoring.score_recording`): each recording against its subject's
``neutral-1`` recording as the baseline, then cut into consecutive trials of
``trial_s`` seconds, each scored as a live trial is
(:func:`choreo.eeg.feedback.aggregate_arrays`). Three figures come out:

- the frontal relative alpha+theta power (4-12 Hz over 1-40 Hz) of each state;
- the trial-to-trial SD of a trial score within one state (trial scores minus their
  recording's mean, pooled; also robust: IQR / 1.349), z units: the participants' noise;
- the difference between states (whole-recording score, relaxed minus concentrating,
  per subject), z units: the participants' effect range.

:data:`MUSE_CALIBRATION` holds these figures as measured (``bench/bench_calibration.py``;
the recordings are not shipped, so the figures are): it is the one place the synthetic
EEG (:class:`choreo.eeg.sources.synthetic.SynthSettings`), the participants
(:mod:`choreo.evaluation.participants`), the demo and the benchmark read them from.
``tests/evaluation/test_calibration.py`` recomputes them from the recordings when they
are there and holds this record to them.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from choreo.errors import InputError

#: ``subject<id>-<state>-<n>.csv``
NAME = re.compile(r"^subject(?P<subject>\w+?)-(?P<state>[a-z]+)-(?P<n>\d+)\.csv$")
#: The recording of each subject whose windows make the baseline.
BASELINE_STATE, BASELINE_SESSION = "neutral", 1
#: Trial length used by default, s (as the live sessions' trials, ~20 s of scoring).
DEFAULT_TRIAL_S = 20.0


#: Robust SD (IQR / 1.349) of a Student-t variable with 3 degrees of freedom, per unit
#: scale: its IQR is 2 x 0.7649.
T3_ROBUST_SD_PER_SCALE = 2 * 0.7649 / 1.349


@dataclass(frozen=True)
class CalibrationFigures:
    """The calibration figures as measured, and what the synthetic parts derive from them.

    Attributes
    ----------
    relative_power
        Mean frontal relative alpha+theta (4-12 / 1-40 Hz, 0..1) per state.
    trial_sd_z, trial_robust_sd_z
        Within-state trial-to-trial SD of a 20 s trial score, z (plain; IQR / 1.349).
    n_trials
        Trials behind the SD.
    state_difference_z
        Relaxed minus concentrating whole-recording score, z, mean over subjects.
    measured
        When and from what (for the JSON and the docs).
    """

    relative_power: dict[str, float]
    trial_sd_z: float
    trial_robust_sd_z: float
    n_trials: int
    state_difference_z: float
    measured: str

    @property
    def synthetic_relative_power(self) -> tuple[float, float]:
        """Synthetic EEG's relative alpha+theta at relaxation 0 and 1: concentrating, relaxed."""
        return (self.relative_power["concentrating"], self.relative_power["relaxed"])

    @property
    def noise_scale_z(self) -> float:
        """Scale of the participants' Student-t (3 df) trial noise, z: its robust SD is
        the real trials' robust SD (robust, as one artefact-laden trial inflates the SD)."""
        return self.trial_robust_sd_z / T3_ROBUST_SD_PER_SCALE

    @property
    def effect_range_z(self) -> float:
        """The participants' effect range (best minus worst motion), z: the state difference."""
        return self.state_difference_z

    def to_dict(self) -> dict[str, Any]:
        """JSON-able, with the derived figures."""
        d = asdict(self)
        d.update(
            synthetic_relative_power=list(self.synthetic_relative_power),
            noise_scale_z=self.noise_scale_z,
            effect_range_z=self.effect_range_z,
        )
        return d


#: The figures of ``../shared/data/muse-mental-state`` (12 recordings, 2 subjects, 20 s
#: trials), as ``calibrate`` computes them (measured 2026-12-06, again 2026-12-07).
MUSE_CALIBRATION = CalibrationFigures(
    relative_power={"concentrating": 0.278, "neutral": 0.310, "relaxed": 0.335},
    trial_sd_z=0.245,
    trial_robust_sd_z=0.231,
    n_trials=29,
    state_difference_z=0.656,
    measured="choreo.evaluation.calibration.calibrate on ../shared/data/muse-mental-state",
)


@dataclass(frozen=True)
class RecordingLevels:
    """One recording, scored: levels (relative power, 0..1) and scores (z)."""

    file: str
    subject: str
    state: str
    session: int
    rel_alpha: float
    rel_theta: float
    relaxation: float
    score: float
    accepted_share: float
    trial_scores: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class Calibration:
    """The calibration figures (see the module docstring) and what they come from."""

    trial_s: float
    recordings: list[RecordingLevels]
    #: Mean frontal relative alpha+theta per state (over subjects and sessions).
    relaxation_by_state: dict[str, float]
    #: Within-state trial-to-trial SD of a trial score, z: plain and robust, and n.
    trial_sd_z: float
    trial_robust_sd_z: float
    n_trials: int
    #: Relaxed minus concentrating whole-recording score, z, per subject.
    state_difference_z: dict[str, float]

    @property
    def mean_state_difference_z(self) -> float:
        """The difference between states, averaged over subjects (z)."""
        return float(np.mean(list(self.state_difference_z.values())))

    def to_dict(self) -> dict[str, Any]:
        """JSON-able (NaN -> None)."""
        d = asdict(self)
        d["mean_state_difference_z"] = self.mean_state_difference_z
        return _finite(d)

    def write_json(self, path: str | os.PathLike[str]) -> Path:
        """Write :meth:`to_dict` to ``path``."""
        p = Path(path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(self.to_dict(), indent=1))
        return p


def _finite(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _finite(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_finite(v) for v in x]
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def labelled_recordings(data_dir: str | os.PathLike[str]) -> list[tuple[Path, str, str, int]]:
    """``(path, subject, state, session)`` of each labelled CSV in ``data_dir``, sorted.

    Raises
    ------
    InputError
        No folder, or no ``subject<id>-<state>-<n>.csv`` in it.
    """
    d = Path(data_dir)
    if not d.is_dir():
        raise InputError(f"{d}: recordings folder not found")
    out = []
    for p in sorted(d.glob("*.csv")):
        m = NAME.match(p.name)
        if m:
            out.append((p, m["subject"], m["state"], int(m["n"])))
    if not out:
        raise InputError(f"{d}: no subject<id>-<state>-<n>.csv recording")
    return out


def trial_scores(
    t: np.ndarray, z: np.ndarray, accepted: np.ndarray, trial_s: float, trim: float
) -> list[float]:
    """Scores of consecutive ``trial_s`` trials over window end times ``t`` (s), as live."""
    from choreo.eeg.feedback import aggregate_arrays

    if not len(t):
        return []
    out = []
    start = float(t[0])
    while start + trial_s <= float(t[-1]) + 1e-9:
        s = aggregate_arrays(t, z, accepted, start, start + trial_s, trim).score
        if math.isfinite(s):
            out.append(float(s))
        start += trial_s
    return out


def calibrate(
    data_dir: str | os.PathLike[str], trial_s: float = DEFAULT_TRIAL_S, settings: Any = None
) -> Calibration:
    """Score every labelled recording in ``data_dir`` and compute the calibration figures.

    Parameters
    ----------
    data_dir
        Folder of ``subject<id>-<state>-<n>.csv`` muselsl recordings.
    trial_s
        Trial length, s.
    settings
        :class:`choreo.eeg.settings.EegSettings` (default ``choreo/configs/eeg.toml``).

    Raises
    ------
    InputError
        No recordings, or a subject without its ``neutral-1`` baseline recording.
    """
    from choreo.eeg.offline_scoring import score_recording
    from choreo.eeg.settings import load_eeg_settings

    settings = settings or load_eeg_settings()
    recs = labelled_recordings(data_dir)
    baselines = {}
    for path, subject, state, n in recs:
        if (state, n) == (BASELINE_STATE, BASELINE_SESSION):
            whole = score_recording(path, settings=settings)
            baselines[subject] = whole.baseline_of_all_windows(settings.feedback)
    levels = []
    for path, subject, state, n in recs:
        if subject not in baselines:
            raise InputError(f"{path}: subject {subject} has no {BASELINE_STATE}-1 recording")
        r = score_recording(path, baseline=baselines[subject], settings=settings)
        w = r.windows
        levels.append(
            RecordingLevels(
                file=path.name,
                subject=subject,
                state=state,
                session=n,
                rel_alpha=r.rel_alpha,
                rel_theta=r.rel_theta,
                relaxation=r.relaxation,
                score=r.trial.score,
                accepted_share=r.accepted_share,
                trial_scores=trial_scores(
                    w.t, w.z, w.frontal_accepted, trial_s, settings.feedback.trim
                ),
            )
        )
    deviations = np.concatenate(
        [np.asarray(r.trial_scores) - np.mean(r.trial_scores) for r in levels if r.trial_scores]
    )
    q75, q25 = np.percentile(deviations, [75, 25])
    by_state = {
        s: float(np.mean([r.relaxation for r in levels if r.state == s]))
        for s in sorted({r.state for r in levels})
    }
    diff = {}
    for subject in sorted({r.subject for r in levels}):
        mine = [r for r in levels if r.subject == subject]
        relaxed = [r.score for r in mine if r.state == "relaxed"]
        conc = [r.score for r in mine if r.state == "concentrating"]
        if relaxed and conc:
            diff[subject] = float(np.mean(relaxed) - np.mean(conc))
    return Calibration(
        trial_s=float(trial_s),
        recordings=levels,
        relaxation_by_state=by_state,
        trial_sd_z=float(np.std(deviations, ddof=1)),
        trial_robust_sd_z=float((q75 - q25) / 1.349),
        n_trials=int(deviations.size),
        state_difference_z=diff,
    )


def measure_synthetic_eeg(
    trial_s: float = DEFAULT_TRIAL_S,
    seeds: int = 24,
    trials: int = 4,
    settings: Any = None,
    first_seed: int = 0,
) -> dict[str, float]:
    """The calibration figures measured on the synthetic EEG (Muse 2016) through the
    same scoring path as the real recordings.

    Per seed ``first_seed + 100 k`` (k < ``seeds``) a 60 s block at relaxation 0.5 is the
    baseline; ``trials`` trials of ``trial_s`` seconds at relaxation 0 and 1 are scored
    against it as live trials. ``trial_sd_z`` and ``state_difference_z`` are in z, the
    levels in 0..1 units.
    ``window_sd`` is the SD of the baseline block's 2 s windows' frontal relative
    alpha+theta (frontal mean), ``channel_window_sd`` one channel's (the baseline's std),
    both averaged over seeds; ``settings`` are :class:`SynthSettings` (default: default).
    """
    from choreo.eeg.feedback import aggregate_arrays
    from choreo.eeg.pipeline import FeedbackPipeline
    from choreo.eeg.settings import load_eeg_settings
    from choreo.eeg.sources.synthetic import SyntheticEEG

    st = load_eeg_settings()
    scores: dict[float, list[float]] = {0.0: [], 1.0: []}
    levels: dict[float, list[float]] = {0.0: [], 1.0: []}
    window_sd: list[float] = []
    channel_sd: list[float] = []
    for seed in range(seeds):
        block = SyntheticEEG("muse2016", first_seed + seed * 100, 0.5, settings).recording(60.0)
        pipe = FeedbackPipeline(block.info, settings=st)
        bw = pipe.push_windows(block.as_chunk())
        base = pipe.calibrate(float(block.timestamps[0]), float(block.timestamps[-1]))
        window_sd.append(float(np.std(bw.relaxation[bw.frontal_accepted], ddof=1)))
        channel_sd.append(float(np.mean(base.std)))
        for level in scores:
            for k in range(trials):
                trial_seed = first_seed + seed * 100 + 1 + k + int(level) * 10
                eeg = SyntheticEEG("muse2016", trial_seed, 0.5, settings)
                eeg.relaxation = level
                rec = eeg.recording(trial_s)
                w = FeedbackPipeline(rec.info, settings=st, baseline=base).push_windows(
                    rec.as_chunk()
                )
                t0, t1 = float(rec.timestamps[0]), float(rec.timestamps[-1])
                scores[level].append(
                    aggregate_arrays(w.t, w.z, w.frontal_accepted, t0, t1, st.feedback.trim).score
                )
                levels[level].append(float(np.nanmean(w.relaxation[w.frontal_accepted])))
    sd = np.sqrt(np.mean([np.var(v, ddof=1) for v in scores.values()]))
    return {
        "relative_power_at_0": float(np.mean(levels[0.0])),
        "relative_power_at_1": float(np.mean(levels[1.0])),
        "trial_sd_z": float(sd),
        "state_difference_z": float(np.mean(scores[1.0]) - np.mean(scores[0.0])),
        "n_trials": int(seeds * trials),
        "window_sd": float(np.mean(window_sd)),
        "channel_window_sd": float(np.mean(channel_sd)),
    }
