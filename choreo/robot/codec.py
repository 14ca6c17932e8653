"""The 196-byte choreography: 28 keyframes of 7 bytes, both ways.

Byte layout of keyframe k (bytes ``7k .. 7k+6``): bytes 0..5 place axes A1..A6
linearly inside the configured envelope (0 = low end, 255 = high end); byte 6 sets
the requested duration of the segment that ends at this keyframe, linearly between
``segment_duration_s.min`` (0) and ``.max`` (255). Segment 1 starts at the robot's
current pose (HOME by default).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from choreo.errors import InputError
from choreo.robot.config import RobotConfig
from choreo.robot.kr6 import AXES

VECTOR_LEN = 196
N_KEYFRAMES = 28
BYTES_PER_KEYFRAME = 7
_MAX_BYTE = 255


@dataclass(frozen=True)
class Choreography:
    """A decoded choreography.

    Attributes
    ----------
    keyframes_deg : ndarray, shape (28, 6)
        Target pose of each keyframe, A1..A6, deg.
    durations_s : ndarray, shape (28,)
        Requested duration of the segment ending at each keyframe, s.
    """

    keyframes_deg: NDArray[np.float64]
    durations_s: NDArray[np.float64]


def as_vector(obj: Any, where: str = "choreography vector") -> NDArray[np.uint8]:
    """Validate a choreography vector: 196 integers in 0..255.

    Parameters
    ----------
    obj : array_like
        A sequence or array of 196 integers (floats with integral values are
        accepted; bool, strings, NaN and fractions are not).
    where : str
        Names the vector's origin in error messages (a file, an OSC address).

    Returns
    -------
    ndarray of uint8, shape (196,)

    Raises
    ------
    InputError
        Naming the problem and the first offending index.
    """
    if isinstance(obj, (bytes, bytearray, memoryview)):
        arr = np.frombuffer(bytes(obj), dtype=np.uint8)
    else:
        try:
            arr = np.asarray(obj)
        except (ValueError, TypeError) as exc:
            raise InputError(f"{where}: not an array of integers ({exc})") from None
    if arr.ndim != 1:
        raise InputError(
            f"{where}: expected a flat sequence of {VECTOR_LEN} values, got shape {arr.shape}"
        )
    if arr.shape[0] != VECTOR_LEN:
        raise InputError(f"{where}: expected {VECTOR_LEN} values, got {arr.shape[0]}")
    if arr.dtype == np.uint8:
        return arr.copy()
    if arr.dtype.kind == "O":
        for i, v in enumerate(arr):
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)):
                raise InputError(f"{where}: value {v!r} at index {i} is not a number")
        arr = arr.astype(np.float64)
    if arr.dtype.kind == "b" or arr.dtype.kind not in "iuf":
        raise InputError(f"{where}: values must be integers, got dtype {arr.dtype}")
    if arr.dtype.kind == "f":
        bad = np.flatnonzero(~np.isfinite(arr) | (arr != np.round(arr)))
        if bad.size:
            i = int(bad[0])
            raise InputError(f"{where}: value {float(arr[i])!r} at index {i} is not an integer")
    bad = np.flatnonzero((arr < 0) | (arr > _MAX_BYTE))
    if bad.size:
        i = int(bad[0])
        raise InputError(f"{where}: value {arr[i]} at index {i} is outside 0..{_MAX_BYTE}")
    return arr.astype(np.uint8)


def decode_many(
    vectors: NDArray[np.uint8], cfg: RobotConfig
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Decode a batch of already validated vectors ``uint8 (n, 196)`` at once.

    Returns
    -------
    keyframes_deg : ndarray, shape (n, 28, 6)
        Target poses A1..A6, deg.
    durations_s : ndarray, shape (n, 28)
        Requested segment durations, s.
    """
    v = np.asarray(vectors, dtype=np.float64).reshape(-1, N_KEYFRAMES, BYTES_PER_KEYFRAME)
    env = cfg.envelope
    keyframes = env[:, 0] + (v[..., :6] / _MAX_BYTE) * (env[:, 1] - env[:, 0])
    d = cfg.segment_duration_s
    durations = d.min + (v[..., 6] / _MAX_BYTE) * (d.max - d.min)
    return keyframes, durations


