"""A choreography as a KRL program (``.src`` and ``.dat``) for playing it offline on a KR C4.

For studios that play recorded choreographies without the bridge, as KUKA|prc users
do. The program moves as the planned trajectory (:mod:`choreo.robot.trajectory`):

- a PTP to HOME, the plan's start pose, under the configured speed and acceleration
  scales (``$VEL_AXIS``/``$ACC_AXIS`` = ``speed_scale``/``accel_scale`` x 100 %);
- then every segment is a rest-to-rest move on its own: a ``PTP_SPLINE`` block with a
  single ``SPTP`` to the keyframe inside ``TIME_BLOCK_START`` .. ``TIME_BLOCK_END =``
  the planned segment duration (s, whole controller cycles, stretched segments
  included). Each spline block ends with an exact stop, as each planned segment ends
  at rest, and its duration is the plan's. The controller shapes the motion within the
  block itself (its own jerk-limited profile), so positions between keyframes follow
  KUKA's profile rather than ruckig's; keyframes and segment times are the plan's.
  The percentages stay as ceilings: the plan respects them, so the times are feasible.
  Each segment's comment gives its planned peak speed (leading axis, deg/s) to compare
  with the controller's trace.

The keyframes are ``E6AXIS`` points in the ``.dat`` (4 decimals, deg). The choreography
is checked by every safety layer first (:mod:`choreo.robot.export_source`); a refused
one writes nothing, and both files are written atomically.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from choreo.robot.config import RobotConfig
from choreo.robot.export_source import ExportSource
from choreo.robot.krl import e6axis, krl_file, percent, program_name

#: Name of the start pose in the ``.dat``.
HOME_POINT = "XHOME"


def keyframe_point(k: int) -> str:
    """Name of keyframe ``k`` (1-based) in the ``.dat``: ``XK01`` .. ``XK28``."""
    return f"XK{k:02d}"


def krl_choreography(
    source: ExportSource, cfg: RobotConfig, name: str, config_name: str = ""
) -> tuple[str, str]:
    """The ``.src`` and ``.dat`` texts of program ``name`` performing ``source``'s plan."""
    program_name(name)
    plan = source.plan
    idx = plan.keyframe_indices
    keyframes = plan.q[idx]
    vel, acc = percent(cfg.speed_scale), percent(cfg.accel_scale)
    stretched = plan.stretched
    src = [
        "&ACCESS RVP",
        "&REL 1",
        f"DEF {name}( )",
        f"; choreo choreography: {source.description}",
        f"; {len(idx)} keyframes, {plan.duration:.3f} s after HOME, planned at"
        f" {cfg.cycle_ms} ms{f' with {config_name}' if config_name else ''}.",
        "; Each segment: rest-to-rest, lasting the planned duration (TIME_BLOCK_END, s).",
        ";FOLD INI",
        "BAS (#INITMOV, 0)",
        ";ENDFOLD (INI)",
        f"; Ceilings: the planner's scales ({vel} % speed, {acc} % acceleration).",
        *(f"$VEL_AXIS[{i}] = {vel}" for i in range(1, 7)),
        *(f"$ACC_AXIS[{i}] = {acc}" for i in range(1, 7)),
        f"PTP {HOME_POINT}",
    ]
    bounds = np.concatenate([[0], idx])
    for k, duration in enumerate(plan.segment_durations, start=1):
        note = (
            f" (requested {plan.requested_durations[k - 1]:.3f} s, slowed to the limits)"
            if stretched[k - 1]
            else ""
        )
        # The planned peak speed of the segment's leading axis, for comparison on the
        # controller (KUKA's own profile within the time block may differ slightly).
        peak = np.abs(plan.qd[bounds[k - 1] : bounds[k] + 1]).max(axis=0)
        lead = int(np.argmax(peak / cfg.max_speed))
        src += [
            f"; segment {k}: to keyframe {k} at {plan.keyframe_times[k - 1]:.3f} s{note};"
            f" planned peak A{lead + 1} {peak[lead]:.1f} deg/s",
            "PTP_SPLINE",
            "  TIME_BLOCK_START",
            f"  SPTP {keyframe_point(k)}",
            f"  TIME_BLOCK_END = {duration:.3f}",
            "ENDSPLINE",
        ]
    src.append("END")
    dat = [
        "&ACCESS RVP",
        "&REL 1",
        f"DEFDAT {name} PUBLIC",
        f"; keyframes of {source.description}, deg",
        e6axis(HOME_POINT, plan.q[0]),
        *(e6axis(keyframe_point(k + 1), q) for k, q in enumerate(keyframes)),
        "ENDDAT",
    ]
    return krl_file(src), krl_file(dat)


def export_krl(
    source_path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    config: str | os.PathLike[str] | None = None,
) -> list[Path]:
    """Check the choreography at ``source_path`` and write it as ``out`` (.src) and .dat.

    Parameters
    ----------
    source_path : path
        A vector file or a session directory (its best choreography).
    out : path
        The ``.src`` to write (the suffix is added when missing); its stem names the
        program, and the ``.dat`` goes beside it.
    config : str or path, optional
        Robot configuration name or TOML path.
    """
    from choreo.config import resolve_config
    from choreo.robot.atomic_output import write_files
    from choreo.robot.config import DEFAULT_ROBOT_CONFIG, load_robot_config
    from choreo.robot.export_source import checked_choreography

    target = Path(out)
    if target.suffix.lower() != ".src":
        target = target.with_name(target.name + ".src")
    name = program_name(target.stem, f"{out}: program name")
    cfg = load_robot_config(config)
    source = checked_choreography(source_path, cfg)
    config_name = resolve_config(config or DEFAULT_ROBOT_CONFIG, "robot").name
    src, dat = krl_choreography(source, cfg, name, config_name)
    folder = target.parent if str(target.parent) else Path(".")
    return write_files(folder, {f"{name}.src": src, f"{name}.dat": dat})
