"""``choreo report`` writes the dashboard page, static, with the session's data inside;
checked on a real recorded session, and in Chromium when it is installed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
from session_helpers import fast_settings

from choreo.session.live import run_session
from choreo.session.report import make_report
from choreo.session.store import SessionStore


@pytest.fixture(scope="module")
def reported(tmp_path_factory, request) -> Path:  # type: ignore[no-untyped-def]
    """A real session of two trials on the simulator, recorded to XDF, then reported."""
    import uuid

    from session_helpers import BridgeProcess, PausableEEG

    root = tmp_path_factory.mktemp("report")
    name = f"choreo-test-dash-report-{uuid.uuid4().hex[:8]}"
    eeg = PausableEEG(name)
    bridge = BridgeProcess(speed=30.0)
    try:
        settings = fast_settings(root, name, bridge.port, trials=2, record=True)
        result = run_session(settings, name="dash-report")
    finally:
        bridge.close()
        eeg.close()
    make_report(result.path, gif=False)
    return result.path


def embedded(page: str) -> dict:  # type: ignore[type-arg]
    m = re.search(r"window\.CHOREO_REPORT = (\{.*?\});</script>", page, re.S)
    assert m is not None
    return json.loads(m.group(1).replace("<\\/", "</"))  # type: ignore[no-any-return]


def test_report_page_embeds_the_recorded_session(reported: Path) -> None:
    page = (reported / "report" / "dashboard.html").read_text()
    assert "static/" not in page  # everything inlined: the file opens on its own
    assert "uPlot" in page
    data = embedded(page)
    store = SessionStore.open(reported)
    trials = store.trials()
    snap = data["snapshot"]
    assert snap["scores"] == [pytest.approx(t["score"], abs=1e-4) for t in trials]
    assert [r["trial"] for r in data["trials"]] == [t["trial"] for t in trials]
    assert [r["score"] for r in data["trials"]] == [
        pytest.approx(t["score"], abs=1e-3) for t in trials
    ]
    # Every feedback window the session recorded, in time order, scored against the baseline.
    t = np.array([p[1] for p in snap["points"]])
    assert np.all(np.diff(t) > 0)
    for tr in trials:  # the windows of every trial are there
        assert np.sum((t >= tr["started"]) & (t <= tr["done"])) >= tr["n_windows"]
    base = next(r for r in store.records() if r["kind"] == "baseline")
    assert t[0] < base["end"] < t[-1]
    # The seeds and settings as a readable table, not a raw dict.
    rows = {r["what"]: r["value"] for r in data["settings"]}
    assert rows["seed of the learner"] == "3"
    assert rows["trials asked for"] == "2"
    # The best choreography, its keyframes as arm poses (7 points each, metres).
    assert snap["best_trial"] in (1, 2)
    assert np.asarray(snap["best_path"]["arm_keyframes"]).shape == (28, 7, 3)
    assert "dashboard.html" in (reported / "report" / "index.html").read_text()


def test_report_page_in_chromium(reported: Path, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto((reported / "report" / "dashboard.html").as_uri())
    page.wait_for_function("window.choreo.last !== null", timeout=10_000)
    assert errors == []
    assert page.is_hidden("#controls")  # a report has nothing to control
    rows = page.locator("#trials-table tr").count()
    assert rows == 1 + len(SessionStore.open(reported).trials())
    assert "seed of the learner" in page.inner_text("#seeds-table")
    assert page.text_content("#phase") == "finished"
    # The plot holds every recorded window; the arm steps through the keyframes.
    n = page.evaluate("window.choreo.last.points.length")
    assert n > 20
    first = page.inner_text("#joint-values")
    page.wait_for_timeout(1700)
    assert page.inner_text("#joint-values") != first
    page.screenshot(path=str(tmp_path / "report.png"), full_page=True)
    assert (tmp_path / "report.png").stat().st_size > 50_000
    page.close()


def test_replay_plays_the_recorded_session_into_the_feed(reported: Path) -> None:
    from choreo.dashboard.replay import replay_into_feed
    from choreo.dashboard.state import DashboardFeed

    feed = DashboardFeed("replay")
    seen: list[dict] = []  # type: ignore[type-arg]
    stats = replay_into_feed(
        reported, feed, speed=4.0, sleep=lambda s: seen.append(feed.snapshot(10**9))
    )
    store = SessionStore.open(reported)
    trials = store.trials()
    snap = feed.snapshot()
    # Every recorded window, once, in order; the trials' scores as recorded.
    page = (reported / "report" / "dashboard.html").read_text()
    recorded = [p[1] for p in embedded(page)["snapshot"]["points"]]
    assert [p[1] for p in snap["points"]] == pytest.approx(recorded)
    assert stats.n_points == len(recorded)
    assert snap["scores"] == [pytest.approx(t["score"]) for t in trials]
    assert stats.n_trials == len(trials)
    assert not stats.stopped
    # The phases follow the records; the arm moves during the trials, home otherwise.
    phases = [s["phase"] for s in seen]
    assert "baseline" in phases
    assert "trial" in phases
    moving = {tuple(s["joints"]) for s in seen if s["phase"] == "trial"}
    assert len(moving) > 5
    # At 4x real time, a tick of 0.05 s plays 0.2 s of the session.
    assert stats.played_s == pytest.approx(len(seen) * 0.2, rel=0.05)
    assert (
        snap["best_trial"]
        == max((t for t in trials if t["status"] == "scored"), key=lambda t: t["score"])["n"]
    )


def test_replay_stop_and_skip_from_the_dashboard(reported: Path) -> None:
    from choreo.dashboard.replay import replay_into_feed
    from choreo.dashboard.state import DashboardFeed

    feed = DashboardFeed("replay")
    phases: list[str] = []

    def tick(_: float) -> None:
        s = feed.snapshot(10**9)
        phases.append(s["phase"])
        if s["phase"] == "trial" and phases.count("trial") == 1:
            assert feed.command("skip").startswith("skipping")
        if len(s["scores"]) == 1:
            feed.command("stop")

    stats = replay_into_feed(reported, feed, speed=2.0, sleep=tick)
    assert stats.stopped
    assert phases.count("trial") <= 2  # the first trial skipped to its end at once
    assert feed.snapshot()["phase"] == "stopped"
