"""Commands ``score`` (a recording) and ``monitor`` (a live LSL stream)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from choreo.cli import app
from choreo.cli.options import Dashboard, DashboardHost, DashboardPort


@app.command()
def score(
    file: Annotated[Path, typer.Argument(help="Recording: muselsl CSV, XDF, FIF, EDF, BDF...")],
    device: Annotated[
        str | None, typer.Option(help="Device profile name or TOML path (default: matched).")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the per-window values as JSON here.")
    ] = None,
    plot: Annotated[Path | None, typer.Option(help="Write a PNG plot here.")] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            help="Baseline: a JSON from --save-baseline, or a recording whose accepted windows "
            "form it (default: the first calibration_s seconds of FILE)."
        ),
    ] = None,
    save_baseline: Annotated[
        Path | None,
        typer.Option(help="Write FILE's own baseline (all its accepted windows) as JSON here."),
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="EEG settings TOML (default: choreo/configs/eeg.toml).")
    ] = None,
) -> None:
    """Score a recording: per-channel quality, relative alpha/theta, relaxation index, score."""
    from choreo.eeg.monitor import run_score_command

    run_score_command(file, device, json_out, plot, baseline, config, save_baseline)


@app.command()
def monitor(
    name: Annotated[str | None, typer.Option(help="LSL stream name.")] = None,
    type: Annotated[str | None, typer.Option(help="LSL stream type.")] = "EEG",
    source_id: Annotated[str | None, typer.Option(help="LSL source_id.")] = None,
    device: Annotated[str | None, typer.Option(help="Device profile name or TOML path.")] = None,
    config: Annotated[
        Path | None, typer.Option(help="EEG settings TOML (default: choreo/configs/eeg.toml).")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds to look for the stream.")] = 5.0,
    duration: Annotated[
        float | None, typer.Option(help="Stop after this many seconds (default: Ctrl-C).")
    ] = None,
    dashboard: Dashboard = False,
    dashboard_host: DashboardHost = "127.0.0.1",
    dashboard_port: DashboardPort = 8765,
) -> None:
    """Show an LSL EEG stream live: per-channel quality, band power and score (Ctrl-C stops)."""
    from choreo.dashboard.launch import maybe_dashboard
    from choreo.eeg.monitor import run_monitor

    with maybe_dashboard("monitor", dashboard, dashboard_host, dashboard_port) as feed:
        run_monitor(name, type, source_id, device, config, timeout, duration, feed=feed)
