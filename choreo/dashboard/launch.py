"""Start the dashboard beside a command (``--dashboard``) and say where it is."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from choreo.dashboard.state import DashboardFeed


@contextmanager
def maybe_dashboard(
    source: str,
    enabled: bool,
    host: str = "127.0.0.1",
    port: int = 8765,
    console: Any = None,
) -> Iterator[DashboardFeed | None]:
    """A :class:`DashboardFeed` served at ``http://host:port/`` while the block runs,
    or ``None`` when not ``enabled``; prints the page's address (with its token off
    loopback)."""
    if not enabled:
        yield None
        return
    from choreo.dashboard.server import serve_dashboard
    from choreo.ui.console import make_console

    console = console or make_console(stderr=True)
    feed = DashboardFeed(source)
    server = serve_dashboard(feed, host=host, port=port)
    console.print(f"dashboard: [bold]{server.url}[/bold]", soft_wrap=True)
    if server.token:
        console.print("dashboard: not on loopback, so the page needs the token in its address")
    try:
        yield feed
    finally:
        # Tell the open pages before they lose the server (a few snapshot periods).
        feed.publish(phase="ended", message=f"choreo {source} has ended; the page stops here")
        time.sleep(0.3)
        server.close()
