"""The bridge on the simulator, over real UDP OSC, in this process.

The simulator runs at ``speed`` x real time; state times are LSL wall-clock times, so
plan time = (t - t_started) * speed.
"""

from __future__ import annotations

import numpy as np
import pytest
from bridge_fixtures import LONG_SEED, second_difference_accel, sim_bridge, wait_until

from choreo.errors import ConfigError, StreamError
from choreo.robot import osc_protocol as osc
from choreo.robot.bridge import Bridge
from choreo.robot.bridge_settings import BridgeSettings
from choreo.robot.client import BridgeClient
from choreo.robot.codec import random_vector
from choreo.robot.config import load_robot_config, robot_config_with
from choreo.robot.kr6 import HOME_DEG, MAX_ACCEL_DEG_S2
from choreo.robot.safety import check_choreography

SPEED = 40.0
END = (osc.DONE, osc.ABORTED, osc.FAULT)


@pytest.fixture(scope="module")
def long_plan() -> tuple[np.ndarray, float, np.ndarray]:
    v = random_vector(LONG_SEED)
    verdict = check_choreography(v, load_robot_config())
    assert verdict.plan is not None
    return v, verdict.plan.duration, verdict.plan.q[-1]


def test_play_started_states_done(long_plan: tuple[np.ndarray, float, np.ndarray]) -> None:
    vector, duration, last = long_plan
    with sim_bridge(speed=SPEED) as (bridge, client):
        client.play(3, vector)
        started = client.wait_for((osc.STARTED, osc.REJECTED), 3, timeout=5)
        assert started.address == osc.STARTED, started
        done = client.wait_for(END, 3, timeout=duration / SPEED + 5)
        assert done.address == osc.DONE, done
        t0, t1 = float(started.args[1]), float(done.args[1])
        # LSL times: the motion took the plan's duration at this speed.
        assert t1 - t0 == pytest.approx(duration / SPEED, abs=0.03)
        wait_until(lambda: bridge.mode == "idle", what="idle")
        states = [s for s in client.states if t0 <= s.t <= t1 + 0.02]
        t = np.array([s.t for s in states])
        # >= 50 Hz while moving: no gap above 20 ms (tolerating scheduler hiccups: 99%).
        gaps = np.diff(t)
        assert len(states) >= 0.9 * (t1 - t0) * 50
        assert np.percentile(gaps, 99) <= 0.02
        assert {s.backend for s in states} == {"sim"}
        # Final pose is the last keyframe (float32 on the wire).
        np.testing.assert_allclose(client.request_state().q, last, atol=1e-3)
        np.testing.assert_allclose(states[-1].q, last, atol=1e-3)
        counters = client.request_status()["counters"]
        assert counters["played"] == 1
        assert counters["done"] == 1
        assert counters["rejected"] == 0


def test_play_while_moving_is_rejected_busy(
    long_plan: tuple[np.ndarray, float, np.ndarray],
) -> None:
    vector, duration, _ = long_plan
    with sim_bridge(speed=SPEED) as (bridge, client):
        client.play(1, vector)
        client.wait_for(osc.STARTED, 1)
        client.play(2, vector)
        rej = client.wait_for(osc.REJECTED, 2)
        assert str(rej.args[1]).startswith("busy")
        assert client.wait_for(END, 1, timeout=duration / SPEED + 5).address == osc.DONE
        assert bridge.counters()["busy"] == 1


def test_stop_latches_smoothly_and_reset_releases(
    long_plan: tuple[np.ndarray, float, np.ndarray],
) -> None:
    vector, _, _ = long_plan
    speed = 4.0  # slow enough that the stop is resolved by many state samples
    with sim_bridge(speed=speed) as (bridge, client):
        client.play(1, vector)
        t0 = float(client.wait_for(osc.STARTED, 1).args[1])
        wait_until(lambda: client.n_states > 40, what="motion")
        client.stop()
        aborted = client.wait_for(END, 1, timeout=3)
        assert aborted.address == osc.ABORTED
        assert "stop" in str(aborted.args[1])
        wait_until(lambda: bridge.mode == "latched", what="stopped")
        client.play(2, vector)
        assert str(client.wait_for(osc.REJECTED, 2).args[1]).startswith("stop latched")
        _assert_came_to_rest_within_limits(client, t0, speed)
        client.reset()
        client.play(3, vector)
        assert client.wait_for((osc.STARTED, osc.REJECTED), 3).address == osc.STARTED
        client.stop()
        client.wait_for(osc.ABORTED, 3)


def _assert_came_to_rest_within_limits(client: BridgeClient, t0: float, speed: float) -> None:
    # The pose the arm rests at; states of the stop still in flight arrive before the list
    # is read (reading it first raced with them under load).
    rest = client.request_state().q
    wait_until(
        lambda: np.allclose(client.states[-1].q, rest, atol=1e-4), what="the last state at rest"
    )
    states = [s for s in client.states if s.t >= t0]
    t = (np.array([s.t for s in states]) - t0) * speed  # plan time, s
    q = np.array([s.q for s in states])
    acc = second_difference_accel(t, q)
    # plan_stop may use the robot's full acceleration near a limit; never more.
    # Slack: float32 positions and wall-clock stamps of the state messages.
    assert np.all(acc.max(axis=0) <= MAX_ACCEL_DEG_S2 * 1.05 + 30.0), acc.max(axis=0)
    # The last state published is the pose the arm rests at.
    np.testing.assert_allclose(q[-1], rest, atol=1e-4)
    np.testing.assert_allclose(client.request_state().q, rest, atol=1e-6)
    moved = np.abs(q[-1] - q[0]).max()
    assert moved > 1.0, "the arm never moved"


