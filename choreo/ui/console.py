"""The shared pieces of choreo's terminal output: consoles, progress bars, live displays."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.console import Console, RenderableType
from rich.live import Live
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.text import Text

__all__ = ["Console", "LiveDisplay", "live_display", "make_console", "progress_bar"]


def make_console(stderr: bool = False, width: int | None = None, **options: Any) -> Console:
    """A rich console; ``stderr`` for status output that must not mix with results.

    Parameters
    ----------
    stderr
        Write to standard error (progress, servers' logs) instead of standard output.
    width
        Fixed width in columns (e.g. a table made for 120 columns, piped or not).
    **options
        Passed to :class:`rich.console.Console` (``file``, ``force_terminal``, ...).
    """
    return Console(stderr=stderr, width=width, **options)


def progress_bar(
    console: Console | None = None,
    *,
    description: str = "{task.description}",
    counts: bool = True,
    fields: Sequence[str] = (),
    elapsed: bool = True,
    remaining: bool = False,
    trailing: Sequence[str] = (),
    disable: bool = False,
    transient: bool = False,
) -> Progress:
    """A progress display: description, bar, ``done/total``, then the times.

    Parameters
    ----------
    console
        Where to draw (default: a new standard console).
    description
        Format of the first column (rich markup; ``{task.description}``, ``{task.fields[x]}``).
    counts
        Show ``completed/total`` after the bar.
    fields
        More text columns (formats as ``description``) between the counts and the times.
    elapsed, remaining
        Show the elapsed time and the estimated time remaining.
    trailing
        Text columns after the times.
    disable, transient
        Draw nothing; clear the display when it ends.
    """
    columns: list[ProgressColumn] = [TextColumn(description), BarColumn()]
    if counts:
        columns.append(MofNCompleteColumn())
    columns += [TextColumn(f) for f in fields]
    if elapsed:
        columns.append(TimeElapsedColumn())
    if remaining:
        columns.append(TimeRemainingColumn())
    columns += [TextColumn(f) for f in trailing]
    return Progress(*columns, console=console or Console(), disable=disable, transient=transient)


class LiveDisplay(Live):
    """A rich :class:`~rich.live.Live` whose :meth:`update` also takes a plain line."""

    def update(self, renderable: RenderableType | str, *, refresh: bool = False) -> None:
        """Show ``renderable`` (a string is one unwrapped line)."""
        if isinstance(renderable, str):
            renderable = Text(renderable, no_wrap=True)
        super().update(renderable, refresh=refresh)


def live_display(
    first: RenderableType | str = "",
    console: Console | None = None,
    refresh_per_second: float = 4,
    transient: bool = False,
) -> LiveDisplay:
    """A live display (a context manager) redrawn ``refresh_per_second`` times a second."""
    live = LiveDisplay(
        console=console or Console(),
        refresh_per_second=refresh_per_second,
        transient=transient,
    )
    live.update(first)
    return live
