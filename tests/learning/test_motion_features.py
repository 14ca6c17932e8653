"""Motion descriptors: flange features and the joint-space descriptors beside them."""

from __future__ import annotations

import numpy as np
import pytest

from choreo.learning.motion_features import JOINT_DESCRIPTORS, joint_descriptors, motion_features


def _held_pose(turn_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """The arm holds one pose, a steady 2 s beat; A6 turns +-turn_deg to and fro."""
    q = np.tile(np.array([10.0, -80.0, 90.0, 0.0, 30.0, 0.0]), (28, 1))
    q[:, 5] = np.where(np.arange(28) % 2 == 0, -turn_deg, turn_deg)
    return q, np.full(28, 2.0)


def test_joint_descriptors_see_the_tool_turn_that_the_flange_features_do_not() -> None:
    still, turning = _held_pose(0.0), _held_pose(20.0)
    fa, fb = motion_features(*still).as_dict(), motion_features(*turning).as_dict()
    for name, value in fa.items():
        assert fb[name] == pytest.approx(value, abs=1e-9), name
    a, b = joint_descriptors(*still)[0], joint_descriptors(*turning)[0]
    assert a.shape == b.shape == (6 * len(JOINT_DESCRIPTORS),)
    mean, spread, log_speed = b[:6], b[6:12], b[12:]
    np.testing.assert_allclose(mean, [10.0, -80.0, 90.0, 0.0, 30.0, 20.0 / 27], atol=1e-9)
    # 27 judged keyframes alternate +-20 deg: spread ~20 deg; every segment turns 40 deg in 2 s.
    assert spread[5] == pytest.approx(20.0 * np.sqrt(1 - (1 / 27) ** 2), rel=1e-9)
    assert log_speed[5] == pytest.approx(np.log(20.0 + 0.1), rel=1e-9)
    np.testing.assert_allclose(spread[:5], 0.0, atol=1e-9)
    np.testing.assert_allclose(log_speed[:5], np.log(0.1), atol=1e-9)
    np.testing.assert_array_equal(a[:5], b[:5])


def test_joint_descriptors_batch_matches_single() -> None:
    rng = np.random.default_rng(0)
    q = rng.uniform(-90, 90, (5, 28, 6))
    d = rng.uniform(0.5, 4.0, (5, 28))
    batch = joint_descriptors(q, d)
    assert batch.shape == (5, 18)
    for i in range(5):
        np.testing.assert_allclose(joint_descriptors(q[i], d[i])[0], batch[i], rtol=1e-12)
