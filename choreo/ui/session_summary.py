"""Printed summaries of sessions, demos, replays and reports (rich tables)."""

from __future__ import annotations

import math
import os
from typing import Any

from rich.table import Table

from choreo.ui.console import make_console, progress_bar

console = make_console()


def _fmt(x: Any, spec: str = "+.3f") -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return format(x, spec) if isinstance(x, float | int) and not isinstance(x, bool) else str(x)


def print_session_result(result: Any) -> None:
    """One paragraph on a finished session."""
    console.print(
        f"session {result.stopped} after {result.duration_s:.0f} s: {result.n_scored} scored, "
        f"{result.n_invalid} invalid, {result.n_rejected} rejected trials"
    )
    console.print(f"session directory: [bold]{result.path}[/bold]")


def print_report(report: Any) -> None:
    """The trial table and where the report went."""
    table = Table(title=f"trials of {report.folder.parent.name}")
    for col in ("n", "id", "status", "score (z)", "windows", "rejected", "note"):
        table.add_column(col, justify="right" if col not in ("status", "note") else "left")
    for r in report.table:
        table.add_row(
            _fmt(r["n"], "d"),
            _fmt(r["trial"], "d"),
            str(r["status"]),
            _fmt(r["score"]),
            _fmt(r["n_windows"], "d"),
            _fmt(r["rejected_share"], ".0%"),
            str(r.get("note") or ""),
        )
    console.print(table)
    if getattr(report, "started_from", None):
        console.print(f"started from earlier sessions: {', '.join(report.started_from)}")
    console.print(
        f"mean score, first third of trials: {_fmt(report.first_third_mean, '+.2f')} z; "
        f"last third: {_fmt(report.last_third_mean, '+.2f')} z; best: trial {report.best_trial} "
        f"({_fmt(report.best_score, '+.2f')} z); slope "
        f"{_fmt(getattr(report, 'score_slope', math.nan), '+.3f')} z/trial"
    )
    if not math.isnan(report.true_first_third):
        console.print(
            "the synthetic participant's hidden true value, first third: "
            f"{report.true_first_third:+.2f}; last third: {report.true_last_third:+.2f}; "
            f"of the learner's recommendation, after trial 1: "
            f"{_fmt(getattr(report, 'recommended_first', math.nan), '+.2f')}, after the last: "
            f"{_fmt(getattr(report, 'recommended_last', math.nan), '+.2f')}; median of prior "
            f"draws: {_fmt(getattr(report, 'prior_median', math.nan), '+.2f')}"
        )
    console.print(
        f"report: [bold]{report.folder / 'index.html'}[/bold] ({len(report.figures)} figures)"
    )


def print_demo_result(result: Any) -> None:
    """The demo's report, its duration and where everything is."""
    if result.report is not None:
        print_report(result.report)
    console.print(
        f"demo finished in {result.duration_s:.0f} s: {result.session.n_scored} trials scored "
        f"({result.session.stopped})"
    )
    console.print(f"session directory: [bold]{result.session.path}[/bold]")
    console.print(f"check it offline: choreo replay-session {result.session.path}")


def replay_with_progress(directory: str | os.PathLike[str], tolerance: float) -> Any:
    """Run :func:`choreo.session.replay.replay_session` with a progress bar."""
    from choreo.session.replay import replay_session

    bar = progress_bar(
        console, counts=False, fields=("{task.percentage:>3.0f}%",), remaining=True,
        elapsed=False, transient=True,
    )  # fmt: skip
    with bar as progress:
        task = progress.add_task("rescoring the EEG", total=1.0)

        def tick(done: int, total: int) -> None:
            if done % 512 < 8 or done == total:
                progress.update(task, completed=done / max(total, 1))

        result = replay_session(directory, tolerance=tolerance, progress=tick)
    return result


def print_replay_result(result: Any) -> None:
    """Live beside replay, per trial, and the verdict."""
    table = Table(title=f"replay of {result.path.name}")
    for col in (
        "id",
        "status",
        "live score",
        "replayed",
        "windows live/replay",
        "same proposal",
        "problem",
    ):
        table.add_column(col)
    for c in result.trials:
        table.add_row(
            str(c.trial),
            c.status,
            _fmt(c.live_score, "+.6f"),
            _fmt(c.replay_score, "+.6f"),
            f"{_fmt(c.live_windows, 'd')}/{_fmt(c.replay_windows, 'd')}",
            "—" if c.vector_same is None else ("yes" if c.vector_same else "[red]no[/red]"),
            "; ".join(c.problems),
        )
    console.print(table)
    for p in result.problems:
        console.print(f"[red]{p}[/red]")
    for n in result.notes:
        console.print(f"[yellow]changed since the session: {n}[/yellow]")
    verdict = "[green]agrees[/green]" if result.agrees else "[red]differs[/red]"
    console.print(
        f"replay {verdict}: {result.n_scores} scores, "
        f"largest difference {result.max_score_diff:.2e}; "
        f"{result.n_proposals_same}/{result.n_proposals} proposals identical "
        f"(written to {result.path / 'replay.json'})"
    )
