"""RobotConfig: the shipped TOML loads; bad values are refused naming the key."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from choreo.errors import ConfigError
from choreo.resources import config_dir
from choreo.robot.config import load_robot_config, robot_config_with
from choreo.robot.kr6 import SOFT_LIMITS_DEG

SHIPPED = config_dir() / "robot" / "kr6r900sixx.toml"


def test_shipped_config_loads_by_name_and_path() -> None:
    by_name = load_robot_config()
    assert by_name == load_robot_config(SHIPPED)
    assert by_name.cycle_ms in (4, 12)
    assert 0 < by_name.speed_scale < 1
    env = by_name.envelope
    assert np.all(env[:, 0] >= SOFT_LIMITS_DEG[:, 0] + by_name.margin_deg)
    assert np.all(env[:, 1] <= SOFT_LIMITS_DEG[:, 1] - by_name.margin_deg)
    np.testing.assert_allclose(by_name.max_speed, [108, 90, 108, 114.3, 116.4, 184.5])


def _write(tmp_path: Path, old: str, new: str) -> Path:
    text = SHIPPED.read_text()
    assert old in text
    p = tmp_path / "robot.toml"
    p.write_text(text.replace(old, new))
    return p


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "A2 = [-140.0, -40.0]",
            "A2 = [-188.0, -40.0]",
            r"key 'envelope_deg'.*A2 = \[-188, -40\]",
        ),
        ("A2 = [-140.0, -40.0]", "A2 = [-40.0, -140.0]", "key 'envelope_deg.A2'.*below"),
        ("cycle_ms = 4", "cycle_ms = 5", "key 'cycle_ms'"),
        ("speed_scale = 0.3", "speed_scale = 1.5", "key 'speed_scale'"),
        ("min = 0.6", "min = 4.0", "key 'segment_duration_s.max'.*above min"),
        ('stretch = "allow"', 'stretch = "maybe"', "key 'stretch'"),
        ("floor_z_m = 0.15", "floor_z_m = 2.0", "key 'workspace_m'.*floor"),
        ("z = [0.0, 1.40]", "z = [1.40, 0.0]", "key 'workspace_m.z'"),
        ("margin_deg = 5.0", "margin_deg = 5.0\ncolour = 'red'", "unknown key 'colour'"),
        ("jerk_deg_s3 = [3700.0,", "jerk_deg_s3 = [-3700.0,", "key 'jerk_deg_s3'.*A1"),
    ],
)
def test_bad_values_name_file_and_key(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = _write(tmp_path, old, new)
    with pytest.raises(ConfigError, match=message) as info:
        load_robot_config(path)
    assert str(path) in str(info.value)


def test_a_margin_that_squeezes_the_envelope_is_refused() -> None:
    with pytest.raises(ConfigError, match=r"envelope_deg.*A1"):
        robot_config_with(load_robot_config(), margin_deg=90.0)
