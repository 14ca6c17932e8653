"""Calibration figures from the real Muse recordings (``../shared/data/muse-mental-state``).

Scores every recording through the live scoring path (:mod:`choreo.evaluation.calibration`)
and prints, per state, the frontal relative alpha+theta; the trial-to-trial SD of a trial
score within one state; the difference between relaxed and concentrating; beside each,
the figure choreo's synthetic participants use (the anchor). Writes
bench/results/calibration.json.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("CHOREO_SHARED_DATA", REPO.parent / "shared" / "data"))


def main(trial_s: float = 20.0, out: Path | None = None) -> dict[str, object]:
    from choreo.eeg.sources.synthetic import SynthSettings
    from choreo.evaluation import participants as p
    from choreo.evaluation.calibration import calibrate

    cal = calibrate(DATA / "muse-mental-state", trial_s=trial_s)
    doc = cal.to_dict()
    # t3 noise: robust SD = 1.134 x scale.
    doc["participants_use"] = {
        "noise_robust_sd_z": 1.134 * p.NOISE_SCALE_Z,
        "effect_range_z": p.EFFECT_RANGE_Z,
    }
    doc["synthetic_eeg_relative_power"] = list(SynthSettings().relative_power)
    print(f"trials of {trial_s:g} s, n = {cal.n_trials}")
    for state, level in cal.relaxation_by_state.items():
        print(f"relative alpha+theta, {state:<13}: {level:.3f}")
    print(
        f"synthetic EEG relative alpha+theta at relaxation 0 / 1: "
        f"{SynthSettings().relative_power[0]:.3f} / {SynthSettings().relative_power[1]:.3f}"
    )
    print(
        f"trial SD within a state: {cal.trial_sd_z:.3f} z, robust {cal.trial_robust_sd_z:.3f} z"
        f" (participants: robust {1.134 * p.NOISE_SCALE_Z:.3f} z)"
    )
    diffs = ", ".join(f"{s} {d:.3f}" for s, d in cal.state_difference_z.items())
    print(
        f"relaxed - concentrating: {diffs}; mean {cal.mean_state_difference_z:.3f} z"
        f" (participants' effect range: {p.EFFECT_RANGE_Z:.3f} z)"
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
