"""The KR 6 R900 sixx model: limits and forward kinematics against the design's poses."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import minimize

from choreo.robot.config import load_robot_config
from choreo.robot.kr6 import (
    AXES,
    HOME_DEG,
    MAX_ACCEL_DEG_S2,
    MAX_SPEED_DEG_S,
    SOFT_LIMITS_DEG,
    forward_kinematics,
    joint_frames,
    joint_positions,
)


def test_table_of_the_design() -> None:
    assert AXES == ("A1", "A2", "A3", "A4", "A5", "A6")
    assert SOFT_LIMITS_DEG.tolist() == [
        [-170, 170],
        [-190, 45],
        [-120, 156],
        [-185, 185],
        [-120, 120],
        [-350, 350],
    ]
    assert MAX_SPEED_DEG_S.tolist() == [360, 300, 360, 381, 388, 615]
    assert MAX_ACCEL_DEG_S2.tolist() == [1241, 395, 1800, 7624, 7767, 15377]
    assert HOME_DEG.tolist() == [0, -90, 90, 0, 0, 0]


@pytest.mark.parametrize(
    ("q", "flange"),
    [
        ([0, 0, 0, 0, 0, 0], (0.980, 0.0, 0.435)),
        ([0, -90, 90, 0, 0, 0], (0.525, 0.0, 0.890)),
        # A1 turns about -z: +90 deg swings the arm to -y.
        ([90, 0, 0, 0, 0, 0], (0.0, -0.980, 0.435)),
        # A2 -90 alone: upper arm and forearm up; the 0.035 elbow offset now points to -x.
        ([0, -90, 0, 0, 0, 0], (0.025 - 0.035, 0.0, 0.400 + 0.455 + 0.420 + 0.080)),
        # A5 +90 bends the hand down (rotation about +y).
        ([0, 0, 0, 0, 90, 0], (0.900, 0.0, 0.435 - 0.080)),
        # A6 turns the flange about its own axis: the position does not move.
        ([0, -90, 90, 0, 0, 123], (0.525, 0.0, 0.890)),
    ],
)
def test_reference_poses(q: list[float], flange: tuple[float, float, float]) -> None:
    np.testing.assert_allclose(forward_kinematics(q), flange, atol=1e-12)
    np.testing.assert_allclose(joint_positions(q)[-1], flange, atol=1e-12)


def test_closed_form_agrees_with_the_urdf_chain_and_is_vectorised() -> None:
    q = np.random.default_rng(0).uniform(-180, 180, (4, 50, 6))
    chain = joint_positions(q)
    assert chain.shape == (4, 50, 7, 3)
    np.testing.assert_allclose(forward_kinematics(q), chain[..., -1, :], atol=1e-12)
    # float32 is used for long trajectories: its error stays below 1e-5 m.
    assert np.abs(forward_kinematics(q, np.float32) - chain[..., -1, :]).max() < 1e-5
    frames = joint_frames(q[0, 0])
    rot = frames[1:, :3, :3]
    np.testing.assert_allclose(
        rot @ np.swapaxes(rot, -1, -2), np.broadcast_to(np.eye(3), rot.shape), atol=1e-12
    )
    # Link lengths are preserved whatever the pose.
    lengths = np.linalg.norm(np.diff(chain, axis=-2), axis=-1)
    np.testing.assert_allclose(
        lengths, np.broadcast_to([0.4, 0.025, 0.455, 0.035, 0.42, 0.08], lengths.shape), atol=1e-12
    )


def test_bad_shape_is_refused() -> None:
    with pytest.raises(ValueError, match="6 axes"):
        forward_kinematics([0.0, 1.0, 2.0])


def test_every_envelope_pose_keeps_the_flange_above_floor_and_inside_box() -> None:
    """The claim documented in configs/robot/kr6r900sixx.toml, by bounded minimisation."""
    cfg = load_robot_config()
    env = cfg.envelope
    box = cfg.workspace
    rng = np.random.default_rng(1)
    starts = rng.uniform(env[:, 0], env[:, 1], (5, 6))
    for coord, sign, bound in (
        (2, 1.0, max(cfg.floor_z_m, box[2, 0])),
        (2, -1.0, -box[2, 1]),
        (0, 1.0, box[0, 0]),
        (0, -1.0, -box[0, 1]),
        (1, 1.0, box[1, 0]),
        (1, -1.0, -box[1, 1]),
    ):
        best = min(
            minimize(
                lambda q, c=coord, s=sign: s * forward_kinematics(q)[c],
                x0,
                bounds=env,
                method="L-BFGS-B",
            ).fun
            for x0 in starts
        )
        assert best > bound + 0.03, (coord, sign, best, bound)
