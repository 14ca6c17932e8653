"""The bridge's RSI backend against the fake KUKA controller on loopback, and the fallback.

RSI runs at the controller's pace (no --speed), so these tests use short
choreographies under a fast configuration (:func:`bridge_fixtures.fast_config`).
"""

from __future__ import annotations

import socket
import time

import numpy as np
import pytest
from bridge_fixtures import FakeKukaProcess, fast_config, free_udp_port, short_vector, wait_until

from choreo.robot import osc_protocol as osc
from choreo.robot.backends.rsi import RsiBackend
from choreo.robot.bridge import Bridge
from choreo.robot.bridge_settings import BridgeSettings
from choreo.robot.client import BridgeClient
from choreo.robot.config import RobotConfig
from choreo.robot.fake_kuka import FakeKukaController
from choreo.robot.kr6 import HOME_DEG
from choreo.robot.rsi_xml import format_rob, parse_sen
from choreo.robot.safety import check_choreography

END = (osc.DONE, osc.ABORTED, osc.FAULT)


@pytest.fixture(scope="module")
def cfg() -> RobotConfig:
    return fast_config()


def rsi_address(bridge: Bridge) -> tuple[str, int]:
    assert isinstance(bridge.backend, RsiBackend)
    return bridge.backend.address


def rsi_settings(**changes: object) -> BridgeSettings:
    base: dict[str, object] = {
        "listen": ("127.0.0.1", 0),
        "reply": None,
        "backend": "rsi",
        "rsi_listen": ("127.0.0.1", 0),
    }
    return BridgeSettings(**{**base, **changes})


@pytest.mark.parametrize("cycle_ms", [4, 12])
def test_rsi_exchange_performs_the_plan(cfg: RobotConfig, cycle_ms: int) -> None:
    vector = short_vector(cfg)
    verdict = check_choreography(vector, cfg)
    assert verdict.plan is not None
    with Bridge(rsi_settings(), cfg) as bridge, BridgeClient(bridge.address) as client:
        assert bridge.backend is not None
        fake = FakeKukaProcess(rsi_address(bridge), cycle_ms=cycle_ms)
        try:
            wait_until(lambda: bridge.backend is not None and bridge.backend.not_ready() is None)
            client.play(1, vector)
            assert client.wait_for((osc.STARTED, osc.REJECTED), 1).address == osc.STARTED
            done = client.wait_for(END, 1, timeout=verdict.plan.duration + 3)
            assert done.address == osc.DONE, done
            time.sleep(3 * cycle_ms / 1000)  # the last setpoint reaches the robot next cycle
            states = list(client.states)
        finally:
            summary = fake.finish()
    # Corrections were applied: the fake robot ends at the plan's last pose (4 decimals).
    np.testing.assert_allclose(summary["position_deg"], verdict.plan.q[-1], atol=2e-4)
    # Every telegram answered with its IPOC within the cycle.
    assert summary["missed"] == 0, summary
    assert summary["foreign"] == 0
    assert summary["answered"] >= summary["sent"] - 1
    assert summary["answered"] > verdict.plan.duration / (cycle_ms / 1000) * 0.9
    # The setpoints the robot received respect the (scaled) limits of the plan.
    assert np.all(np.array(summary["max_speed_deg_s"]) <= cfg.max_speed * 1.02 + 0.1)
    assert {s.backend for s in states} == {"rsi"}
    assert len(states) > verdict.plan.duration * 50 * 0.9


def test_rsi_answers_a_hand_made_telegram(cfg: RobotConfig) -> None:
    with Bridge(rsi_settings(), cfg) as bridge:
        assert bridge.backend is not None
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as ctrl:
            ctrl.settimeout(1.0)
            for ipoc in (1000, 1004):
                ctrl.sendto(format_rob(ipoc, list(HOME_DEG)), rsi_address(bridge))
                sen = parse_sen(ctrl.recv(4096))
                assert sen.ipoc == ipoc
                assert sen.ak == (0.0,) * 6  # holding the start pose


def test_auto_without_controller_falls_back_and_says_so(cfg: RobotConfig) -> None:
    port = free_udp_port()
    settings = rsi_settings(
        backend="auto", rsi_listen=("127.0.0.1", port), rsi_connect_timeout_s=0.3
    )
    with Bridge(settings, cfg) as bridge, BridgeClient(bridge.address) as client:
        expected = f"sim (fallback: no RSI controller at 127.0.0.1:{port})"
        assert bridge.backend_name == expected
        assert client.request_state().backend == expected
        client.play(1, short_vector(cfg))
        client.wait_for(osc.STARTED, 1)
        wait_until(lambda: client.n_states > 5)
        assert {s.backend for s in client.states} == {expected}
        assert client.wait_for(END, 1, timeout=10).address == osc.DONE


def test_auto_with_controller_uses_rsi(cfg: RobotConfig) -> None:
    port = free_udp_port()
    settings = rsi_settings(
        backend="auto", rsi_listen=("127.0.0.1", port), rsi_connect_timeout_s=2.0
    )
    # A patient controller: it keeps sending while the bridge starts its RSI process.
    with FakeKukaController(("127.0.0.1", port), max_late=10**6), Bridge(settings, cfg) as bridge:
        assert bridge.backend_name == "rsi"


