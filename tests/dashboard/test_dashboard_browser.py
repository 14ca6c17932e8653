"""The dashboard in a real browser (Debian's Chromium, headless, driven by Playwright):
live values change, the buttons act on a real session on the simulator, screenshots."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from session_helpers import fast_settings

from choreo.dashboard.server import serve_dashboard
from choreo.dashboard.state import DashboardFeed
from choreo.session.live import run_session
from choreo.session.store import SessionStore

pytestmark = pytest.mark.slow


def _png_is_a_picture(path: Path) -> None:
    from PIL import Image

    img = np.asarray(Image.open(path).convert("L"), dtype=float)
    assert img.shape[0] > 400
    assert img.shape[1] > 600
    assert img.std() > 10  # not a blank page


def test_live_page_follows_the_session_and_its_buttons_act(  # type: ignore[no-untyped-def]
    tmp_path: Path, eeg, bridge_process, browser
) -> None:
    bridge = bridge_process(speed=8.0)  # trials of about 7 s
    settings = fast_settings(tmp_path, eeg.src.info.name, bridge.port, trials=4, record=False)
    feed = DashboardFeed("session")
    server = serve_dashboard(feed, port=0)
    out: dict[str, Any] = {}

    def session() -> None:
        try:
            out["result"] = run_session(settings, name="dash-browser", feed=feed)
        except BaseException as exc:  # reported by the assertions below
            out["error"] = exc

    th = threading.Thread(target=session, daemon=True)
    th.start()
    page = browser.new_page(viewport={"width": 1400, "height": 1100})
    page.on("dialog", lambda d: d.accept())  # "Stop the session?" -> yes
    try:
        page.goto(server.url)
        page.wait_for_function("window.choreo.received > 5", timeout=20_000)
        # Per-electrode quality: one chip per channel of the stream.
        page.wait_for_function(
            "document.querySelectorAll('#quality span').length === 5", timeout=20_000
        )
        chips = page.locator("#quality span").all_inner_texts()
        assert [c.split(":")[0] for c in chips] == list(eeg.src.info.ch_names)
        # Skip the first trial from its button, as soon as it plays.
        page.wait_for_function(
            "document.getElementById('phase').textContent === 'trial'", timeout=30_000
        )
        page.click("#btn-skip")
        page.wait_for_function(
            "document.getElementById('command-reply').textContent.startsWith('skipping')",
            timeout=5_000,
        )
        # The next trial plays (still the first to be scored).
        page.wait_for_function(
            "window.choreo.last.phase === 'trial' && window.choreo.last.trial === 1"
            " && window.choreo.last.events.some(e => e.includes('skipped'))",
            timeout=30_000,
        )
        # Live values: the score changes from window to window, the arm moves with the
        # bridge's state.
        scores, joints = set(), set()
        for _ in range(12):
            scores.add(page.inner_text("#score"))
            joints.add(page.inner_text("#joint-values"))
            page.wait_for_timeout(150)
        assert len(scores - {"—"}) >= 3
        assert len(joints) >= 3
        assert page.evaluate("window.choreo.last.n_points") > 10
        page.screenshot(path=str(tmp_path / "dashboard-trial.png"), full_page=True)
        # Pause during it: the session holds after it.
        page.click("#btn-pause")
        page.wait_for_function("window.choreo.last.phase === 'paused'", timeout=30_000)
        assert page.text_content("#phase") == "paused"
        assert page.evaluate("window.choreo.last.scores.length") == 1
        page.screenshot(path=str(tmp_path / "dashboard-paused.png"), full_page=True)
        page.wait_for_timeout(1000)
        assert page.evaluate("window.choreo.last.phase") == "paused"  # still holding
        page.click("#btn-resume")
        page.wait_for_function(
            "window.choreo.last.phase === 'trial' && window.choreo.last.trial === 2",
            timeout=30_000,
        )
        page.click("#btn-stop")
        th.join(60)
        assert not th.is_alive()
    finally:
        page.close()
        server.close()
    assert "error" not in out, out.get("error")
    result = out["result"]
    assert result.stopped == "stopped from the dashboard"
    trials = SessionStore.open(result.path).trials()
    assert [t["status"] for t in trials] == ["rejected", "scored"]
    assert trials[0]["cause"] == "skipped"
    records = SessionStore.open(result.path).records()
    assert ("pause", "dashboard") in [(r["kind"], r.get("reason")) for r in records]
    for name in ("dashboard-trial.png", "dashboard-paused.png"):
        _png_is_a_picture(tmp_path / name)


def test_monitor_and_bridge_pages_show_only_what_they_fill(browser) -> None:  # type: ignore[no-untyped-def]
    from choreo.robot.kr6 import HOME_DEG

    for source, shown, hidden in (
        ("monitor", ["#panel-quality", "#panel-feedback"], ["#panel-arm", "#panel-trials"]),
        ("bridge", ["#panel-arm"], ["#panel-quality", "#panel-trials", "#panel-feedback"]),
    ):
        feed = DashboardFeed(source)
        feed.set_joints(HOME_DEG)
        with serve_dashboard(feed, port=0) as server:
            page = browser.new_page()
            page.goto(server.url)
            page.wait_for_function("window.choreo.received > 1", timeout=10_000)
            for sel in shown:
                assert page.is_visible(sel), (source, sel)
            for sel in [*hidden, "#controls"]:
                assert page.is_hidden(sel), (source, sel)
            page.close()
