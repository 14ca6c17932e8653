"""What every robot backend offers the bridge: trajectories in, poses and events out.

A backend performs one :class:`Trajectory` at a time: setpoints sampled every
``cycle_s`` seconds, already checked and time-parameterised by the planner. The only
planning it does is a smooth stop (``plan_stop``) from the state of its own running
motion, spliced in at a sample not yet performed so that the switch is continuous.
The bridge asks it, every state period, for a :class:`Snapshot` (pose now, whether a
trajectory finished, whether the robot was lost).
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

Kind = Literal["play", "home", "stop"]


@dataclass(frozen=True, eq=False)
class Trajectory:
    """Setpoints to perform, sampled at a fixed cycle.

    Attributes
    ----------
    q : ndarray (n, 6)
        Axis setpoints A1..A6 (deg); sample 0 is the pose the motion starts from.
    qd : ndarray (n, 6)
        Axis velocities (deg/s) at the same samples.
    cycle_s : float
        Sample spacing (s).
    kind : "play", "home" or "stop"
        What the motion is for.
    trial : int or None
        The trial id of a play (-1 for home).
    """

    q: NDArray[np.float64]
    qd: NDArray[np.float64]
    cycle_s: float
    kind: Kind
    trial: int | None = None

    @property
    def n(self) -> int:
        """Number of samples."""
        return int(self.q.shape[0])

    @property
    def duration(self) -> float:
        """Time from the first to the last sample (s)."""
        return (self.n - 1) * self.cycle_s

    @classmethod
    def from_plan(cls, plan: Any, kind: Kind, trial: int | None = None) -> Trajectory:
        """Wrap a planner ``Plan`` (``q`` deg, ``qd`` deg/s, sampled every ``cycle_s`` s)."""
        q = np.ascontiguousarray(plan.q, dtype=np.float64)
        qd = np.ascontiguousarray(plan.qd, dtype=np.float64)
        return cls(q=q, qd=qd, cycle_s=float(plan.cycle_s), kind=kind, trial=trial)

    def resampled(self, cycle_s: float) -> Trajectory:
        """The same motion sampled every ``cycle_s`` (linear interpolation; same end pose)."""
        if abs(cycle_s - self.cycle_s) < 1e-9:
            return self
        t_old = np.arange(self.n) * self.cycle_s
        n_new = int(np.floor(self.duration / cycle_s + 1e-9)) + 1
        t_new = np.arange(n_new) * cycle_s
        if t_new[-1] < self.duration - 1e-9:
            t_new = np.append(t_new, self.duration)  # keep the final pose exactly
        q = np.column_stack([np.interp(t_new, t_old, self.q[:, i]) for i in range(6)])
        qd = np.column_stack([np.interp(t_new, t_old, self.qd[:, i]) for i in range(6)])
        return Trajectory(q=q, qd=qd, cycle_s=cycle_s, kind=self.kind, trial=self.trial)


@dataclass
class Snapshot:
    """What a backend reports at one poll.

    Attributes
    ----------
    q : ndarray (6,)
        Actual axis positions (deg).
    moving : Trajectory or None
        The trajectory being performed.
    finished : list of (Trajectory, float)
        Trajectories that reached their last sample since the last poll, with the
        LSL time they did.
    fault : str or None
        Set once when the robot was lost (for RSI: the controller went silent).
    """

    q: NDArray[np.float64]
    moving: Trajectory | None
    finished: list[tuple[Trajectory, float]] = field(default_factory=list)
    fault: str | None = None


class Backend(ABC):
    """A robot that performs trajectories: the simulator or a KUKA controller over RSI."""

    #: Shown on every ``/choreo/state`` message ("sim", "rsi", "sim (fallback: ...)").
    name: str = "backend"

    def __init__(self) -> None:
        self._lock = threading.Lock()

    @abstractmethod
    def start(self) -> None:
        """Open sockets and threads."""

    @abstractmethod
    def close(self) -> None:
        """Stop threads and close sockets; the robot holds its pose."""

    @abstractmethod
    def not_ready(self) -> str | None:
        """Why no motion can start now (None when it can)."""

    @abstractmethod
    def commanded(self) -> NDArray[np.float64]:
        """The current setpoint (deg): where the next motion must start."""

    @abstractmethod
    def begin(self, traj: Trajectory, t: float) -> None:
        """Start performing ``traj`` from its first sample at LSL time ``t`` (replaces nothing:
        the bridge only begins when the robot is still)."""

    @abstractmethod
    def stop_smoothly(self) -> None:
        """Replace the rest of the running motion by a smooth stop (``plan_stop``) that
        starts at a sample not yet performed, continuous in position and velocity."""

    @abstractmethod
    def pose(self, now: float) -> NDArray[np.float64]:
        """Actual pose (deg) at LSL time ``now``, without consuming events."""

    @abstractmethod
    def poll(self, now: float) -> Snapshot:
        """Pose at LSL time ``now``, trajectories finished and faults since the last poll."""

    def counters(self) -> dict[str, int]:
        """Backend-specific counters for the status reply."""
        return {}
