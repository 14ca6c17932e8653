"""The dashboard's feed and web server: snapshots over HTTP and a websocket, the token."""

from __future__ import annotations

import json
import math
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass

import numpy as np
import pytest
from websockets.sync.client import connect

from choreo.dashboard.server import is_loopback, serve_dashboard
from choreo.dashboard.state import DashboardFeed, SessionStopRequested
from choreo.robot.kr6 import HOME_DEG, joint_positions


@dataclass
class Window:
    t: float
    score: float
    rel_alpha: float
    rel_theta: float
    accepted: bool = True


@pytest.fixture
def served():
    feed = DashboardFeed("session")
    server = serve_dashboard(feed, port=0)
    yield feed, server
    server.close()


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_snapshot_carries_published_values_nan_as_null_and_the_arm(served):
    feed, server = served
    feed.publish(phase="trial", score=math.nan, rel_alpha=0.31, trial=2, n_trials=5)
    feed.set_joints(HOME_DEG, lsl_t=12.5)
    code, body = get(f"http://127.0.0.1:{server.port}/api/state")
    assert code == 200
    snap = json.loads(body)
    assert snap["phase"] == "trial"
    assert snap["trial"] == 2
    assert snap["rel_alpha"] == pytest.approx(0.31)
    assert snap["score"] is None  # NaN is no JSON: sent as null
    assert snap["joints"] == pytest.approx(HOME_DEG.tolist())
    assert np.allclose(snap["arm"], joint_positions(HOME_DEG), atol=1e-4)
    assert snap["arm"][-1] == pytest.approx([0.525, 0.0, 0.89], abs=1e-4)  # the flange


def test_page_and_vendored_plot_library_are_served(served):
    _, server = served
    code, page = get(f"http://127.0.0.1:{server.port}/")
    assert code == 200
    assert b"Signal quality per electrode" in page
    code, lib = get(f"http://127.0.0.1:{server.port}/static/vendor/uPlot.iife.min.js")
    assert code == 200
    assert len(lib) > 40_000


def test_websocket_pushes_at_least_10_hz_and_sends_only_new_points(served):
    feed, server = served
    feed.push_feedback([Window(1.0 + i / 10, 0.1 * i, 0.3, 0.2) for i in range(5)])
    stop = threading.Event()

    def publisher() -> None:
        k = 5
        while not stop.is_set():
            feed.push_feedback([Window(1.0 + k / 10, 0.1 * k, 0.3, 0.2)])
            k += 1
            time.sleep(0.05)

    th = threading.Thread(target=publisher)
    th.start()
    try:
        with connect(f"ws://127.0.0.1:{server.port}/ws") as ws:
            t0 = time.monotonic()
            snaps = [json.loads(ws.recv(timeout=2)) for _ in range(15)]
            elapsed = time.monotonic() - t0
    finally:
        stop.set()
        th.join()
    assert 14 / elapsed >= 10.0  # >= 10 snapshots a second
    indices = [p[0] for s in snaps for p in s["points"]]
    assert indices[:5] == [1, 2, 3, 4, 5]
    assert indices == sorted(set(indices))  # each point once, in order
    assert snaps[-1]["n_points"] == indices[-1]


def test_commands_over_websocket_and_http_act_on_the_feed(served):
    feed, server = served
    feed.publish(phase="rest")
    with connect(f"ws://127.0.0.1:{server.port}/ws") as ws:
        ws.send(json.dumps({"command": "pause"}))
        reply = None
        while reply is None:
            msg = json.loads(ws.recv(timeout=2))
            reply = msg.get("reply")
        assert reply.startswith("pausing")
        ws.send(json.dumps({"ping": "abc"}))
        while "pong" not in (msg := json.loads(ws.recv(timeout=2))):
            pass
        assert msg["pong"] == "abc"
    assert feed.paused
    # Skip between trials does nothing; during one it is taken once.
    assert feed.command("skip").startswith("no trial")
    assert not feed.take_skip()
    feed.publish(phase="trial")
    req = urllib.request.Request(f"http://127.0.0.1:{server.port}/api/command/skip", method="POST")
    with urllib.request.urlopen(req, timeout=5) as resp:
        assert json.loads(resp.read())["reply"].startswith("skipping")
    assert feed.take_skip()
    assert not feed.take_skip()
    req = urllib.request.Request(
        f"http://127.0.0.1:{server.port}/api/command/explode", method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(req, timeout=5)
    assert info.value.code == 400
    feed.check_stop()  # not pressed yet: no effect
    feed.command("stop")
    with pytest.raises(SessionStopRequested, match="stopped from the dashboard"):
        feed.check_stop()


def test_token_is_required_when_set_and_refused_without():
    feed = DashboardFeed("monitor")
    with serve_dashboard(feed, port=0, token="s3cret") as server:
        base = f"http://127.0.0.1:{server.port}"
        assert server.url.endswith("?token=s3cret")
        assert get(f"{base}/api/state")[0] == 403
        assert get(f"{base}/api/state?token=wrong")[0] == 403
        assert get(f"{base}/api/state?token=s3cret")[0] == 200
        assert get(f"{base}/api/state", {"X-Choreo-Token": "s3cret"})[0] == 200
        with pytest.raises(Exception), connect(f"ws://127.0.0.1:{server.port}/ws") as ws:  # noqa: B017, PT011
            ws.recv(timeout=2)
        with connect(f"ws://127.0.0.1:{server.port}/ws?token=s3cret") as ws:
            assert json.loads(ws.recv(timeout=2))["source"] == "monitor"


def test_off_loopback_means_a_token():
    assert is_loopback("127.0.0.1")
    assert is_loopback("::1")
    assert is_loopback("localhost")
    assert not is_loopback("0.0.0.0")
    assert not is_loopback("192.168.1.20")


def test_a_taken_port_is_one_clear_error(served):
    from choreo.errors import StreamError

    _, server = served
    with pytest.raises(StreamError, match=f"cannot listen on 127.0.0.1:{server.port}"):
        serve_dashboard(DashboardFeed(), port=server.port)


def test_maybe_dashboard_serves_while_the_command_runs_and_says_where() -> None:
    import io
    import socket

    from rich.console import Console

    from choreo.dashboard.launch import maybe_dashboard

    with maybe_dashboard("session", False) as feed:
        assert feed is None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = io.StringIO()
    with maybe_dashboard("monitor", True, port=port, console=Console(file=out)) as feed:
        assert feed is not None
        feed.publish(phase="ok")
        assert json.loads(get(f"http://127.0.0.1:{port}/api/state")[1])["phase"] == "ok"
    assert f"http://127.0.0.1:{port}/" in out.getvalue()
    assert feed.snapshot()["phase"] == "ended"
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/state", timeout=2)
