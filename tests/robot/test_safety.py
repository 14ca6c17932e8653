"""Layered safety: every accepted choreography is safe sample by sample (hypothesis)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from choreo.errors import ChoreoError
from choreo.robot.codec import VECTOR_LEN, Choreography, decode, random_vector
from choreo.robot.config import RobotConfig, load_robot_config, robot_config_with
from choreo.robot.kr6 import (
    HOME_DEG,
    MAX_ACCEL_DEG_S2,
    MAX_SPEED_DEG_S,
    SOFT_LIMITS_DEG,
    joint_positions,
)
from choreo.robot.safety import (
    LAYERS,
    UnsafeChoreography,
    Verdict,
    check_choreography,
    check_plan,
    check_targets,
)
from choreo.robot.trajectory import Plan

CFG = load_robot_config()
#: A stricter installation: higher floor, a wall behind the robot. About half of the
#: random choreographies fail its workspace layer, so both branches get exercised.
TIGHT = robot_config_with(
    CFG,
    floor_z_m=0.30,
    workspace_m={"x": (-0.45, 0.95), "y": (-0.95, 0.95), "z": (0.0, 1.40)},
)
vectors = arrays(np.uint8, VECTOR_LEN, elements=st.integers(0, 255))


def assert_plan_is_safe(plan: Plan, cfg: RobotConfig) -> None:
    """An independent re-check: the robot's tables and the URDF chain (float64)."""
    tol = 1e-6
    lo = SOFT_LIMITS_DEG[:, 0] + cfg.margin_deg
    hi = SOFT_LIMITS_DEG[:, 1] - cfg.margin_deg
    assert np.all(plan.q >= lo - 1e-9)
    assert np.all(plan.q <= hi + 1e-9)
    vmax = MAX_SPEED_DEG_S * cfg.speed_scale * (1 + tol)
    amax = MAX_ACCEL_DEG_S2 * cfg.accel_scale * (1 + tol)
    assert np.all(np.abs(plan.qd) <= vmax)
    assert np.all(np.abs(plan.qdd) <= amax)
    np.testing.assert_allclose(np.diff(plan.t), cfg.cycle_ms / 1000, rtol=1e-9)
    assert np.all(np.abs(np.diff(plan.q, axis=0)) <= vmax * cfg.cycle_ms / 1000)
    flange = joint_positions(plan.q)[:, -1, :]
    assert flange[:, 2].min() >= cfg.floor_z_m
    box = cfg.workspace
    assert np.all(flange >= box[:, 0])
    assert np.all(flange <= box[:, 1])


def _check_property(v: np.ndarray, cfg: RobotConfig) -> Verdict:
    verdict = check_choreography(v, cfg)
    if verdict.ok:
        assert verdict.reason == ""
        assert verdict.plan is not None
        assert_plan_is_safe(verdict.plan, cfg)
        # The plan is the choreography as sent: every keyframe is reached.
        np.testing.assert_allclose(
            verdict.plan.q[verdict.plan.keyframe_indices], decode(v, cfg).keyframes_deg, atol=1e-9
        )
    else:
        assert verdict.layer in LAYERS
        assert verdict.reason.startswith(f"{verdict.layer}: ")
        assert len(verdict.reason) > len(verdict.layer) + 10
    return verdict


@settings(max_examples=200, deadline=None)
@given(vectors)
def test_any_vector_is_safe_or_rejected_with_a_reason(v: np.ndarray) -> None:
    """The issue's property, on the shipped configuration."""
    _check_property(v, CFG)


@settings(max_examples=100, deadline=None)
@given(vectors)
def test_property_holds_where_the_workspace_rejects(v: np.ndarray) -> None:
    _check_property(v, TIGHT)


def test_share_of_random_vectors_accepted() -> None:
    rng = np.random.default_rng(2026)
    vs = rng.integers(0, 256, (150, VECTOR_LEN), dtype=np.uint8)
    shares = {}
    for name, cfg in (
        ("shipped", CFG),
        ("tight", TIGHT),
        ("no stretching", robot_config_with(CFG, stretch="reject")),
    ):
        verdicts = [check_choreography(v, cfg) for v in vs]
        shares[name] = float(np.mean([x.ok for x in verdicts]))
    print(f"share of random vectors accepted: {shares}")
    # The shipped envelope keeps every pose safe: all random vectors pass.
    assert shares["shipped"] == 1.0
    assert 0.3 < shares["tight"] < 0.8
    # Random keyframes lie far apart: without stretching, nearly all are too fast.
    assert shares["no stretching"] < 0.05


def test_a_raised_floor_rejects_with_the_reason() -> None:
    high = robot_config_with(CFG, floor_z_m=0.6)
    verdicts = [check_choreography(random_vector(s), high) for s in range(20)]
    rejected = [x for x in verdicts if not x.ok]
    assert len(rejected) >= 18
    for x in rejected:
        assert x.layer == "workspace"
        assert "below the floor (floor_z_m = 0.6)" in x.reason
        assert x.plan is not None  # kept, to show what went wrong
    with pytest.raises(UnsafeChoreography, match="below the floor") as info:
        rejected[0].raise_if_unsafe()
    assert isinstance(info.value, ChoreoError)
    assert info.value.layer == "workspace"