def test_controller_lost_mid_performance_is_a_fault_not_a_switch(cfg: RobotConfig) -> None:
    from bridge_fixtures import LONG_SEED

    from choreo.robot.codec import random_vector

    with Bridge(rsi_settings(rsi_loss_timeout_s=0.1), cfg) as bridge:
        assert bridge.backend is not None
        client = BridgeClient(bridge.address)
        fake = FakeKukaProcess(rsi_address(bridge))
        wait_until(lambda: bridge.backend is not None and bridge.backend.not_ready() is None)
        client.play(1, random_vector(LONG_SEED))
        assert client.wait_for((osc.STARTED, osc.REJECTED), 1).address == osc.STARTED
        wait_until(lambda: client.n_states > 10)
        fake.kill()  # the controller goes away mid-performance
        fault = client.wait_for(osc.FAULT, timeout=2)
        assert "lost" in str(fault.args[0])
        aborted = client.wait_for(END, 1, timeout=2)
        assert aborted.address == osc.ABORTED
        assert bridge.backend_name == "rsi"  # never switched to the simulator
        client.play(2, short_vector(cfg))
        assert str(client.wait_for(osc.REJECTED, 2).args[1]).startswith("fault")
        client.reset()
        client.play(3, short_vector(cfg))
        assert str(client.wait_for(osc.REJECTED, 3).args[1]).startswith("not ready")
        client.close()


def test_fake_controller_stops_rsi_after_100_missed_answers() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        fake = FakeKukaController(silent.getsockname(), cycle_ms=4).start()
        assert fake.wait(timeout=3.0), "RSI should have stopped by itself"
        fake.stop()
    assert fake.stats.missed == 100
    assert fake.stats.answered == 0
    assert fake.stats.sent == 100
    assert fake.stats.stopped_reason is not None
    assert "100 answers missed" in fake.stats.stopped_reason


def test_fake_controller_ignores_late_and_foreign_answers() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as pc:
        pc.bind(("127.0.0.1", 0))
        pc.settimeout(1.0)
        fake = FakeKukaController(pc.getsockname(), cycle_ms=12, max_late=5).start()
        data, addr = pc.recvfrom(4096)
        first = data
        pc.recvfrom(4096)  # let the first telegram's cycle pass
        from choreo.robot.rsi_xml import format_sen, parse_rob

        ipoc = parse_rob(first).ipoc
        pc.sendto(format_sen((1.0,) * 6, ipoc), addr)  # too late
        pc.sendto(b"<garbage/>", addr)
        assert fake.wait(timeout=2.0)
        fake.stop()
    assert fake.stats.late >= 1
    assert fake.stats.foreign >= 1
    np.testing.assert_allclose(fake.position, HOME_DEG)  # late corrections never applied


def test_stop_over_rsi_is_smooth_and_within_limits() -> None:
    from bridge_fixtures import LONG_SEED

    from choreo.robot.codec import random_vector
    from choreo.robot.config import load_robot_config
    from choreo.robot.kr6 import MAX_ACCEL_DEG_S2, MAX_SPEED_DEG_S

    cfg = load_robot_config()  # the shipped limits (x0.3): a calm stop to check
    with Bridge(rsi_settings(), cfg) as bridge, BridgeClient(bridge.address) as client:
        fake = FakeKukaProcess(rsi_address(bridge))
        try:
            wait_until(lambda: bridge.backend is not None and bridge.backend.not_ready() is None)
            client.play(1, random_vector(LONG_SEED))
            assert client.wait_for((osc.STARTED, osc.REJECTED), 1).address == osc.STARTED
            time.sleep(0.6)  # well into the first segment, moving
            client.stop()
            assert client.wait_for(END, 1, timeout=3).address == osc.ABORTED
            wait_until(lambda: bridge.mode == "latched", what="at rest")
            time.sleep(0.05)  # poses are reported every 10 ms; the last stop samples land
            rest = client.request_state().q
            time.sleep(0.2)
            still = client.request_state().q
        finally:
            summary = fake.finish()
    np.testing.assert_allclose(still, rest, atol=1e-3)  # it stays where it stopped
    np.testing.assert_allclose(summary["position_deg"], rest, atol=1e-3)
    assert summary["missed"] == 0
    # Every setpoint the controller received, through the splice: within the robot's limits
    # (4-decimal setpoints add ~10 deg/s^2 of quantisation to a 4 ms second difference).
    assert np.all(np.array(summary["max_accel_deg_s2"]) <= MAX_ACCEL_DEG_S2 * 1.02 + 15.0)
    assert np.all(np.array(summary["max_speed_deg_s"]) <= MAX_SPEED_DEG_S * cfg.speed_scale * 1.02)


def test_rsi_listens_on_the_configured_sensor_port_by_default() -> None:
    """Without rsi_listen the bridge listens on every interface on ``rsi.sensor_port``,
    the port the controller files written from the same configuration send to."""
    assert BridgeSettings().rsi_endpoint(49152) == ("0.0.0.0", 49152)
    assert BridgeSettings(rsi_listen=("127.0.0.1", 5)).rsi_endpoint(49152) == ("127.0.0.1", 5)
