"""What a person watching the robot perceives of a choreography, as a few numbers.

The synthetic participants (:mod:`choreo.evaluation.participants`) respond to these
features, not to the raw bytes, so that their preferences are about motion:
how fast the flange moves, how abruptly it changes course, how far it swings,
at what height, and whether it repeats itself.

Everything is computed on the decoded keyframes (the codec's
:class:`~choreo.robot.codec.Choreography`), with the flange positions from
:func:`choreo.robot.kr6.forward_kinematics`, vectorised over a batch so that
the long reference searches of the benchmark stay cheap. Segment ``k``
(``k = 1..27``) moves from keyframe ``k-1`` to keyframe ``k`` in
``durations_s[k]``; the approach to keyframe 0 from wherever the robot stands
is a lead-in and is not part of what is judged.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from choreo.robot.kr6 import forward_kinematics

#: Lags (in keyframes) at which a choreography may repeat itself.
REPETITION_LAGS = (2, 3, 4, 5, 6, 7, 8)


@dataclass(frozen=True)
class MotionFeatures:
    """Perceived features of one choreography or of a batch (arrays of shape ``(n,)``).

    Attributes
    ----------
    speed_m_s : flange path length over duration (m/s), straight lines between keyframes.
    accel_m_s2 : time-weighted mean change of flange velocity from one segment to the
        next (m/s^2): abrupt turns and speed changes make it large (the jerkiness felt).
    amplitude_m : RMS distance of the keyframe flange positions from their mean (m).
    horizontal_m, vertical_m : the same, split into the horizontal plane and z (m).
    height_m : time-weighted mean flange height above the robot's base (m).
    repetition : 0..1, how closely the keyframes repeat at the best lag (1 = exactly).
    tempo_cv : coefficient of variation of the segment durations (0 = a steady beat).
    duration_s : total duration of the 27 judged segments (s).
    """

    speed_m_s: np.ndarray
    accel_m_s2: np.ndarray
    amplitude_m: np.ndarray
    horizontal_m: np.ndarray
    vertical_m: np.ndarray
    height_m: np.ndarray
    repetition: np.ndarray
    tempo_cv: np.ndarray
    duration_s: np.ndarray

    def as_dict(self, index: int = 0) -> dict[str, float]:
        """The features of one row (``index``) as plain floats, for reports and JSON."""
        return {f.name: float(np.atleast_1d(getattr(self, f.name))[index]) for f in fields(self)}


def motion_features(keyframes_deg: np.ndarray, durations_s: np.ndarray) -> MotionFeatures:
    """Features of decoded choreographies.

    Parameters
    ----------
    keyframes_deg : array, (n, 28, 6) or (28, 6)
        Joint angles A1..A6 of each keyframe (deg).
    durations_s : array, (n, 28) or (28,)
        Duration of the segment that reaches each keyframe (s).

    Returns
    -------
    MotionFeatures
        Arrays of shape ``(n,)`` (``(1,)`` for a single choreography).
    """
    q, d = _batch(keyframes_deg, durations_s)
    p = np.asarray(forward_kinematics(q), dtype=np.float64)[..., :3]  # (n, 28, 3) m
    t = np.maximum(d[:, 1:], 1e-6)  # (n, 27) s
    step = np.diff(p, axis=1)  # (n, 27, 3)
    seg_len = np.linalg.norm(step, axis=-1)
    total_t = t.sum(axis=1)
    speed = seg_len.sum(axis=1) / total_t

    vel = step / t[..., None]  # (n, 27, 3) m/s
    t_mid = 0.5 * (t[:, 1:] + t[:, :-1])
    accel = np.linalg.norm(np.diff(vel, axis=1), axis=-1) / t_mid  # (n, 26)
    accel_mean = (accel * t_mid).sum(axis=1) / t_mid.sum(axis=1)

    dev = p - p.mean(axis=1, keepdims=True)
    horizontal = np.sqrt((dev[..., :2] ** 2).sum(axis=-1).mean(axis=1))
    vertical = np.sqrt((dev[..., 2] ** 2).mean(axis=1))
    amplitude = np.sqrt(horizontal**2 + vertical**2)

    z_mid = 0.5 * (p[:, 1:, 2] + p[:, :-1, 2])
    height = (z_mid * t).sum(axis=1) / total_t

    # Repetition: keyframes L apart are as close as the same keyframe, relative to the
    # distance of two unrelated keyframes (sqrt(2) x RMS spread); a little slack (1 cm)
    # keeps near-stillness from being all-or-nothing.
    spread = np.sqrt(2.0) * amplitude + 0.01
    rep = np.zeros(q.shape[0])
    for lag in REPETITION_LAGS:
        gap = np.linalg.norm(p[:, lag:] - p[:, :-lag], axis=-1).mean(axis=1)
        rep = np.maximum(rep, 1.0 - gap / spread)
    rep = np.clip(rep, 0.0, 1.0)

    tempo_cv = t.std(axis=1) / t.mean(axis=1)
    return MotionFeatures(
        speed_m_s=speed,
        accel_m_s2=accel_mean,
        amplitude_m=amplitude,
        horizontal_m=horizontal,
        vertical_m=vertical,
        height_m=height,
        repetition=rep,
        tempo_cv=tempo_cv,
        duration_s=total_t,
    )


#: Joint-space descriptors per axis, in column order for :func:`joint_descriptors`.
JOINT_DESCRIPTORS = ("mean_deg", "spread_deg", "log_speed_deg_s")


def joint_descriptors(keyframes_deg: np.ndarray, durations_s: np.ndarray) -> np.ndarray:
    """What each axis does over the judged segments: pose, swing and speed.

    The flange features of :func:`motion_features` cannot see what leaves the flange
    where it is (A6 turns the tool about its own axis) or how the arm holds itself
    to reach a point; these see every axis.

    Parameters
    ----------
    keyframes_deg : array, (n, 28, 6) or (28, 6)
        Joint angles A1..A6 of each keyframe (deg).
    durations_s : array, (n, 28) or (28,)
        Duration of the segment that reaches each keyframe (s).

    Returns
    -------
    array, (n, 18)
        Per axis A1..A6: the mean angle of keyframes 1..27 (deg), their RMS spread
        about it (deg), then the log of the time-weighted RMS axis speed (deg/s).
    """
    q, d = _batch(keyframes_deg, durations_s)
    judged = q[:, 1:]
    rms = axis_speed_rms(q, d)
    return np.hstack([judged.mean(axis=1), judged.std(axis=1), np.log(rms + 0.1)])


def axis_speed_rms(keyframes_deg: np.ndarray, durations_s: np.ndarray) -> np.ndarray:
    """Time-weighted RMS speed of each axis over the judged segments, ``(n, 6)`` deg/s
    (keyframes ``(n, 28, 6)`` deg or one ``(28, 6)``; durations ``(n, 28)`` s)."""
    q, d = _batch(keyframes_deg, durations_s)
    t = np.maximum(d[:, 1:], 1e-6)  # (n, 27) s
    speed = np.abs(np.diff(q, axis=1)) / t[..., None]  # (n, 27, 6) deg/s
    return np.asarray(np.sqrt((speed**2 * t[..., None]).sum(axis=1) / t.sum(axis=1)[:, None]))


def _batch(keyframes_deg: np.ndarray, durations_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Keyframes ``(n, 28, 6)`` and durations ``(n, 28)`` as float arrays, one made a batch."""
    q = np.asarray(keyframes_deg, dtype=np.float64)
    d = np.asarray(durations_s, dtype=np.float64)
    return (q[None], d[None]) if q.ndim == 2 else (q, d)