def test_a_wall_behind_the_robot_names_the_coordinate() -> None:
    walled = robot_config_with(
        CFG, workspace_m={"x": (-0.2, 0.95), "y": (-0.95, 0.95), "z": (0.0, 1.4)}
    )
    reasons = [check_choreography(random_vector(s), walled).reason for s in range(10)]
    assert any("outside workspace_m.x [-0.2, 0.95]" in r for r in reasons)


def test_no_stretching_rejects_a_too_fast_segment_and_accepts_a_calm_one() -> None:
    strict = robot_config_with(CFG, stretch="reject")
    verdict = check_choreography(random_vector(1), strict)
    assert not verdict.ok
    assert verdict.layer == "timing"
    assert "segment 1 (to keyframe 1)" in verdict.reason
    assert "stretch = 'reject'" in verdict.reason
    # Small moves around the middle of the envelope with the longest durations.
    calm = np.tile([128, 128, 128, 128, 128, 128, 255], 28).astype(np.uint8)
    calm[0::7] = np.resize([120, 136], 28)
    assert check_choreography(calm, strict).ok


def test_message_layer() -> None:
    for bad, text in (
        ([0] * 195, "expected 196 values, got 195"),
        ([0] * 195 + [256], "value 256 at index 195"),
        ("hello", "expected a flat sequence"),
    ):
        verdict = check_choreography(bad, CFG)
        assert not verdict.ok
        assert verdict.layer == "message"
        assert verdict.plan is None
        assert text in verdict.reason


def test_targets_layer() -> None:
    v = random_vector(3)
    start = HOME_DEG + np.array([0, -97, 0, 0, 0, 0])  # A2 at -187: beyond -190 + 5 deg margin
    verdict = check_choreography(v, CFG, start_deg=start)
    assert verdict.layer == "targets"
    assert "start pose A2 = -187.000 deg" in verdict.reason
    c = decode(v, CFG)
    kf = c.keyframes_deg.copy()
    kf[4, 2] = 140.0  # A3 beyond the envelope's 135
    reason = check_targets(Choreography(kf, c.durations_s), CFG)
    assert reason == "keyframe 5: A3 = 140.000 deg is outside the envelope [30, 135]"


@pytest.fixture(scope="module")
def good_plan() -> Plan:
    verdict = check_choreography(random_vector(4), CFG)
    assert verdict.ok
    assert verdict.plan is not None
    return verdict.plan


def _with(plan: Plan, field: str, i: int, axis: int, value: float) -> Plan:
    arr = getattr(plan, field).copy()
    arr[i, axis] = value
    return dataclasses.replace(plan, **{field: arr})


@pytest.mark.parametrize(
    ("field", "axis", "value", "expected"),
    [
        ("q", 1, 42.0, "trajectory: A2 = 42.000 deg at "),
        ("qd", 2, -120.0, "trajectory: A3 speed 120.000 deg/s at "),
        ("qdd", 0, 400.0, "trajectory: A1 acceleration 400.000 deg/s^2"),
        ("q", 3, "jump", "trajectory: A4 moves "),
        ("q", 4, float("nan"), "trajectory: A5 = nan deg at "),
        ("qd", 0, float("inf"), "trajectory: A1 speed inf deg/s at "),
    ],
)
def test_each_sample_layer_catches_a_corrupted_plan(
    good_plan: Plan, field: str, axis: int, value: float | str, expected: str
) -> None:
    assert check_plan(good_plan, CFG) == ""
    i = good_plan.t.shape[0] // 2
    if value == "jump":  # a step no speed limit allows, within the position limits
        value = float(good_plan.q[i, axis]) + 5.0
    reason = check_plan(_with(good_plan, field, i, axis, float(value)), CFG)
    assert reason.startswith(expected), reason
    assert f"{good_plan.t[i]:.3f} s" in reason or "cycle after" in reason


def test_workspace_layer_on_a_pose_inside_the_limits(good_plan: Plan) -> None:
    """A pose the joint limits allow but the floor does not: only FK catches it."""
    q = np.array([0.0, 30.0, 60.0, 0.0, 0.0, 0.0])
    assert joint_positions(q)[-1, 2] < CFG.floor_z_m
    assert np.all(q >= CFG.position_limits[:, 0])
    assert np.all(q <= CFG.position_limits[:, 1])
    n = 50
    still = Plan(
        t=np.arange(n) * CFG.cycle_s,
        q=np.tile(q, (n, 1)),
        qd=np.zeros((n, 6)),
        qdd=np.zeros((n, 6)),
        keyframe_times=np.array([(n - 1) * CFG.cycle_s]),
        segment_durations=np.array([(n - 1) * CFG.cycle_s]),
        requested_durations=np.zeros(1),
        cycle_s=CFG.cycle_s,
    )
    reason = check_plan(still, CFG)
    assert reason.startswith("workspace: flange at 0.000 s"), reason
    assert "below the floor" in reason
