"""Calibration figures from the real Muse recordings (``../shared/data/muse-mental-state``).

Scores every recording through the live scoring path (:mod:`choreo.evaluation.calibration`)
and prints, per state, the frontal relative alpha+theta; the trial-to-trial SD of a trial
score within one state; the difference between relaxed and concentrating; beside each,
the figure choreo's synthetic participants use (the anchor), and the synthetic EEG measured
through the same path; the 2 s windows' SD (real vs synthetic). Writes
bench/results/calibration.json.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("CHOREO_SHARED_DATA", REPO.parent / "shared" / "data"))


def synthetic_through_the_scoring_path(
    trial_s: float, seeds: int = 24, trials: int = 4, settings: Any = None
) -> dict[str, float]:
    """The same figures measured on the synthetic EEG (Muse 2016, default settings).

    Per seed a 60 s block at relaxation 0.5 is the baseline; ``trials`` trials of
    ``trial_s`` seconds at relaxation 0 and 1 are scored against it as live trials.
    ``window_sd`` is the SD of the baseline block's 2 s windows' frontal relative
    alpha+theta (frontal mean), ``channel_window_sd`` one channel's (the baseline's std),
    both averaged over seeds; ``settings`` are :class:`SynthSettings` (default: default).
    """
    import numpy as np

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
        block = SyntheticEEG("muse2016", seed * 100, 0.5, settings).recording(60.0)
        pipe = FeedbackPipeline(block.info, settings=st)
        bw = pipe.push_windows(block.as_chunk())
        base = pipe.calibrate(float(block.timestamps[0]), float(block.timestamps[-1]))
        window_sd.append(float(np.std(bw.relaxation[bw.frontal_accepted], ddof=1)))
        channel_sd.append(float(np.mean(base.std)))
        for level in scores:
            for k in range(trials):
                eeg = SyntheticEEG("muse2016", seed * 100 + 1 + k + int(level) * 10, 0.5, settings)
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


def real_window_sd(data_dir: Path) -> dict[str, float]:
    """Window SD of the real recordings' frontal relative alpha+theta (2 s windows).

    Each recording is scored by ``score_recording`` (its first 20 s as the baseline; the
    windows do not depend on it). ``window_sd``: SD over a recording's accepted windows
    of the frontal mean (what a window's relaxation index is), averaged over recordings;
    ``channel_window_sd``: SD of one channel's windows, averaged over the frontal
    channels of the neutral-1 recordings (what a baseline's std is, and the z divides by).
    """
    import numpy as np

    from choreo.eeg.offline_scoring import score_recording
    from choreo.evaluation.calibration import (
        BASELINE_SESSION,
        BASELINE_STATE,
        labelled_recordings,
    )

    window_sd, channel_sd = [], []
    for path, _subject, state, n in labelled_recordings(data_dir):
        r = score_recording(path)
        w = r.windows
        window_sd.append(float(np.std(w.relaxation[w.frontal_accepted], ddof=1)))
        if (state, n) == (BASELINE_STATE, BASELINE_SESSION):
            fp = [r.ch_names.index(c) for c in r.frontal_names]
            ri = w.rel_alpha[:, fp] + w.rel_theta[:, fp]
            for i in range(len(fp)):
                vals = ri[w.accepted[:, fp[i]], i]
                if vals.size > 1:
                    channel_sd.append(float(np.std(vals, ddof=1)))
    return {
        "window_sd": float(np.mean(window_sd)),
        "channel_window_sd": float(np.mean(channel_sd)),
    }


def main(trial_s: float = 20.0, out: Path | None = None) -> dict[str, object]:
    from choreo.eeg.sources.synthetic import SynthSettings
    from choreo.evaluation import participants as p
    from choreo.evaluation.calibration import MUSE_CALIBRATION, T3_ROBUST_SD_PER_SCALE, calibrate

    cal = calibrate(DATA / "muse-mental-state", trial_s=trial_s)
    doc = cal.to_dict()
    doc["recorded"] = MUSE_CALIBRATION.to_dict()
    doc["participants_use"] = {
        "noise_robust_sd_z": T3_ROBUST_SD_PER_SCALE * p.NOISE_SCALE_Z,
        "effect_range_z": p.EFFECT_RANGE_Z,
    }
    doc["synthetic_eeg_relative_power"] = list(SynthSettings().relative_power)
    synth = synthetic_through_the_scoring_path(trial_s)
    doc["synthetic_eeg_measured"] = synth
    real_sd = real_window_sd(DATA / "muse-mental-state")
    doc["real_window_sd"] = real_sd
    print(f"trials of {trial_s:g} s, n = {cal.n_trials}")
    for state, level in cal.relaxation_by_state.items():
        print(f"relative alpha+theta, {state:<13}: {level:.3f}")
    print(
        f"synthetic EEG relative alpha+theta at relaxation 0 / 1: set "
        f"{SynthSettings().relative_power[0]:.3f} / {SynthSettings().relative_power[1]:.3f},"
        f" measured {synth['relative_power_at_0']:.3f} / {synth['relative_power_at_1']:.3f}"
    )
    print(
        f"trial SD within a state: {cal.trial_sd_z:.3f} z, robust {cal.trial_robust_sd_z:.3f} z"
        f" (participants: robust {T3_ROBUST_SD_PER_SCALE * p.NOISE_SCALE_Z:.3f} z;"
        f" synthetic EEG: {synth['trial_sd_z']:.3f} z)"
    )
    diffs = ", ".join(f"{s} {d:.3f}" for s, d in cal.state_difference_z.items())
    print(
        f"relaxed - concentrating: {diffs}; mean {cal.mean_state_difference_z:.3f} z"
        f" (participants' effect range: {p.EFFECT_RANGE_Z:.3f} z;"
        f" synthetic EEG, relaxation 1 - 0: {synth['state_difference_z']:.3f} z)"
    )
    print(
        "2 s window SD of the frontal relative alpha+theta: frontal mean"
        f" {real_sd['window_sd']:.3f}"
        f" (synthetic EEG at 0.5: {synth['window_sd']:.3f}), one channel"
        f" {real_sd['channel_window_sd']:.3f} (synthetic: {synth['channel_window_sd']:.3f})"
    )
    path = out or REPO / "bench" / "results" / "calibration.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=1))
    print(f"JSON written to {path}")
    return doc


if __name__ == "__main__":
    from choreo.runtime import configure_process

    configure_process()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trial-s", type=float, default=20.0)
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()
    main(a.trial_s, a.json)
