"""The KUKA KR 6 R900 sixx (KR AGILUS): axis limits and forward kinematics.

Joint values are KUKA's A1..A6 in degrees; lengths are metres in the robot's
base frame (z up, x forward, the base plate at z = 0). The kinematic chain is the
URDF of ros-industrial's ``kuka_kr6_support`` (``kr6r900sixx``): each joint is a
translation from the previous joint (no fixed rotations) followed by a rotation
about the listed axis. The flange is the origin of the A6 frame.

Do not confuse this robot with the KR 6 R900-2, whose A4..A6 speeds and offsets differ.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike, DTypeLike, NDArray

#: Axis names, in order.
AXES: tuple[str, ...] = ("A1", "A2", "A3", "A4", "A5", "A6")

#: Software limits per axis, deg: rows A1..A6, columns (low, high).
SOFT_LIMITS_DEG: NDArray[np.float64] = np.array(
    [
        [-170.0, 170.0],
        [-190.0, 45.0],
        [-120.0, 156.0],
        [-185.0, 185.0],
        [-120.0, 120.0],
        [-350.0, 350.0],
    ]
)

#: Maximum axis speed, deg/s.
MAX_SPEED_DEG_S: NDArray[np.float64] = np.array([360.0, 300.0, 360.0, 381.0, 388.0, 615.0])

#: Maximum axis acceleration, deg/s^2.
MAX_ACCEL_DEG_S2: NDArray[np.float64] = np.array([1241.0, 395.0, 1800.0, 7624.0, 7767.0, 15377.0])

#: The home pose, deg: upper arm vertical, forearm horizontal.
HOME_DEG: NDArray[np.float64] = np.array([0.0, -90.0, 90.0, 0.0, 0.0, 0.0])

#: URDF joint origins, m: the translation from the previous joint frame to joint i.
JOINT_ORIGINS_M: NDArray[np.float64] = np.array(
    [
        [0.0, 0.0, 0.400],
        [0.025, 0.0, 0.0],
        [0.455, 0.0, 0.0],
        [0.0, 0.0, 0.035],
        [0.420, 0.0, 0.0],
        [0.080, 0.0, 0.0],
    ]
)

#: URDF joint axes (unit vectors in the joint's own frame).
JOINT_AXES: NDArray[np.float64] = np.array(
    [
        [0.0, 0.0, -1.0],
        [0.0, 1.0, 0.0],
        [0.0, 1.0, 0.0],
        [-1.0, 0.0, 0.0],
        [0.0, 1.0, 0.0],
        [-1.0, 0.0, 0.0],
    ]
)


def _as_joints(q_deg: ArrayLike) -> NDArray[np.float64]:
    q = np.asarray(q_deg, dtype=np.float64)
    if q.shape[-1:] != (6,):
        raise ValueError(f"joint array must end in 6 axes (A1..A6), got shape {q.shape}")
    return q


def _axis_rotation(axis: NDArray[np.float64], angle_rad: NDArray[np.float64]) -> NDArray[Any]:
    """Rotation matrices (..., 3, 3) about a unit ``axis`` by ``angle_rad`` (Rodrigues)."""
    c = np.cos(angle_rad)[..., None, None]
    s = np.sin(angle_rad)[..., None, None]
    x, y, z = axis
    k = np.array([[0.0, -z, y], [z, 0.0, -x], [-y, x, 0.0]])
    return np.eye(3) + s * k + (1.0 - c) * (k @ k)


def joint_frames(q_deg: ArrayLike) -> NDArray[np.float64]:
    """Homogeneous frames of the base and the six joints, for drawing.

    Parameters
    ----------
    q_deg : array_like, shape (..., 6)
        Joint values A1..A6, deg.

    Returns
    -------
    ndarray, shape (..., 7, 4, 4)
        Frame 0 is the base (identity); frame i (1..6) is joint Ai after its
        rotation, in the base frame, metres. Frame 6's origin is the flange.
    """
    q = np.deg2rad(_as_joints(q_deg))
    batch = q.shape[:-1]
    frames = np.zeros((*batch, 7, 4, 4))
    frames[..., 0, :, :] = np.eye(4)
    rot = np.broadcast_to(np.eye(3), (*batch, 3, 3))
    pos = np.zeros((*batch, 3))
    for i in range(6):
        pos = pos + rot @ JOINT_ORIGINS_M[i]
        rot = rot @ _axis_rotation(JOINT_AXES[i], q[..., i])
        frames[..., i + 1, :3, :3] = rot
        frames[..., i + 1, :3, 3] = pos
        frames[..., i + 1, 3, 3] = 1.0
    return frames


def joint_positions(q_deg: ArrayLike) -> NDArray[np.float64]:
    """Origins of the base and joints A1..A6 (the last one is the flange), m, shape (..., 7, 3)."""
    return joint_frames(q_deg)[..., :3, 3]


def forward_kinematics(q_deg: ArrayLike, dtype: DTypeLike = np.float64) -> NDArray[Any]:
    """Flange position for many poses at once.

    The closed form of the chain for positions only: the safety check evaluates
    it for every sample of a trajectory, so it avoids 3x3 products. It agrees
    with :func:`joint_frames` (tested).

    Parameters
    ----------
    q_deg : array_like, shape (..., 6)
        Joint values A1..A6, deg.
    dtype : dtype, optional
        Float type of the computation. ``float32`` is several times faster for
        long trajectories (numpy's SIMD sine); its error is below 1e-5 m here.

    Returns
    -------
    ndarray, shape (..., 3)
        Flange position (x, y, z) in the base frame, m, of ``dtype``.
    """
    q = _as_joints(q_deg)
    # Axis-major and contiguous: one vectorised sine/cosine call for all five angles.
    # Rows A1, A2, A3, A4, A5 in rad; then row 2 becomes A2 + A3, the forearm's pitch
    # (A3 alone is never needed): five sines and cosines per pose.
    ang = np.empty((5, *q.shape[:-1]), dtype=dtype)
    np.multiply(np.moveaxis(q[..., :5], -1, 0), np.pi / 180.0, out=ang, casting="unsafe")
    ang[2] += ang[1]
    s = np.sin(ang)
    c = np.cos(ang)
    s1, s2, s23, s4, s5 = s
    c1, c2, c23, c4, c5 = c
    # Python floats, so that float32 arrays stay float32 (numpy's promotion rules).
    base_z = float(JOINT_ORIGINS_M[0, 2])
    shoulder = float(JOINT_ORIGINS_M[1, 0])
    upper_arm = float(JOINT_ORIGINS_M[2, 0])
    elbow_offset = float(JOINT_ORIGINS_M[3, 2])
    forearm = float(JOINT_ORIGINS_M[4, 0])
    hand = float(JOINT_ORIGINS_M[5, 0])
    # The hand (A5 -> flange), turned by A5 about y, then by A4 about -x.
    hx = hand * c5
    hy = -hand * s5 * s4
    hz = -hand * s5 * c4
    # The arm plane after A1: A2 and A3 turn about y.
    x = shoulder + upper_arm * c2 + elbow_offset * s23 + (forearm + hx) * c23 + hz * s23
    z = base_z - upper_arm * s2 + elbow_offset * c23 - (forearm + hx) * s23 + hz * c23
    # Coordinate-major storage, returned as a (..., 3) view: per-coordinate
    # reductions over many samples (the workspace check) stay contiguous.
    out = np.empty((3, *q.shape[:-1]), dtype=dtype)
    # A1 turns about -z.
    out[0] = x * c1 + hy * s1
    out[1] = -x * s1 + hy * c1
    out[2] = z
    return np.moveaxis(out, 0, -1)
