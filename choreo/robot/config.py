"""The robot's configuration: the art-safe envelope, durations, scales and workspace.

Loaded from ``choreo/configs/robot/*.toml`` into :class:`RobotConfig`, a strict model:
an unknown key, an envelope outside the software limits (minus the margin), or a
range whose low end is not below its high end is a :class:`~choreo.errors.ConfigError`
naming the file and the key.
"""

from __future__ import annotations

import os
from typing import Annotated, Any, Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import AfterValidator, Field, ValidationInfo, field_validator

from choreo.config import StrictModel, load_toml, resolve_config
from choreo.robot.kr6 import AXES, MAX_ACCEL_DEG_S2, MAX_SPEED_DEG_S, SOFT_LIMITS_DEG

#: The configuration used when none is named.
DEFAULT_ROBOT_CONFIG = "kr6r900sixx"


def _increasing(pair: tuple[float, float]) -> tuple[float, float]:
    if not pair[0] < pair[1]:
        raise ValueError(f"low end {pair[0]} must be below high end {pair[1]}")
    return pair


#: A (low, high) pair with low < high.
Interval = Annotated[tuple[float, float], AfterValidator(_increasing)]


class Envelope(StrictModel):
    """The art-safe range of each axis, deg: the codec maps byte 0 to low, 255 to high."""

    A1: Interval
    A2: Interval
    A3: Interval
    A4: Interval
    A5: Interval
    A6: Interval

    def as_array(self) -> NDArray[np.float64]:
        """Rows A1..A6, columns (low, high), deg."""
        return np.array([getattr(self, a) for a in AXES], dtype=np.float64)


class DurationRange(StrictModel):
    """The range of one segment's requested duration, s (byte 6 of a keyframe)."""

    min: float = Field(gt=0.0)
    max: float = Field(gt=0.0)

    @field_validator("max")
    @classmethod
    def _above_min(cls, v: float, info: ValidationInfo) -> float:
        low = info.data.get("min")
        if low is not None and not v > low:
            raise ValueError(f"must be above min ({low} s)")
        return v


class Workspace(StrictModel):
    """The box the flange must stay inside, m, in the robot's base frame."""

    x: Interval
    y: Interval
    z: Interval

    def as_array(self) -> NDArray[np.float64]:
        """Rows x, y, z; columns (low, high), m."""
        return np.array([self.x, self.y, self.z], dtype=np.float64)


class RobotConfig(StrictModel):
    """Everything the codec, the planner and the safety checks need to know.

    Field order matters: validators of later fields read earlier ones.
    """

    cycle_ms: Literal[4, 12] = 4
    speed_scale: float = Field(default=0.3, gt=0.0, le=1.0)
    accel_scale: float = Field(default=0.3, gt=0.0, le=1.0)
    jerk_deg_s3: tuple[float, float, float, float, float, float]
    margin_deg: float = Field(default=5.0, ge=0.0)
    floor_z_m: float
    stretch: Literal["allow", "reject"] = "allow"
    segment_duration_s: DurationRange
    workspace_m: Workspace
    envelope_deg: Envelope

    @field_validator("jerk_deg_s3")
    @classmethod
    def _positive_jerk(cls, v: tuple[float, ...]) -> tuple[float, ...]:
        for axis, j in zip(AXES, v, strict=True):
            if not j > 0.0:
                raise ValueError(f"{axis} jerk limit must be positive, got {j}")
        return v

    @field_validator("workspace_m")
    @classmethod
    def _floor_inside(cls, v: Workspace, info: ValidationInfo) -> Workspace:
        floor = info.data.get("floor_z_m")
        if floor is not None and not floor < v.z[1]:
            raise ValueError(f"z high end {v.z[1]} m must be above floor_z_m ({floor} m)")
        return v

    @field_validator("envelope_deg")
    @classmethod
    def _inside_soft_limits(cls, v: Envelope, info: ValidationInfo) -> Envelope:
        margin = info.data.get("margin_deg", 0.0)
        env = v.as_array()
        for i, axis in enumerate(AXES):
            lo, hi = SOFT_LIMITS_DEG[i] + (margin, -margin)
            if env[i, 0] < lo or env[i, 1] > hi:
                raise ValueError(
                    f"{axis} = [{env[i, 0]:g}, {env[i, 1]:g}] must lie inside the software"
                    f" limits minus the {margin:g} deg margin, [{lo:g}, {hi:g}]"
                )
        return v

    # Derived arrays, in the units the planner and checks use.
    @property
    def envelope(self) -> NDArray[np.float64]:
        """Envelope, deg, shape (6, 2)."""
        return self.envelope_deg.as_array()

    @property
    def workspace(self) -> NDArray[np.float64]:
        """Workspace box, m, shape (3, 2): rows x, y, z."""
        return self.workspace_m.as_array()

    @property
    def cycle_s(self) -> float:
        """Controller cycle, s."""
        return self.cycle_ms / 1000.0

    @property
    def max_speed(self) -> NDArray[np.float64]:
        """Speed limit of the planner, deg/s: the robot's maximum times ``speed_scale``."""
        return MAX_SPEED_DEG_S * self.speed_scale

    @property
    def max_accel(self) -> NDArray[np.float64]:
        """Acceleration limit of the planner, deg/s^2: the maximum times ``accel_scale``."""
        return MAX_ACCEL_DEG_S2 * self.accel_scale

    @property
    def max_jerk(self) -> NDArray[np.float64]:
        """Jerk limit of the planner, deg/s^3."""
        return np.asarray(self.jerk_deg_s3, dtype=np.float64)

    @property
    def position_limits(self) -> NDArray[np.float64]:
        """Software limits narrowed by the margin, deg, shape (6, 2)."""
        return SOFT_LIMITS_DEG + np.array([self.margin_deg, -self.margin_deg])


def load_robot_config(path: str | os.PathLike[str] | None = None) -> RobotConfig:
    """Load a robot configuration by path or by name in ``choreo/configs/robot/``.

    Parameters
    ----------
    path : str or path, optional
        A TOML file, or the name of one in ``choreo/configs/robot/``; default
        ``kr6r900sixx``.
    """
    return load_toml(resolve_config(path or DEFAULT_ROBOT_CONFIG, "robot"), RobotConfig)


def robot_config_with(cfg: RobotConfig, **changes: Any) -> RobotConfig:
    """A validated copy of ``cfg`` with some top-level keys changed (e.g. ``floor_z_m``)."""
    from choreo.config import validate

    return validate(RobotConfig, {**cfg.model_dump(), **changes}, "robot configuration")
