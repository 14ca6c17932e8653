"""Layered safety checks of a choreography; the bridge is the authority.

:func:`check_choreography` runs the layers in order and stops at the first failure,
whose reason names the layer, the keyframe or sample time, the axis and the limit:

1. ``message``: 196 integers in 0..255 (:func:`choreo.robot.codec.as_vector`).
2. ``targets``: the start pose inside the software limits minus the margin; every
   keyframe inside the envelope and inside the software limits minus the margin.
3. ``timing``: the planner may stretch a segment that is too short for the scaled
   limits only when the configuration says ``stretch = "allow"``.
4. ``trajectory``: every sample inside the software limits minus the margin, speed
   and acceleration under the robot's maxima times ``speed_scale`` / ``accel_scale``
   (the sampled values, and the speed implied by consecutive positions, which is what
   the controller receives), and every keyframe reached.
5. ``workspace``: forward kinematics of every sample keeps the flange above
   ``floor_z_m`` and inside ``workspace_m``.

A choreography is never altered beyond what the configuration allows: it is planned
as given (stretched only if allowed), or rejected with the reason.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from choreo.errors import ChoreoError, InputError
from choreo.robot.codec import Choreography, as_vector, decode
from choreo.robot.config import RobotConfig
from choreo.robot.kr6 import (
    AXES,
    HOME_DEG,
    MAX_ACCEL_DEG_S2,
    MAX_SPEED_DEG_S,
    forward_kinematics,
)
from choreo.robot.trajectory import (
    Plan,
    PlanningError,
    plan_move,
    plan_path,
    plan_stop,
)

__all__ = [
    "LAYERS",
    "UnsafeChoreography",
    "Verdict",
    "check_choreography",
    "check_plan",
    "check_targets",
    "plan_move",
    "plan_stop",
]

#: The layers, in the order they run.
LAYERS = ("message", "targets", "timing", "trajectory", "workspace")

#: Relative tolerance on speed and acceleration (ruckig's profiles meet the limits to
#: float rounding; this only absorbs that).
_REL_TOL = 1e-6
#: Absolute tolerance on joint positions, deg.
_POS_TOL_DEG = 1e-9
#: The workspace check uses float32 forward kinematics (error < 1e-5 m); it demands
#: this much clearance so that the rounding can only make it stricter, m.
_FK_TOL_M = 2e-5
#: How close a planned keyframe must come to its target, deg.
_REACH_TOL_DEG = 1e-6


class UnsafeChoreography(ChoreoError):
    """A choreography that cannot be performed safely under the configuration.

    Attributes
    ----------
    reason : str
        The first failed check, naming the layer, place and limit.
    layer : str
        One of :data:`LAYERS`.
    """

    def __init__(self, reason: str, layer: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.layer = layer


@dataclass(frozen=True)
class Verdict:
    """The outcome of :func:`check_choreography`.

    Attributes
    ----------
    ok : bool
        True when every layer passed.
    reason : str
        Empty when ``ok``; else the first failed check (``"<layer>: ..."``).
    plan : Plan or None
        The checked trajectory when ``ok`` (also present when only the workspace or
        trajectory layer failed, for rendering what went wrong); None otherwise.
    layer : str
        The failed layer, empty when ``ok``.
    """

    ok: bool
    reason: str
    plan: Plan | None
    layer: str = ""

    def raise_if_unsafe(self) -> Plan:
        """Return the plan, or raise :class:`UnsafeChoreography` with the reason."""
        if not self.ok or self.plan is None:
            raise UnsafeChoreography(self.reason or "no plan", self.layer)
        return self.plan


def _reject(layer: str, reason: str, plan: Plan | None = None) -> Verdict:
    return Verdict(ok=False, reason=f"{layer}: {reason}", plan=plan, layer=layer)


def _first_outside(
    values: NDArray[np.floating], lo: NDArray[np.float64], hi: NDArray[np.float64]
) -> tuple[int, int] | None:
    """First (row, column) of ``values`` (n, m) outside [``lo``, ``hi``] (m,) or NaN, or None."""
    # Cheap per-column extremes first; locate the offender only on failure.
    if np.all(values.min(axis=0) >= lo) and np.all(values.max(axis=0) <= hi):
        return None
    bad = np.argwhere(~((values >= lo) & (values <= hi)))  # NaN counts as outside
    return int(bad[0, 0]), int(bad[0, 1])


def _outside(values: NDArray[np.float64], limits: NDArray[np.float64]) -> tuple[int, int] | None:
    """First (row, axis) of ``values`` (n, 6) outside ``limits`` (6, 2) or NaN, or None."""
    return _first_outside(values, limits[:, 0] - _POS_TOL_DEG, limits[:, 1] + _POS_TOL_DEG)


def check_targets(
    choreography: Choreography, cfg: RobotConfig, start_deg: ArrayLike = HOME_DEG
) -> str:
    """Check the start pose and every keyframe target; return the reason or ``""``."""
    start = np.asarray(start_deg, dtype=np.float64)
    lim = cfg.position_limits
    margin = f"software limits minus the {cfg.margin_deg:g} deg margin"
    if start.shape != (6,) or not np.all(np.isfinite(start)):
        return f"start pose must be 6 finite angles, got {start.tolist()}"
    hit = _outside(start[None, :], lim)
    if hit is not None:
        i = hit[1]
        return (
            f"start pose {AXES[i]} = {start[i]:.3f} deg is outside the {margin}"
            f" [{lim[i, 0]:g}, {lim[i, 1]:g}]"
        )
    kf = choreography.keyframes_deg
    for limits, what in ((cfg.envelope, "envelope"), (lim, margin)):
        hit = _outside(kf, limits)
        if hit is not None:
            k, i = hit
            return (
                f"keyframe {k + 1}: {AXES[i]} = {kf[k, i]:.3f} deg is outside the {what}"
                f" [{limits[i, 0]:g}, {limits[i, 1]:g}]"
            )
    return ""


def _check_dynamics(plan: Plan, cfg: RobotConfig) -> str:
    lim = cfg.position_limits
    hit = _outside(plan.q, lim)
    if hit is not None:
        n, i = hit
        return (
            f"{AXES[i]} = {plan.q[n, i]:.3f} deg at {plan.t[n]:.3f} s is outside the software"
            f" limits minus the {cfg.margin_deg:g} deg margin [{lim[i, 0]:g}, {lim[i, 1]:g}]"
        )
    checks = (
        ("speed", plan.qd, cfg.max_speed, MAX_SPEED_DEG_S, "speed_scale", cfg.speed_scale,
         "deg/s"),
        ("acceleration", plan.qdd, cfg.max_accel, MAX_ACCEL_DEG_S2, "accel_scale",
         cfg.accel_scale, "deg/s^2"),
    )  # fmt: skip
    for name, values, limit, full, key, scale, unit in checks:
        bound = limit * (1.0 + _REL_TOL)
        hit = _outside(values, np.column_stack([-bound, bound]))
        if hit is not None:
            n, i = hit
            return (
                f"{AXES[i]} {name} {abs(values[n, i]):.3f} {unit} at {plan.t[n]:.3f} s exceeds"
                f" {limit[i]:g} {unit} ({full[i]:g} x {key} {scale:g})"
            )
    # What the controller receives are positions every cycle: their differences too.
    if plan.q.shape[0] > 1:
        step = np.diff(plan.q, axis=0)
        bound = cfg.max_speed * plan.cycle_s * (1.0 + _REL_TOL)
        hit = _outside(step, np.column_stack([-bound, bound]))
        if hit is not None:
            n, i = hit
            return (
                f"{AXES[i]} moves {abs(step[n, i]):.4f} deg in the cycle after {plan.t[n]:.3f} s,"
                f" faster than {cfg.max_speed[i]:g} deg/s"
            )
    return ""


def _check_workspace(plan: Plan, cfg: RobotConfig) -> str:
    flange = forward_kinematics(plan.q, np.float32)
    box = cfg.workspace
    lo = box[:, 0] + _FK_TOL_M
    hi = box[:, 1] - _FK_TOL_M
    lo[2] = max(lo[2], cfg.floor_z_m + _FK_TOL_M)
    hit = _first_outside(flange, lo, hi)
    if hit is None:
        return ""
    n, c = hit
    value = float(flange[n, c])
    where = f"flange at {plan.t[n]:.3f} s (pose {np.round(plan.q[n], 1).tolist()} deg)"
    if c == 2 and value < cfg.floor_z_m + _FK_TOL_M and cfg.floor_z_m >= box[2, 0]:
        return f"{where} is {value:.3f} m high, below the floor (floor_z_m = {cfg.floor_z_m:g})"
    coord = "xyz"[c]
    return (
        f"{where} has {coord} = {value:.3f} m, outside workspace_m.{coord}"
        f" [{box[c, 0]:g}, {box[c, 1]:g}]"
    )


def check_plan(plan: Plan, cfg: RobotConfig) -> str:
    """Check every sample of a plan (limits, speed, acceleration, workspace).

    Returns
    -------
    str
        ``""`` when safe, else ``"trajectory: ..."`` or ``"workspace: ..."``.
    """
    reason = _check_dynamics(plan, cfg)
    if reason:
        return f"trajectory: {reason}"
    reason = _check_workspace(plan, cfg)
    return f"workspace: {reason}" if reason else ""


def check_choreography(
    vector: object, cfg: RobotConfig, start_deg: ArrayLike = HOME_DEG
) -> Verdict:
    """Run every layer on a choreography vector and plan it.

    Parameters
    ----------
    vector : array_like
        The 196 values as received (validated here).
    cfg : RobotConfig
        Envelope, limits, scales, stretch policy, floor and workspace.
    start_deg : array_like, shape (6,)
        The pose the robot is in (at rest), deg; HOME by default.

    Returns
    -------
    Verdict
        ``ok`` with the plan, or the first failed layer and its reason. Never raises
        for a bad vector or an unsafe choreography.
    """
    try:
        v = as_vector(vector)
    except InputError as exc:
        return _reject("message", str(exc))
    choreography = decode(v, cfg)
    reason = check_targets(choreography, cfg, start_deg)
    if reason:
        return _reject("targets", reason)
    start = np.asarray(start_deg, dtype=np.float64).reshape(1, 6)
    waypoints = np.vstack([start, choreography.keyframes_deg])
    try:
        plan = plan_path(waypoints, choreography.durations_s, cfg)
    except PlanningError as exc:
        return _reject("timing", str(exc))
    stretched = plan.stretched
    if cfg.stretch == "reject" and stretched.any():
        k = int(np.flatnonzero(stretched)[0])
        return _reject(
            "timing",
            f"segment {k + 1} (to keyframe {k + 1}): requested {plan.requested_durations[k]:.3f} s"
            f" but the scaled limits need {plan.segment_durations[k]:.3f} s"
            f" ({int(stretched.sum())} segments too short; stretch = 'reject')",
        )
    reached = plan.q[plan.keyframe_indices]
    if not np.allclose(reached, choreography.keyframes_deg, rtol=0.0, atol=_REACH_TOL_DEG):
        k = int(np.argmax(np.abs(reached - choreography.keyframes_deg).max(axis=1)))
        return _reject("trajectory", f"keyframe {k + 1} is not reached by the plan", plan)
    reason = check_plan(plan, cfg)
    if reason:
        layer, _, detail = reason.partition(": ")
        return _reject(layer, detail, plan)
    return Verdict(ok=True, reason="", plan=plan)