def test_heartbeat_loss_stops_smoothly(long_plan: tuple[np.ndarray, float, np.ndarray]) -> None:
    vector, _, _ = long_plan
    speed = 4.0
    with sim_bridge(speed=speed, heartbeat_timeout_s=0.3) as (bridge, client):
        client.start_heartbeat(0.05)
        client.play(1, vector)
        t0 = float(client.wait_for(osc.STARTED, 1).args[1])
        wait_until(lambda: client.n_states > 40, what="motion")
        client.stop_heartbeat()
        fault = client.wait_for(osc.FAULT, timeout=3)
        assert "heartbeat lost" in str(fault.args[0])
        assert client.wait_for(END, 1, timeout=3).address == osc.ABORTED
        wait_until(lambda: bridge.mode == "latched", what="stopped")
        _assert_came_to_rest_within_limits(client, t0, speed)
        status = client.request_status()
        assert status["latched"]
        assert status["counters"]["heartbeat_lost"] == 1


def test_without_heartbeats_no_supervision(
    long_plan: tuple[np.ndarray, float, np.ndarray],
) -> None:
    vector, duration, _ = long_plan
    with sim_bridge(speed=SPEED, heartbeat_timeout_s=0.2) as (_, client):
        client.play(1, vector)
        assert client.wait_for(END, 1, timeout=duration / SPEED + 5).address == osc.DONE


def test_home_and_state_on_request(long_plan: tuple[np.ndarray, float, np.ndarray]) -> None:
    vector, duration, last = long_plan
    with sim_bridge(speed=SPEED) as (_, client):
        idle = client.request_state()
        np.testing.assert_allclose(idle.q, HOME_DEG, atol=1e-4)
        assert idle.backend == "sim"
        client.play(1, vector)
        client.wait_for(END, 1, timeout=duration / SPEED + 5)
        np.testing.assert_allclose(client.request_state().q, last, atol=1e-3)
        client.home()
        assert client.wait_for(osc.STARTED, osc.HOME_TRIAL).address == osc.STARTED
        assert client.wait_for(END, osc.HOME_TRIAL, timeout=10).address == osc.DONE
        np.testing.assert_allclose(client.request_state().q, HOME_DEG, atol=1e-3)


def test_bad_messages_are_rejected_counted_and_never_executed() -> None:
    good = random_vector(0)
    with sim_bridge(speed=SPEED) as (bridge, client):
        sends = {
            "unknown_address": osc.encode("/choreo/dance", ("i", 1)),
            "bad_arguments": osc.encode(osc.PLAY, ("i", 11), *[("f", 1.0)] * 196),
            "out_of_range": osc.encode_play(12, [*good[:-1], 256]),
            "malformed": osc.encode_play(13, good)[:-4],
            "oversized": b"/" + b"x" * 4000,
            "garbage": b"\x00\x01\x02\x03garbage",
        }
        for data in sends.values():
            client.send_raw(data)
        for trial, kind in ((11, "bad_arguments"), (12, "out_of_range"), (13, "malformed")):
            rej = client.wait_for(osc.REJECTED, trial)
            assert rej.args[0] == trial
            assert rej.args[1], kind
        wait_until(lambda: bridge.counters()["packets"] == len(sends), what="all counted")
        counters = client.request_status()["counters"]
        for kind in sends:
            assert counters[kind] == 1, kind
        assert counters["rejected"] == len(sends)
        assert counters["played"] == 0
        assert bridge.mode == "idle"
        np.testing.assert_allclose(client.request_state().q, HOME_DEG, atol=1e-4)


def test_unsafe_choreography_is_rejected_with_the_reason() -> None:
    cfg = robot_config_with(load_robot_config(), stretch="reject")
    vector = random_vector(0).copy()
    vector[6::7] = 0  # every segment as short as possible: too fast for the limits
    verdict = check_choreography(vector, cfg)
    assert not verdict.ok
    with sim_bridge(cfg, speed=SPEED) as (bridge, client):
        client.play(5, vector)
        rej = client.wait_for((osc.STARTED, osc.REJECTED), 5)
        assert rej.address == osc.REJECTED
        assert rej.args[1] == verdict.reason
        assert bridge.counters()["unsafe"] == 1


def test_allow_list_refuses_other_senders() -> None:
    with sim_bridge(allow=["127.0.0.2"]) as (bridge, client):
        client.send_raw(osc.encode(osc.STATUS))
        with pytest.raises(StreamError):
            client.wait_for(osc.STATUS, timeout=0.3)
        with BridgeClient(bridge.address, listen=("127.0.0.2", 0)) as allowed:
            status = allowed.request_status()
        assert status["counters"]["sender_not_allowed"] == 1


def test_binding_off_loopback_needs_an_allow_list() -> None:
    with pytest.raises(ValueError, match="allow-list"):
        BridgeSettings(listen=("0.0.0.0", 9000))
    settings = BridgeSettings(backend="rsi", speed=2.0)
    with pytest.raises(ConfigError, match="speed"):
        Bridge(settings)


def test_required_heartbeat_supervises_from_the_start(
    long_plan: tuple[np.ndarray, float, np.ndarray],
) -> None:
    vector, _, _ = long_plan
    with sim_bridge(speed=4.0, heartbeat_timeout_s=0.2, require_heartbeat=True) as (
        bridge,
        client,
    ):
        client.play(1, vector)  # never a heartbeat
        assert client.wait_for(osc.STARTED, 1).address == osc.STARTED
        assert "heartbeat lost" in str(client.wait_for(osc.FAULT, timeout=2).args[0])
        assert client.wait_for(END, 1, timeout=2).address == osc.ABORTED
        client.reset()
        wait_until(lambda: bridge.mode == "idle", what="idle after reset")
