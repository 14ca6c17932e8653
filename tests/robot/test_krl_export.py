"""``choreo export krl``: the program, read back point by point, passes the safety layer
and keeps the planned timing; refused choreographies write nothing."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from choreo.config import resolve_config
from choreo.errors import InputError
from choreo.robot.codec import Choreography, decode, random_vector
from choreo.robot.config import RobotConfig, load_robot_config
from choreo.robot.export_source import ExportSource
from choreo.robot.kr6 import HOME_DEG, MAX_SPEED_DEG_S
from choreo.robot.krl import e6axis, read_axis_points, read_statements
from choreo.robot.krl_export import export_krl, krl_choreography
from choreo.robot.safety import (
    UnsafeChoreography,
    check_choreography,
    check_plan,
    check_targets,
)
from choreo.robot.trajectory import plan_path

SEGMENT = re.compile(r"^SPTP (XK\d\d)$")
TIME = re.compile(r"^TIME_BLOCK_END = (\d+\.\d+)$")
VEL = re.compile(r"^\$VEL_AXIS\[(\d)\] = (\d+)$")


def read_program(src: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Start pose, keyframes (k, 6) deg, segment times (k,) s and $VEL_AXIS (6,) % of a
    program, in the order its motions run; fails on any statement out of place."""
    steps = read_statements(src.read_text())
    points = read_axis_points(src.with_suffix(".dat").read_text())
    assert steps[0] == f"DEF {src.stem}( )"
    assert steps[-1] == "END"
    vel = np.zeros(6)
    for s in steps:
        if m := VEL.match(s):
            vel[int(m.group(1)) - 1] = float(m.group(2))
    first = steps.index("PTP XHOME")
    body = steps[first + 1 : -1]
    assert len(body) % 5 == 0
    names, times = [], []
    for i in range(0, len(body), 5):
        block = body[i : i + 5]
        assert block[0] == "PTP_SPLINE"
        assert block[1] == "TIME_BLOCK_START"
        assert block[4] == "ENDSPLINE"
        name, time = SEGMENT.match(block[2]), TIME.match(block[3])
        assert name is not None, block
        assert time is not None, block
        names.append(name.group(1))
        times.append(float(time.group(1)))
    keyframes = np.array([points[n] for n in names])
    return points["XHOME"], keyframes, np.array(times), vel


