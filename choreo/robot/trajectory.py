"""Time-parameterised trajectories: keyframes -> joint samples at the controller cycle.

The choice: every segment is a **rest-to-rest**, jerk-limited motion along the
**straight line** between two keyframes in joint space, so the robot stops at every
keyframe and all axes move together.

* Each segment is planned by ruckig (offline ``calculate``) as a one-dimensional
  motion of a path parameter s from 0 to 1, with q(t) = q_start + s(t) (q_end - q_start).
  The limits of s are the tightest of the axes' scaled limits divided by each axis's
  distance, so every axis stays under its scaled speed, acceleration and jerk. (ruckig's
  own phase synchronisation falls back to time synchronisation, with curved paths,
  whenever the slowest axis's profile would violate another axis's acceleration.)
* Rest-to-rest is the simplest motion that is provably inside the limits, and a straight
  line between two poses of the envelope stays in the envelope (a box), which is what
  the art-safe envelope is chosen for (see ``choreo/configs/robot/kr6r900sixx.toml``).
* A segment lasts ``max(requested, fastest safe)`` rounded up to whole controller
  cycles (ruckig's discrete duration), so every keyframe is reached exactly on a sample.
  Whether a segment may be slowed down ("stretched") is the configuration's ``stretch``
  policy, enforced by :mod:`choreo.robot.safety`; the plan reports which were.
* Sampling: ruckig's per-sample ``at_time`` costs about a microsecond per call in
  Python, too slow for tens of thousands of samples. The planner reads the profiles
  (phase durations, jerk, and position, velocity and acceleration at each phase start)
  and evaluates the cubic polynomials for all samples at once in numpy (tested against
  ``at_time``; ``bench/bench_plan.py`` compares the two).
* A stop (:func:`plan_stop`) is a 6-axis, time-synchronised ruckig motion to zero
  velocity, evaluated the same way.

Positions in deg, velocities in deg/s, accelerations in deg/s^2, times in s from the
plan's start.

A plan's arrays are a few MB; a process that plans on the clock should keep freed
memory for reuse (:func:`choreo.runtime.keep_freed_memory`, about halves the CPU time
of a check), which every entry point asks for (:func:`choreo.runtime.configure_process`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate, chain

import numpy as np
from numpy.typing import ArrayLike, NDArray
from ruckig import (
    ControlInterface,
    DurationDiscretization,
    InputParameter,
    Result,
    Ruckig,
    Synchronization,
    Trajectory,
)

from choreo.errors import ChoreoError
from choreo.robot.codec import decode
from choreo.robot.config import RobotConfig
from choreo.robot.kr6 import HOME_DEG, MAX_ACCEL_DEG_S2

_N_AXES = 6
#: Results of ruckig's offline calculation that mean "a trajectory was found".
_OK = (Result.Working, Result.Finished)


class PlanningError(ChoreoError):
    """ruckig found no trajectory (invalid input, e.g. a non-finite pose)."""


@dataclass(frozen=True)
class Plan:
    """A trajectory sampled at the controller cycle.

    Attributes
    ----------
    t : ndarray, shape (n,)
        Sample times, s, from 0 (the start pose) to ``duration`` every ``cycle_s``.
    q, qd, qdd : ndarray, shape (n, 6)
        Joint position (deg), velocity (deg/s) and acceleration (deg/s^2) A1..A6.
    keyframe_times : ndarray, shape (k,)
        Time at which each segment's target is reached, s (sample index
        ``round(time / cycle_s)``).
    segment_durations : ndarray, shape (k,)
        Planned duration of each segment, s (whole cycles).
    requested_durations : ndarray, shape (k,)
        Requested duration of each segment, s (0 where none was requested).
    cycle_s : float
        Sample period, s.
    """

    t: NDArray[np.float64]
    q: NDArray[np.float64]
    qd: NDArray[np.float64]
    qdd: NDArray[np.float64]
    keyframe_times: NDArray[np.float64]
    segment_durations: NDArray[np.float64]
    requested_durations: NDArray[np.float64]
    cycle_s: float

    @property
    def duration(self) -> float:
        """Total duration, s."""
        return float(self.t[-1])

    @property
    def stretched(self) -> NDArray[np.bool_]:
        """Segments that take longer than requested (rounded up to whole cycles).

        A request of 0 means "as fast as allowed" and is never stretched.
        """
        wanted = np.ceil(self.requested_durations / self.cycle_s - 1e-9)
        longer = np.rint(self.segment_durations / self.cycle_s) > wanted
        return longer & (self.requested_durations > 0.0)

    @property
    def keyframe_indices(self) -> NDArray[np.int64]:
        """Sample index at which each segment's target is reached."""
        return np.rint(self.keyframe_times / self.cycle_s).astype(np.int64)


