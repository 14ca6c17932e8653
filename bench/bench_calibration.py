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

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("CHOREO_SHARED_DATA", REPO.parent / "shared" / "data"))


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
    from choreo.evaluation.calibration import (
        MUSE_CALIBRATION,
        T3_ROBUST_SD_PER_SCALE,
        calibrate,
        measure_synthetic_eeg,
    )

    cal = calibrate(DATA / "muse-mental-state", trial_s=trial_s)
    doc = cal.to_dict()
    doc["recorded"] = MUSE_CALIBRATION.to_dict()
    doc["participants_use"] = {
        "noise_robust_sd_z": T3_ROBUST_SD_PER_SCALE * p.NOISE_SCALE_Z,
        "effect_range_z": p.EFFECT_RANGE_Z,
    }
    doc["synthetic_eeg_relative_power"] = list(SynthSettings().relative_power)
    synth = measure_synthetic_eeg(trial_s)
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
