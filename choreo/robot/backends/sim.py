"""The simulator backend: performs trajectories on an ideal robot, in real time or faster.

The simulated arm follows its setpoints exactly. Its pose is a pure function of
time: at LSL time ``now`` it is the trajectory interpolated at plan time
``(now - begin) * speed``, so every ``/choreo/state`` carries the pose the arm has at
that message's time stamp, however the bridge's threads are scheduled.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from choreo.robot.backends.base import Backend, Snapshot, Trajectory

#: Wall-clock time ahead of now at which a stop is spliced in (s).
SPLICE_AHEAD_S = 0.03


def sample_at(traj: Trajectory, index: float) -> NDArray[np.float64]:
    """Setpoint at a fractional sample index (linear between samples, clamped to the ends)."""
    if index <= 0:
        return traj.q[0].copy()
    last = traj.n - 1
    if index >= last:
        return traj.q[last].copy()
    i = int(index)
    frac = index - i
    return traj.q[i] + frac * (traj.q[i + 1] - traj.q[i])


class SimulatorBackend(Backend):
    """An ideal KR6 that performs trajectories at ``speed`` times real time.

    Parameters
    ----------
    cfg : RobotConfig
        Limits for the smooth stop.
    start_deg : array_like (6,)
        Pose at start (deg), HOME by default.
    speed : float
        Time scale: 1 is real time, 10 performs a 60 s choreography in 6 s.
    name : str
        What the state messages call it ("sim", or "sim (fallback: ...)").
    """

    def __init__(
        self,
        cfg: Any,
        start_deg: ArrayLike | None = None,
        speed: float = 1.0,
        name: str = "sim",
    ) -> None:
        super().__init__()
        self.cfg = cfg
        if start_deg is None:
            from choreo.robot.kr6 import HOME_DEG

            start_deg = HOME_DEG
        self.name = name
        self.speed = float(speed)
        self._hold = np.array(start_deg, dtype=np.float64).reshape(6)
        self._traj: Trajectory | None = None
        self._t0 = 0.0  # LSL time of the running trajectory's sample 0
        self._splice: tuple[Trajectory, int, Trajectory] | None = None
        self._finished: list[tuple[Trajectory, float]] = []

    def start(self) -> None:
        """Nothing to open: the simulator is computed on demand."""

    def close(self) -> None:
        """Nothing to close."""

    def not_ready(self) -> str | None:
        """The simulator is always ready."""
        return None

    def commanded(self) -> NDArray[np.float64]:
        """Setpoint now (deg)."""
        with self._lock:
            return self._hold.copy()

    def begin(self, traj: Trajectory, t: float) -> None:
        """Perform ``traj`` from LSL time ``t``."""
        with self._lock:
            self._traj, self._t0, self._splice = traj, t, None

    def _index(self, now: float) -> float:
        assert self._traj is not None
        return (now - self._t0) * self.speed / self._traj.cycle_s

    def stop_smoothly(self) -> None:
        """Splice ``plan_stop`` in at a sample :data:`SPLICE_AHEAD_S` of wall time ahead."""
        from pylsl import local_clock

        from choreo.robot.safety import plan_stop

        with self._lock:
            traj = self._traj
            if traj is None:
                return
            ahead = max(2, math.ceil(SPLICE_AHEAD_S * self.speed / traj.cycle_s))
            at = math.ceil(self._index(local_clock())) + ahead
            if at >= traj.n - 1:
                return  # it ends at rest before a stop could begin
            stop = Trajectory.from_plan(plan_stop(traj.q[at], traj.qd[at], self.cfg), "stop")
            self._splice = (traj, at, stop)

    def _advance(self, now: float) -> None:
        """Apply a due splice and retire a finished trajectory (under the lock)."""
        if self._traj is None:
            return
        if self._splice is not None:
            cur, at, new = self._splice
            if cur is self._traj and self._index(now) >= at:
                self._t0 += at * cur.cycle_s / self.speed
                self._traj, self._splice = new, None
        traj = self._traj
        end = self._t0 + traj.duration / self.speed
        if now >= end:
            self._hold = traj.q[-1].copy()
            self._finished.append((traj, end))
            self._traj = None

    def pose(self, now: float) -> NDArray[np.float64]:
        """Pose at ``now`` (deg)."""
        with self._lock:
            if self._traj is None:
                return self._hold.copy()
            return sample_at(self._traj, self._index(now))

    def poll(self, now: float) -> Snapshot:
        """Pose at ``now`` and trajectories that finished."""
        with self._lock:
            self._advance(now)
            if self._traj is not None:
                q = sample_at(self._traj, self._index(now))
                self._hold = q
            else:
                q = self._hold.copy()
            finished, self._finished = self._finished, []
            return Snapshot(q=q, moving=self._traj, finished=finished)
