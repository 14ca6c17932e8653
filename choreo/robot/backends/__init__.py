"""Robot backends of the bridge: the simulator (default) and KUKA RSI."""

from choreo.robot.backends.base import Backend, Snapshot, Trajectory
from choreo.robot.backends.rsi import RsiBackend
from choreo.robot.backends.sim import SimulatorBackend

__all__ = ["Backend", "RsiBackend", "SimulatorBackend", "Snapshot", "Trajectory"]