class _PhaseTable:
    """Per degree of freedom, the piecewise-cubic phases of consecutive ruckig trajectories.

    Each phase starts at an absolute time with position p, velocity v, acceleration a
    and constant jerk j. A hold phase (j = 0) closes every trajectory, so a sample
    after an axis has arrived stays at its final state.
    """

    def __init__(self, n_dof: int) -> None:
        self.n_dof = n_dof
        self.start: list[list[float]] = [[] for _ in range(n_dof)]
        self.p: list[list[float]] = [[] for _ in range(n_dof)]
        self.v: list[list[float]] = [[] for _ in range(n_dof)]
        self.a: list[list[float]] = [[] for _ in range(n_dof)]
        self.j: list[list[float]] = [[] for _ in range(n_dof)]

    def add(self, trajectory: Trajectory, t0: float) -> None:
        """Append the phases of ``trajectory`` starting at absolute time ``t0``, s."""
        for k, prof in enumerate(trajectory.profiles[0]):
            start, ps, vs, as_, js = self.start[k], self.p[k], self.v[k], self.a[k], self.j[k]
            brake = prof.brake
            tb = brake.duration
            if tb > 0.0:  # only when the start state exceeds the limits (e.g. a stop)
                bt = brake.t
                start.extend((t0, t0 + bt[0]))
                ps.extend(brake.p)
                vs.extend(brake.v)
                as_.extend(brake.a)
                js.extend(brake.j)
            start.extend(accumulate(prof.t, initial=t0 + tb))
            ps.extend(prof.p)
            vs.extend(prof.v)
            as_.extend(prof.a)
            js.extend(prof.j)
            js.append(0.0)

    def sample(
        self, t: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
        """Position, velocity and acceleration at times ``t``, each (n_dof, n)."""
        n = t.shape[0]
        # Which phase each sample falls in: the phases are sorted and the samples
        # uniform, so count the samples per phase and repeat the phase's coefficients
        # (much cheaper than a search per sample). All axes at once, axis-major.
        counts = []
        for k in range(self.n_dof):
            first = np.searchsorted(t, self.start[k], side="left")
            first[0] = 0  # samples before the first phase (none) belong to it
            # Float rounding can put a segment's last phase a hair after the next
            # segment's start: keep the sample ranges ordered.
            np.maximum.accumulate(first, out=first)
            counts.append(np.diff(first, append=n))
        reps = np.concatenate(counts)
        flat = np.array(
            [list(chain.from_iterable(c)) for c in (self.start, self.p, self.v, self.a, self.j)]
        )
        start, p, v, a, j = np.repeat(flat, reps, axis=1).reshape(5, self.n_dof, n)
        tau = t - start
        q = p + tau * (v + tau * (a * 0.5 + tau * (j * (1.0 / 6.0))))
        qd = v + tau * (a + tau * (j * 0.5))
        qdd = a + tau * j
        return q, qd, qdd


def _new_input(
    cfg: RobotConfig, accel: ArrayLike | None = None, jerk: ArrayLike | None = None
) -> InputParameter:
    inp = InputParameter(_N_AXES)
    inp.max_velocity = cfg.max_speed.tolist()
    inp.max_acceleration = np.asarray(cfg.max_accel if accel is None else accel).tolist()
    inp.max_jerk = np.asarray(cfg.max_jerk if jerk is None else jerk).tolist()
    inp.duration_discretization = DurationDiscretization.Discrete
    inp.synchronization = Synchronization.Time
    return inp


def _check_finite(what: str, values: NDArray[np.float64]) -> None:
    if not np.all(np.isfinite(values)):
        raise PlanningError(f"{what} must be finite numbers, got {values.tolist()}")


def plan_path(
    waypoints_deg: ArrayLike,
    requested_s: Sequence[float] | NDArray[np.float64],
    cfg: RobotConfig,
) -> Plan:
    """Plan rest-to-rest segments through ``waypoints_deg`` and sample them.

    Parameters
    ----------
    waypoints_deg : array_like, shape (k + 1, 6)
        The start pose, then the target of each of the k segments, deg.
    requested_s : array_like, shape (k,)
        Requested duration of each segment, s; a segment lasts at least this long,
        longer when the scaled limits need it (see :attr:`Plan.stretched`).
    cfg : RobotConfig
        Limits, scales and controller cycle.

    Raises
    ------
    PlanningError
        When ruckig rejects the input (non-finite values).
    """
    wp = np.asarray(waypoints_deg, dtype=np.float64)
    req = np.asarray(requested_s, dtype=np.float64)
    if wp.ndim != 2 or wp.shape[1] != _N_AXES or wp.shape[0] != req.shape[0] + 1:
        raise PlanningError(
            f"need (k + 1, 6) waypoints for k durations, got {wp.shape} and {req.shape}"
        )
    _check_finite("waypoints", wp)
    _check_finite("durations", req)
    n_seg = req.shape[0]
    if n_seg == 0:
        raise PlanningError("need at least one segment")
    dt = cfg.cycle_s
    delta = np.diff(wp, axis=0)
    limits = path_limits(delta, cfg)
    otg = Ruckig(1, dt)
    inp = InputParameter(1)
    inp.duration_discretization = DurationDiscretization.Discrete
    traj = Trajectory(1)
    table = _PhaseTable(1)
    cycles = np.empty(n_seg, dtype=np.int64)
    done = 0
    for i, (v, a, j) in enumerate(limits.tolist()):
        # The path parameter runs from i to i + 1 over segment i, so that the
        # segment of any sample follows from its value (see below).
        inp.current_position = [float(i)]
        inp.target_position = [float(i + 1)]
        inp.max_velocity = [v]
        inp.max_acceleration = [a]
        inp.max_jerk = [j]
        inp.minimum_duration = float(req[i])
        result = otg.calculate(inp, traj)
        if result not in _OK:
            raise PlanningError(f"segment {i + 1}: ruckig found no trajectory ({result.name})")
        table.add(traj, done * dt)
        cycles[i] = round(traj.duration / dt)
        done += int(cycles[i])
    t = np.arange(done + 1, dtype=np.float64) * dt
    sigma, sigma_d, sigma_dd = (x[0] for x in table.sample(t))
    # Segment of each sample, from the sample ranges; at a boundary sample both
    # neighbouring segments give the same pose and zero speed, so sigma - seg is
    # within rounding of 0 or 1 there and the pose is exact either way.
    counts = cycles.copy()
    counts[-1] += 1  # the final sample
    seg = np.repeat(np.arange(n_seg, dtype=np.float64), counts)
    # Axis-major (6, n) C-ordered arrays: repeat keeps that order (fancy indexing not).
    d = np.repeat(np.ascontiguousarray(delta.T), counts, axis=1)
    q = np.repeat(np.ascontiguousarray(wp[:-1].T), counts, axis=1)
    q += d * (sigma - seg)
    return Plan(
        t=t,
        # (6, n) C-ordered transposes to (n, 6) column-major: each axis stays contiguous
        # for the per-axis checks and the forward kinematics.
        q=q.T,
        qd=(d * sigma_d).T,
        qdd=(d * sigma_dd).T,
        keyframe_times=np.cumsum(cycles).astype(np.float64) * dt,
        segment_durations=cycles.astype(np.float64) * dt,
        requested_durations=req,
        cycle_s=dt,
    )


#: Ceiling of the path parameter's limits (per s, s^2, s^3): keeps ruckig's numbers
#: sane for segments that barely move (lower limits are only ever safer).
_PATH_LIMIT_CAP = 1e6


def path_limits(delta: NDArray[np.float64], cfg: RobotConfig) -> NDArray[np.float64]:
    """Speed, acceleration and jerk limits of the path parameter per segment, (k, 3).

    Axis i moves ``delta[:, i]`` as the parameter goes through one unit, so the
    parameter's limit is the smallest ratio of axis limit to axis distance.
    """
    dist = np.abs(delta)
    per_axis = np.stack([cfg.max_speed, cfg.max_accel, cfg.max_jerk])  # (3, 6)
    with np.errstate(divide="ignore"):
        ratio = per_axis[None, :, :] / dist[:, None, :]  # (k, 3, 6); inf where still
    return np.minimum(ratio.min(axis=2), _PATH_LIMIT_CAP)


def plan_choreography(vector: object, cfg: RobotConfig, start_deg: ArrayLike = HOME_DEG) -> Plan:
    """Plan a 196-byte choreography from ``start_deg`` through its 28 keyframes.

    The vector is validated and decoded (:func:`choreo.robot.codec.decode`); segments
    shorter than the limits allow are stretched here, and judged against the
    configuration's ``stretch`` policy by :func:`choreo.robot.safety.check_choreography`,
    which is what the bridge calls.
    """
    c = decode(vector, cfg)
    start = np.asarray(start_deg, dtype=np.float64).reshape(1, _N_AXES)
    return plan_path(np.vstack([start, c.keyframes_deg]), c.durations_s, cfg)


def plan_move(
    q_from: ArrayLike, q_to: ArrayLike, cfg: RobotConfig, duration_s: float = 0.0
) -> Plan:
    """A single rest-to-rest move (e.g. to HOME), as fast as the scaled limits allow.

    Parameters
    ----------
    q_from, q_to : array_like, shape (6,)
        Start and target pose, deg.
    duration_s : float
        Minimum duration, s (0: time-optimal).
    """
    wp = np.vstack([np.asarray(q_from, dtype=np.float64), np.asarray(q_to, dtype=np.float64)])
    return plan_path(wp, [duration_s], cfg)


def plan_stop(
    q_deg: ArrayLike, qd_deg_s: ArrayLike, cfg: RobotConfig, qdd_deg_s2: ArrayLike | None = None
) -> Plan:
    """Bring the arm smoothly to rest from a moving state (stop, lost heartbeat).

    Every axis decelerates to zero velocity and acceleration under the scaled
    acceleration and jerk limits, all axes arriving together. If that stop would
    carry an axis beyond the software limits minus the margin, it is planned again
    with the robot's full acceleration (jerk raised in proportion): the shortest
    smooth stop. A state beyond the limits (e.g. a velocity over the scaled maximum)
    is first braked by ruckig's brake phase.

    Parameters
    ----------
    q_deg : array_like, shape (6,)
        Current position, deg.
    qd_deg_s : array_like, shape (6,)
        Current velocity, deg/s.
    qdd_deg_s2 : array_like, shape (6,), optional
        Current acceleration, deg/s^2 (default 0).
    """
    q = np.asarray(q_deg, dtype=np.float64)
    qd = np.asarray(qd_deg_s, dtype=np.float64)
    qdd = np.zeros(_N_AXES) if qdd_deg_s2 is None else np.asarray(qdd_deg_s2, dtype=np.float64)
    for name, arr in (("position", q), ("velocity", qd), ("acceleration", qdd)):
        if arr.shape != (_N_AXES,):
            raise PlanningError(f"stop: {name} needs 6 values, got shape {arr.shape}")
        _check_finite(f"stop: {name}", arr)
    gentle = _stop_once(q, qd, qdd, cfg, None, None)
    lim = cfg.position_limits
    if np.all(gentle.q >= lim[:, 0]) and np.all(gentle.q <= lim[:, 1]):
        return gentle
    factor = 1.0 / cfg.accel_scale
    return _stop_once(q, qd, qdd, cfg, MAX_ACCEL_DEG_S2, cfg.max_jerk * factor)


def _stop_once(
    q: NDArray[np.float64],
    qd: NDArray[np.float64],
    qdd: NDArray[np.float64],
    cfg: RobotConfig,
    accel: ArrayLike | None,
    jerk: ArrayLike | None,
) -> Plan:
    dt = cfg.cycle_s
    otg = Ruckig(_N_AXES, dt)
    inp = _new_input(cfg, accel, jerk)
    inp.control_interface = ControlInterface.Velocity
    inp.current_position = q.tolist()
    inp.current_velocity = qd.tolist()
    inp.current_acceleration = qdd.tolist()
    inp.target_velocity = [0.0] * _N_AXES
    inp.target_acceleration = [0.0] * _N_AXES
    traj = Trajectory(_N_AXES)
    result = otg.calculate(inp, traj)
    if result not in _OK:
        raise PlanningError(f"stop: ruckig found no trajectory ({result.name})")
    table = _PhaseTable(_N_AXES)
    table.add(traj, 0.0)
    n = round(traj.duration / dt)
    t = np.arange(n + 1, dtype=np.float64) * dt
    q, qd, qdd = table.sample(t)
    return Plan(
        t=t,
        q=q.T,
        qd=qd.T,
        qdd=qdd.T,
        keyframe_times=np.array([n * dt]),
        segment_durations=np.array([n * dt]),
        requested_durations=np.zeros(1),
        cycle_s=dt,
    )
