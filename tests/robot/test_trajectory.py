"""The planner: rest-to-rest straight segments through the keyframes, sampled per cycle."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from ruckig import (
    ControlInterface,
    DurationDiscretization,
    InputParameter,
    Ruckig,
    Synchronization,
    Trajectory,
)

from choreo.robot.codec import decode, random_vector
from choreo.robot.config import load_robot_config, robot_config_with
from choreo.robot.kr6 import HOME_DEG, MAX_ACCEL_DEG_S2
from choreo.robot.trajectory import (
    Plan,
    PlanningError,
    plan_choreography,
    plan_move,
    plan_path,
    plan_stop,
)

CFG = load_robot_config()


@pytest.fixture(scope="module")
def plans() -> list[tuple[np.ndarray, Plan]]:
    return [(v, plan_choreography(v, CFG)) for v in (random_vector(s) for s in range(4))]


def test_keyframes_are_reached_on_samples_at_rest(plans: list[tuple[np.ndarray, Plan]]) -> None:
    for v, plan in plans:
        c = decode(v, CFG)
        assert plan.t[0] == 0.0
        np.testing.assert_allclose(np.diff(plan.t), CFG.cycle_s, rtol=1e-9)
        np.testing.assert_allclose(plan.q[0], HOME_DEG, atol=1e-12)
        k = plan.keyframe_indices
        assert k[-1] == plan.t.shape[0] - 1
        np.testing.assert_allclose(plan.q[k], c.keyframes_deg, atol=1e-9)
        np.testing.assert_allclose(plan.qd[k], 0.0, atol=1e-9)
        np.testing.assert_allclose(plan.qdd[k], 0.0, atol=1e-6)


def test_durations_are_whole_cycles_at_least_the_requested(
    plans: list[tuple[np.ndarray, Plan]],
) -> None:
    for _, plan in plans:
        cycles = plan.segment_durations / CFG.cycle_s
        np.testing.assert_allclose(cycles, np.rint(cycles), atol=1e-9)
        assert np.all(plan.segment_durations >= plan.requested_durations - 1e-9)
        assert np.all(
            plan.segment_durations[~plan.stretched]
            < plan.requested_durations[~plan.stretched] + CFG.cycle_s
        )
        assert plan.duration == pytest.approx(plan.segment_durations.sum())
        assert plan.stretched.any()  # random keyframes often lie far apart


def test_segments_are_straight_lines_in_joint_space(plans: list[tuple[np.ndarray, Plan]]) -> None:
    for _, plan in plans:
        bounds = np.concatenate([[0], plan.keyframe_indices])
        for a, b in itertools.pairwise(bounds):
            seg = plan.q[a : b + 1]
            d = seg[-1] - seg[0]
            u = (seg - seg[0]) @ d / (d @ d)
            np.testing.assert_allclose(seg - seg[0], np.outer(u, d), atol=1e-9)
            assert np.all(np.diff(u) >= -1e-12)  # never backwards
            assert u.min() >= -1e-12
            assert u.max() <= 1 + 1e-12


def test_samples_are_consistent_derivatives(plans: list[tuple[np.ndarray, Plan]]) -> None:
    _, plan = plans[0]
    dt = plan.cycle_s
    # Central differences of position and velocity against the sampled derivatives;
    # the error of a central difference of a cubic is jerk * dt^2 / 6.
    qd_num = (plan.q[2:] - plan.q[:-2]) / (2 * dt)
    jerk_term = CFG.max_jerk * dt**2 / 6
    assert np.all(np.abs(qd_num - plan.qd[1:-1]) <= jerk_term + 1e-6)
    qdd_num = (plan.qd[2:] - plan.qd[:-2]) / (2 * dt)
    assert np.all(
        np.abs(qdd_num - plan.qdd[1:-1])
        <= CFG.max_jerk * 1e-6 + 1e-6 + np.abs(np.diff(plan.qdd, axis=0)[1:]).max(axis=0)
    )


def test_limits_hold_and_stretched_segments_are_time_optimal(
    plans: list[tuple[np.ndarray, Plan]],
) -> None:
    for _, plan in plans:
        assert np.all(np.abs(plan.qd) <= CFG.max_speed * (1 + 1e-9))
        assert np.all(np.abs(plan.qdd) <= CFG.max_accel * (1 + 1e-9))
        bounds = np.concatenate([[0], plan.keyframe_indices])
        for i in np.flatnonzero(plan.stretched):
            a, b = bounds[i], bounds[i + 1]
            use = max(
                (np.abs(plan.qd[a:b]) / CFG.max_speed).max(),
                (np.abs(plan.qdd[a:b]) / CFG.max_accel).max(),
            )
            # The fastest safe segment drives some axis to (nearly) a limit; the
            # rounding up to whole cycles costs a little.
            assert use > 0.9, (i, use)


def test_a_long_requested_duration_is_kept() -> None:
    wp = np.vstack([HOME_DEG, HOME_DEG + np.array([10, 5, -5, 20, 0, 30])])
    plan = plan_path(wp, [2.5], CFG)
    assert plan.duration == pytest.approx(2.5)
    assert not plan.stretched.any()


def test_a_still_segment_lasts_as_requested() -> None:
    plan = plan_path(np.vstack([HOME_DEG, HOME_DEG]), [0.6], CFG)
    assert plan.duration == pytest.approx(0.6)
    np.testing.assert_allclose(plan.q, np.broadcast_to(HOME_DEG, plan.q.shape))


def test_twelve_ms_cycle() -> None:
    cfg12 = robot_config_with(CFG, cycle_ms=12)
    plan = plan_choreography(random_vector(5), cfg12)
    np.testing.assert_allclose(np.diff(plan.t), 0.012, rtol=1e-9)
    assert plan.cycle_s == 0.012


def test_non_finite_input_is_a_planning_error() -> None:
    with pytest.raises(PlanningError, match="finite"):
        plan_path(np.vstack([HOME_DEG, [np.nan, 0, 0, 0, 0, 0]]), [1.0], CFG)
    with pytest.raises(PlanningError, match="waypoints"):
        plan_path(np.zeros((3, 6)), [1.0], CFG)
    with pytest.raises(PlanningError, match="at least one segment"):
        plan_path(np.zeros((1, 6)), [], CFG)


def test_a_stop_at_rest_is_a_single_sample() -> None:
    plan = plan_stop(HOME_DEG, np.zeros(6), CFG)
    assert plan.t.shape == (1,)
    np.testing.assert_allclose(plan.q[0], HOME_DEG)


def test_move_home() -> None:
    start = np.array([40.0, -60.0, 100.0, 30.0, -20.0, 90.0])
    plan = plan_move(start, HOME_DEG, CFG)
    np.testing.assert_allclose(plan.q[0], start)
    np.testing.assert_allclose(plan.q[-1], HOME_DEG, atol=1e-9)
    assert plan.stretched.sum() == 0


def _ruckig_stop(q, qd, qdd, accel, jerk):  # type: ignore[no-untyped-def]
    """The same stop, straight from ruckig, to compare sample by sample."""
    otg = Ruckig(6, CFG.cycle_s)
    inp = InputParameter(6)
    inp.control_interface = ControlInterface.Velocity
    inp.synchronization = Synchronization.Time
    inp.duration_discretization = DurationDiscretization.Discrete
    inp.max_velocity = CFG.max_speed.tolist()
    inp.max_acceleration = list(accel)
    inp.max_jerk = list(jerk)
    inp.current_position, inp.current_velocity, inp.current_acceleration = q, qd, qdd
    inp.target_velocity = [0.0] * 6
    inp.target_acceleration = [0.0] * 6
    traj = Trajectory(6)
    otg.calculate(inp, traj)
    return traj


@pytest.mark.parametrize(
    ("qd", "qdd"),
    [
        ([80.0, -60.0, 30.0, 0.0, 100.0, -150.0], [0.0, 50.0, 0.0, 0.0, 0.0, 0.0]),
        # Faster than the scaled limit and accelerating: ruckig brakes first.
        ([200.0, 0.0, 0.0, 0.0, 0.0, 0.0], [800.0, 0.0, 0.0, 0.0, 0.0, 0.0]),
    ],
)
def test_stop_matches_ruckig_sample_by_sample(qd: list[float], qdd: list[float]) -> None:
    q = [-100.0, -80.0, 80.0, 0.0, 20.0, 0.0]  # room to stop gently
    plan = plan_stop(q, qd, CFG, qdd)
    traj = _ruckig_stop(q, qd, qdd, CFG.max_accel, CFG.max_jerk)
    assert plan.duration == pytest.approx(traj.duration)
    ref = np.array([np.concatenate(traj.at_time(t)) for t in plan.t])
    np.testing.assert_allclose(plan.q, ref[:, :6], atol=1e-9)
    np.testing.assert_allclose(plan.qd, ref[:, 6:12], atol=1e-9)
    np.testing.assert_allclose(plan.qdd, ref[:, 12:], atol=1e-6)
    np.testing.assert_allclose(plan.qd[-1], 0.0, atol=1e-9)


def test_stop_from_a_choreography_state_is_within_limits() -> None:
    plan = plan_choreography(random_vector(7), CFG)
    i = int(np.argmax(np.abs(plan.qd).max(axis=1)))  # the fastest moment
    stop = plan_stop(plan.q[i], plan.qd[i], CFG, plan.qdd[i])
    np.testing.assert_allclose(stop.q[0], plan.q[i], atol=1e-9)
    np.testing.assert_allclose(stop.qd[0], plan.qd[i], atol=1e-9)
    assert np.all(np.abs(stop.qdd) <= CFG.max_accel * (1 + 1e-9))
    assert stop.duration < 1.5
    np.testing.assert_allclose(stop.qd[-1], 0.0, atol=1e-9)


def test_stop_near_a_limit_brakes_harder() -> None:
    lim = CFG.position_limits
    q = HOME_DEG.copy()
    q[0] = lim[0, 1] - 2.0  # A1 2 deg inside the margin, moving towards the limit
    qd = np.array([100.0, 0, 0, 0, 0, 0])
    stop = plan_stop(q, qd, CFG)
    gentle = _ruckig_stop(q.tolist(), qd.tolist(), [0.0] * 6, CFG.max_accel, CFG.max_jerk)
    assert gentle.at_time(gentle.duration)[0][0] > lim[0, 1]  # the gentle stop overshoots
    assert stop.q[:, 0].max() < gentle.at_time(gentle.duration)[0][0]
    assert np.abs(stop.qdd[:, 0]).max() > CFG.max_accel[0]
    assert np.abs(stop.qdd[:, 0]).max() <= MAX_ACCEL_DEG_S2[0] * (1 + 1e-9)


def test_choreography_samples_match_ruckig_at_time() -> None:
    """The numpy evaluation of the path profiles against ruckig's own sampling."""
    from choreo.robot.trajectory import path_limits

    v = random_vector(11)
    plan = plan_choreography(v, CFG)
    c = decode(v, CFG)
    wp = np.vstack([HOME_DEG, c.keyframes_deg])
    delta = np.diff(wp, axis=0)
    otg = Ruckig(1, CFG.cycle_s)
    start = 0
    for i, (vmax, amax, jmax) in enumerate(path_limits(delta, CFG).tolist()):
        inp = InputParameter(1)
        inp.duration_discretization = DurationDiscretization.Discrete
        inp.current_position, inp.target_position = [0.0], [1.0]
        inp.max_velocity, inp.max_acceleration, inp.max_jerk = [vmax], [amax], [jmax]
        inp.minimum_duration = float(c.durations_s[i])
        traj = Trajectory(1)
        otg.calculate(inp, traj)
        n = round(traj.duration / CFG.cycle_s)
        assert plan.keyframe_indices[i] == start + n
        k = np.arange(n + 1)
        s, sd, sdd = (
            np.array(x) for x in zip(*(traj.at_time(j * CFG.cycle_s) for j in k), strict=True)
        )
        np.testing.assert_allclose(plan.q[start + k], wp[i] + s[:, :1] * delta[i], atol=1e-9)
        np.testing.assert_allclose(plan.qd[start + k], sd[:, :1] * delta[i], atol=1e-9)
        np.testing.assert_allclose(plan.qdd[start + k], sdd[:, :1] * delta[i], atol=1e-6)
        start += n
