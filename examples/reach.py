"""A synthetic participant written outside choreo, on the public interface only.

It likes the shoulder (A2) held at a pose of its own (mean over the keyframes, drawn
in -120..-60 deg) while the base (A1) swings by an amount of its own (SD over the
keyframes, drawn in 10..50 deg), with a person offset and Student-t trial noise of
choreo's calibrated size. Written to check the learner on a taste nobody tuned on::

    PYTHONPATH=examples choreo bench learning --participant reach:ReachParticipant \\
        --seeds 10 --methods learner,population,prior,random,cmaes,fbgan
"""

from __future__ import annotations

import numpy as np

from choreo.robot.codec import decode_many
from choreo.robot.config import load_robot_config


class ReachParticipant:
    """``__init__(seed)``, ``respond(vector)``, ``true_value(vector)`` (z units)."""

    def __init__(self, seed: int) -> None:
        rng = np.random.default_rng([seed, 77])
        self.a2_deg = float(rng.uniform(-120.0, -60.0))
        self.swing_deg = float(rng.uniform(10.0, 50.0))
        self.offset = float(rng.normal(0.0, 0.2))
        self._rng = np.random.default_rng([seed, 78])
        self.cfg = load_robot_config()

    def true_values(self, vectors: np.ndarray) -> np.ndarray:
        """Noise-free relaxation of many uint8 (n, 196) vectors, z units."""
        q, _ = decode_many(np.atleast_2d(vectors), self.cfg)  # (n, 28, 6) deg
        a2 = q[:, 1:, 1].mean(axis=1)
        swing = q[:, 1:, 0].std(axis=1)
        pose = np.exp(-0.5 * ((a2 - self.a2_deg) / 15.0) ** 2)
        sway = np.exp(-0.5 * ((swing - self.swing_deg) / 10.0) ** 2)
        return np.asarray(self.offset + 0.66 * (pose * sway))

    def true_value(self, vector: np.ndarray) -> float:
        return float(self.true_values(np.asarray(vector)[None])[0])

    def respond(self, vector: np.ndarray) -> float:
        return self.true_value(vector) + 0.21 * float(self._rng.standard_t(3.0))
