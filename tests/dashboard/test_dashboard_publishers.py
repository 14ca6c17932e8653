"""``choreo monitor`` and ``choreo bridge`` publish into the dashboard what they show."""

from __future__ import annotations

import io
import math

import numpy as np
from rich.console import Console

from choreo.dashboard.state import DashboardFeed
from choreo.robot.kr6 import HOME_DEG, joint_positions


def test_monitor_publishes_quality_band_power_and_every_window() -> None:
    from choreo.eeg.monitor import monitor_source
    from choreo.eeg.sources.synthetic import SyntheticEEG

    src = SyntheticEEG("muse2016", seed=1, relaxation=0.6, duration=8.0)
    feed = DashboardFeed("monitor")
    state = monitor_source(src, console=Console(file=io.StringIO()), feed=feed)
    snap = feed.snapshot()
    # The EEG channels the monitor's table lists (the Muse's AUX input is not scored).
    assert snap["channels"] == ["TP9", "AF7", "AF8", "TP10"]
    assert len(snap["quality"]) == 4
    assert set(snap["quality"]) <= {"good", "medium", "bad", "none"}
    # Every window the monitor scored reached the feed, in order, with its values.
    assert snap["n_points"] == state.windows
    t = [p[1] for p in snap["points"]]
    assert t == sorted(t)
    assert snap["rel_alpha"] == state.rel_alpha
    assert math.isclose(snap["points"][-1][4], state.rel_alpha)


def test_bridge_publishes_its_mode_and_the_arm_pose() -> None:
    from choreo.robot.bridge import Bridge
    from choreo.robot.bridge_settings import BridgeSettings
    from choreo.session.demo import free_udp_port

    port = free_udp_port()
    bridge = Bridge(BridgeSettings(listen=("127.0.0.1", port), reply=None, backend="sim"))
    bridge.start()
    try:
        feed = DashboardFeed("bridge")
        feed.publish_bridge(bridge)
        snap = feed.snapshot()
        assert snap["phase"] == bridge.mode == "idle"
        assert snap["backend"] == bridge.backend_name
        np.testing.assert_allclose(snap["joints"], HOME_DEG, atol=1e-3)
        np.testing.assert_allclose(snap["arm"], joint_positions(HOME_DEG), atol=1e-4)
    finally:
        bridge.close()