def vector_file(tmp_path: Path, vector: np.ndarray, name: str = "v.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(np.asarray(vector).tolist()))
    return path


@pytest.mark.parametrize("seed", [3, 11])
def test_program_passes_the_safety_layer_and_keeps_the_planned_timing(
    tmp_path: Path, seed: int
) -> None:
    cfg = load_robot_config()
    vector = random_vector(seed)
    plan = check_choreography(vector, cfg).raise_if_unsafe()
    written = export_krl(vector_file(tmp_path, vector), tmp_path / "out" / "dance", None)
    assert [p.name for p in written] == ["dance.src", "dance.dat"]
    start, keyframes, times, vel = read_program(tmp_path / "out" / "dance.src")
    # Every point as planned (4 decimals), from the plan's start pose.
    np.testing.assert_allclose(start, HOME_DEG, atol=0)
    assert keyframes.shape == (28, 6)
    np.testing.assert_allclose(keyframes, plan.q[plan.keyframe_indices], atol=5e-5)
    np.testing.assert_allclose(keyframes, decode(vector, cfg).keyframes_deg, atol=5e-5)
    # Every point inside the envelope and the limits ...
    assert check_targets(Choreography(keyframes, times), cfg, start) == ""
    # ... and the motion through them, sample by sample (limits, speed, acceleration,
    # floor, workspace), planned again from the program alone.
    again = plan_path(np.vstack([start, keyframes]), times, cfg)
    assert check_plan(again, cfg) == ""
    # Timing: each segment lasts the planned time; the times are feasible (re-planning
    # them stretches nothing beyond one cycle of rounding).
    np.testing.assert_allclose(times, plan.segment_durations, atol=5e-4)
    assert np.all(np.abs(again.segment_durations - times) <= cfg.cycle_s + 1e-9)
    np.testing.assert_allclose(np.cumsum(times), plan.keyframe_times, atol=1e-6)
    assert plan.stretched.any()  # some requested durations were too short: kept slowed
    # The speed ceilings never bind: the plan's peak speeds are under them.
    peak = np.abs(plan.qd).max(axis=0)
    assert np.all(peak <= vel / 100 * MAX_SPEED_DEG_S + 1e-6)
    assert np.all(vel == round(cfg.speed_scale * 100))
    # Each segment's comment states its planned peak speed (leading axis).
    text = (tmp_path / "out" / "dance.src").read_text()
    peaks = re.findall(r"; segment (\d+): .* planned peak A(\d) (\d+\.\d) deg/s", text)
    assert len(peaks) == 28
    bounds = np.concatenate([[0], plan.keyframe_indices])
    for k, axis, speed in peaks:
        seg = np.abs(plan.qd[bounds[int(k) - 1] : bounds[int(k)] + 1]).max(axis=0)
        lead = int(np.argmax(seg / cfg.max_speed))
        assert int(axis) == lead + 1
        assert float(speed) == pytest.approx(seg[lead], abs=0.051)
        # The re-planned motion from the program alone reaches the same peak.
        seg_again = np.abs(again.qd[bounds[int(k) - 1] : bounds[int(k)] + 1, lead]).max()
        assert seg_again == pytest.approx(seg[lead], rel=0.02, abs=0.1)


def test_a_sessions_best_is_exported(tmp_path: Path) -> None:
    from choreo.session.settings import SessionSettings
    from choreo.session.store import SessionStore

    store = SessionStore.create(SessionSettings(), {}, root=tmp_path)
    vectors = [random_vector(s) for s in (1, 2, 3)]
    for n, (v, score) in enumerate(zip(vectors, (0.2, 0.7, 0.4), strict=True), start=1):
        store.append(
            {"kind": "trial", "status": "scored", "n": n, "score": score, "vector": v.tolist()}
        )
    export_krl(store.path, tmp_path / "best.src")
    _, keyframes, _, _ = read_program(tmp_path / "best.src")
    cfg = load_robot_config()
    np.testing.assert_allclose(keyframes, decode(vectors[1], cfg).keyframes_deg, atol=5e-5)
    assert "best: trial 2 (score 0.700)" in (tmp_path / "best.src").read_text()


def reject_config(tmp_path: Path) -> Path:
    text = resolve_config("kr6r900sixx", "robot").read_text()
    path = tmp_path / "strict.toml"
    path.write_text(text.replace('stretch = "allow"', 'stretch = "reject"'))
    return path


def test_a_refused_choreography_writes_nothing(tmp_path: Path) -> None:
    strict = reject_config(tmp_path)
    cfg: RobotConfig = load_robot_config(strict)
    vector = random_vector(3)
    assert not check_choreography(vector, cfg).ok
    out = tmp_path / "out"
    with pytest.raises(UnsafeChoreography, match=r"v\.json: refused: timing: segment 2 .*reject"):
        export_krl(vector_file(tmp_path, vector), out / "dance.src", strict)
    assert not out.exists()
    # An earlier program of the same name stays whole.
    export_krl(vector_file(tmp_path, random_vector(3)), out / "dance.src")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(UnsafeChoreography):
        export_krl(vector_file(tmp_path, vector), out / "dance.src", strict)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_bad_inputs_name_the_problem(tmp_path: Path) -> None:
    good = vector_file(tmp_path, random_vector(3))
    with pytest.raises(InputError, match=r"program name '2dance'.*KRL module name"):
        export_krl(good, tmp_path / "2dance.src")
    short = tmp_path / "short.json"
    short.write_text("[1, 2, 3]")
    with pytest.raises(InputError, match=r"short\.json"):
        export_krl(short, tmp_path / "x.src")
    with pytest.raises(InputError, match="not a session directory"):
        export_krl(tmp_path, tmp_path / "x.src")
    assert not list(tmp_path.glob("*.src"))


def test_cli_refuses_with_one_line(tmp_path: Path) -> None:
    exe = str(Path(sys.executable).with_name("choreo"))
    source = vector_file(tmp_path, random_vector(3))
    run = subprocess.run(
        [exe, "export", "krl", str(source), str(tmp_path / "d.src"), "--config",
         str(reject_config(tmp_path))],
        capture_output=True,
        text=True,
    )  # fmt: skip
    assert run.returncode == 2
    assert run.stderr.startswith("choreo: error: ")
    assert "refused: timing:" in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "d.src").exists()
    ok = subprocess.run(
        [exe, "export", "krl", str(source), str(tmp_path / "d")], capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.split() == [str(tmp_path / "d.src"), str(tmp_path / "d.dat")]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(-400.0, 400.0, allow_nan=False), min_size=6, max_size=6))
def test_axis_points_round_trip_to_four_decimals(q: list[float]) -> None:
    points = read_axis_points(e6axis("XP", q) + "\r\n")
    np.testing.assert_allclose(points["XP"], q, atol=5e-5 + 1e-9)


@settings(max_examples=15, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_any_safe_choreography_reads_back_as_planned(seed: int) -> None:
    cfg = load_robot_config()
    vector = random_vector(seed)
    verdict = check_choreography(vector, cfg)
    if not verdict.ok or verdict.plan is None:
        return  # refusals are tested above
    plan = verdict.plan
    src, dat = krl_choreography(ExportSource(vector, plan, f"seed {seed}"), cfg, "p")
    points = read_axis_points(dat)
    times = [float(m) for m in re.findall(r"TIME_BLOCK_END = (\d+\.\d+)", src)]
    keyframes = np.array([points[f"XK{k:02d}"] for k in range(1, 29)])
    np.testing.assert_allclose(keyframes, plan.q[plan.keyframe_indices], atol=5e-5)
    np.testing.assert_allclose(times, plan.segment_durations, atol=5e-4)
    again = plan_path(np.vstack([points["XHOME"], keyframes]), times, cfg)
    assert check_plan(again, cfg) == ""