def decode(vector: Any, cfg: RobotConfig) -> Choreography:
    """Turn 196 bytes into keyframes (deg) and segment durations (s).

    ``vector`` is validated by :func:`as_vector` first.
    """
    keyframes, durations = decode_many(as_vector(vector)[None], cfg)
    return Choreography(keyframes_deg=keyframes[0], durations_s=durations[0])


def encode_many(
    keyframes_deg: NDArray[np.float64], durations_s: NDArray[np.float64], cfg: RobotConfig
) -> NDArray[np.uint8]:
    """Quantise a batch of choreographies, keyframes ``(n, 28, 6)`` deg and durations
    ``(n, 28)`` s, to the nearest bytes ``uint8 (n, 196)``.

    Raises
    ------
    InputError
        When a keyframe lies outside the envelope or a duration outside the
        configured range (beyond float rounding), naming choreography, keyframe and axis.
    """
    kf = np.asarray(keyframes_deg, dtype=np.float64)
    du = np.asarray(durations_s, dtype=np.float64)
    if kf.ndim != 3 or kf.shape[1:] != (N_KEYFRAMES, 6) or du.shape != kf.shape[:2]:
        raise InputError(
            f"choreography: expected keyframes (n, {N_KEYFRAMES}, 6) and durations "
            f"(n, {N_KEYFRAMES}), got {kf.shape} and {du.shape}"
        )
    env = cfg.envelope
    d = cfg.segment_duration_s
    lo = np.append(env[:, 0], d.min)
    hi = np.append(env[:, 1], d.max)
    values = np.concatenate([kf, du[..., None]], axis=2)
    frac = (values - lo) / (hi - lo)
    tol = 1e-9
    bad = np.argwhere(~np.isfinite(frac) | (frac < -tol) | (frac > 1.0 + tol))
    if bad.size:
        n, k, i = (int(x) for x in bad[0])
        name = (
            f"{AXES[i]} = {values[n, k, i]:g} deg" if i < 6 else f"duration {values[n, k, i]:g} s"
        )
        which = f"choreography {n + 1}: " if len(kf) > 1 else "choreography: "
        raise InputError(f"{which}keyframe {k + 1}: {name} is outside [{lo[i]:g}, {hi[i]:g}]")
    out = np.rint(np.clip(frac, 0.0, 1.0) * _MAX_BYTE).astype(np.uint8)
    return out.reshape(len(kf), VECTOR_LEN)


def encode(choreography: Choreography, cfg: RobotConfig) -> NDArray[np.uint8]:
    """Quantise a choreography to the nearest 196 bytes.

    Raises
    ------
    InputError
        When a keyframe lies outside the envelope or a duration outside the
        configured range (beyond float rounding), naming keyframe and axis.
    """
    kf = np.asarray(choreography.keyframes_deg, dtype=np.float64)
    du = np.asarray(choreography.durations_s, dtype=np.float64)
    if kf.shape != (N_KEYFRAMES, 6) or du.shape != (N_KEYFRAMES,):
        raise InputError(
            f"choreography: expected keyframes ({N_KEYFRAMES}, 6) and durations ({N_KEYFRAMES},),"
            f" got {kf.shape} and {du.shape}"
        )
    return encode_many(kf[None], du[None], cfg)[0]


def random_vector(seed: int | None = None) -> NDArray[np.uint8]:
    """A uniformly random choreography vector (for demos and tests)."""
    return np.random.default_rng(seed).integers(0, _MAX_BYTE + 1, VECTOR_LEN, dtype=np.uint8)
