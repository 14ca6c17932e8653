"""Options several commands share: the browser dashboard (``--dashboard``)."""

from __future__ import annotations

from typing import Annotated

import typer

Dashboard = Annotated[
    bool,
    typer.Option("--dashboard", help="Serve the live dashboard page (prints its URL)."),
]
DashboardHost = Annotated[
    str,
    typer.Option(
        "--dashboard-host", help="Address the dashboard listens on (off loopback: a token)."
    ),
]
DashboardPort = Annotated[int, typer.Option("--dashboard-port", help="Dashboard TCP port.")]
