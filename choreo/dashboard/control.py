"""The artist's commands acting on a live session (called from the session loop).

The session calls :func:`hold_while_paused` between trials and :func:`skip_requested`
within one; *stop* is raised from :meth:`DashboardFeed.check_stop` in its EEG pump, as a
Ctrl-C would be, so the session's own shutdown (robot home, end record, recording
closed) runs.
"""

from __future__ import annotations

from typing import Any

from choreo.dashboard.state import DashboardFeed

#: The reason a skipped trial records (status ``rejected``: never proposed again, unscored).
SKIPPED = "skipped from the dashboard"


def hold_while_paused(session: Any, feed: DashboardFeed | None) -> None:
    """Hold ``session`` (a :class:`choreo.session.live.LiveSession`) while the artist has
    it paused: EEG, heartbeat and the dashboard go on; ``pause``/``resume`` are recorded."""
    if feed is None or not feed.paused:
        return
    import pylsl

    status = session.status
    status.phase = "paused"
    status.message = "paused from the dashboard: press Resume to go on"
    session.view.say("paused from the dashboard")
    session._append({"kind": "pause", "reason": "dashboard", "t": pylsl.local_clock()})
    while feed.paused:
        session._pump(0.1)  # raises SessionStopRequested when stop is pressed meanwhile
    session._append({"kind": "resume", "reason": "dashboard", "t": pylsl.local_clock()})
    session.view.say("resumed from the dashboard")
    status.message = ""


def skip_requested(feed: DashboardFeed | None) -> bool:
    """Whether the artist asked to skip the trial now running."""
    return feed is not None and feed.take_skip()
