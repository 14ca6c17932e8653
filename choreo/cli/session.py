"""Commands of the session area, registered on :data:`choreo.cli.app`.

Each command parses its options and calls one function of :mod:`choreo.session`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from choreo.cli import app, bench_app  # noqa: F401
from choreo.cli.options import Dashboard, DashboardHost, DashboardPort


@app.command("session")
def session_command(
    config: Annotated[Path | None, typer.Option(help="Session settings (TOML).")] = None,
    name: Annotated[str | None, typer.Option(help="Session directory name prefix.")] = None,
    resume: Annotated[
        Path | None,
        typer.Option(help="Continue this session directory from its last complete trial."),
    ] = None,
    skip_check: Annotated[
        bool, typer.Option("--skip-check", help="Skip the signal check before the baseline.")
    ] = False,
    starts_from: Annotated[
        list[str] | None,
        typer.Option(
            "--starts-from",
            help="An earlier session directory (repeatable): start from what relaxed"
            " its person ([learner] starts_from).",
        ),
    ] = None,
    dashboard: Dashboard = False,
    dashboard_host: DashboardHost = "127.0.0.1",
    dashboard_port: DashboardPort = 8765,
) -> None:
    """Run a live session: headset over LSL, robot bridge over OSC, the learner in between."""
    from choreo.dashboard.launch import maybe_dashboard
    from choreo.session.live import run_session
    from choreo.session.settings import load_session_settings
    from choreo.ui.session_summary import print_session_result

    settings = (
        None
        if resume is not None
        else load_session_settings(config, skip_check=skip_check, starts_from=starts_from)
    )
    with maybe_dashboard("session", dashboard, dashboard_host, dashboard_port) as feed:
        result = run_session(settings, name=name, resume=resume, feed=feed)
    print_session_result(result)


@app.command("demo")
def demo_command(
    config: Annotated[Path | None, typer.Option(help="Demo settings (TOML).")] = None,
    trials: Annotated[int | None, typer.Option(help="Number of scored trials.")] = None,
    dashboard: Dashboard = False,
    dashboard_host: DashboardHost = "127.0.0.1",
    dashboard_port: DashboardPort = 8765,
) -> None:
    """The whole loop without hardware: synthetic participant, simulated robot, real learning."""
    from choreo.dashboard.launch import maybe_dashboard
    from choreo.session.demo import run_demo
    from choreo.ui.session_summary import print_demo_result

    with maybe_dashboard("session", dashboard, dashboard_host, dashboard_port) as feed:
        result = run_demo(config, trials=trials, feed=feed)
    print_demo_result(result)


@app.command("replay-session")
def replay_session_command(
    directory: Annotated[Path, typer.Argument(help="A session directory.")],
    tolerance: Annotated[float, typer.Option(help="Largest score difference that agrees.")] = 1e-6,
    dashboard: Annotated[
        bool,
        typer.Option(
            "--dashboard",
            help="Instead of comparing: play the session into the dashboard (Ctrl-C ends).",
        ),
    ] = False,
    speed: Annotated[float, typer.Option(help="--dashboard: session seconds per second.")] = 1.0,
    dashboard_host: DashboardHost = "127.0.0.1",
    dashboard_port: DashboardPort = 8765,
) -> None:
    """Recompute a session's scores from its XDF and re-run its learner; compare with live."""
    if dashboard:
        from choreo.dashboard.replay import play_session

        play_session(directory, speed, dashboard_host, dashboard_port)
        return
    from choreo.ui.session_summary import print_replay_result, replay_with_progress

    result = replay_with_progress(directory, tolerance)
    print_replay_result(result)
    if not result.agrees:
        raise typer.Exit(1)


@app.command("report")
def report_command(
    directory: Annotated[Path, typer.Argument(help="A session directory.")],
) -> None:
    """Write a session's plots and HTML page to DIR/report/."""
    from choreo.session.report import make_report
    from choreo.ui.session_summary import print_report

    print_report(make_report(directory))
