"""The live terminal view of a session (rich): quality, score, trial progress, scores so far.

The session loop updates a :class:`SessionStatus`; :class:`SessionView` draws it a few
times a second. With ``enabled=False`` (tests, logs) the view prints one line per
notable event instead.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console, Group
from rich.panel import Panel
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from choreo.ui.console import LiveDisplay, live_display, make_console
from choreo.ui.sparkline import sparkline

_QUALITY_STYLE = {"good": "bold green", "medium": "yellow", "bad": "bold red"}


@dataclass
class SessionStatus:
    """What the view shows; the session loop writes it, the view reads it."""

    session: str = ""
    phase: str = "starting"
    message: str = ""
    backend: str = ""
    eeg: str = ""
    channels: tuple[str, ...] = ()
    quality: tuple[str, ...] = ()
    score: float = math.nan
    rel_alpha: float = math.nan
    rel_theta: float = math.nan
    trial: int = 0
    n_trials: int = 0
    #: Progress of the current phase, 0..1.
    progress: float = 0.0
    #: Scores of the trials so far, ``None`` for invalid ones.
    scores: list[float | None] = field(default_factory=list)
    best_trial: int | None = None
    best_score: float = math.nan
    #: A few words on the best choreography (duration, reach).
    best_note: str = ""
    events: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        """Remember an event line (the last few are shown)."""
        stamp = time.strftime("%H:%M:%S")
        self.events.append(f"{stamp} {text}")
        del self.events[:-6]


def score_chart(values: list[float | None], width: int = 60) -> Text:
    """The scores so far as a sparkline, invalid trials (``None``) as red dots."""
    chart = Text(sparkline(values, width), style="cyan")
    chart.highlight_regex("·", "red")
    return chart


def _num(x: float, spec: str) -> str:
    return "—" if not math.isfinite(x) else format(x, spec)


def render_status(s: SessionStatus) -> Panel:
    """The whole view as one rich renderable."""
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    head.add_row("phase", f"{s.phase}  {s.message}")
    if s.n_trials:
        head.add_row("trial", f"{s.trial} / {s.n_trials}")
    head.add_row(
        "progress", ProgressBar(total=1.0, completed=max(0.0, min(1.0, s.progress)), width=40)
    )
    head.add_row(
        "score",
        f"{_num(s.score, '+.2f')} z   (relative alpha {_num(s.rel_alpha, '.2f')}, "
        f"theta {_num(s.rel_theta, '.2f')})",
    )
    if s.best_trial is not None:
        head.add_row("best", f"trial {s.best_trial}: {s.best_score:+.2f} z  {s.best_note}")
    head.add_row("robot", s.backend or "—")
    head.add_row("EEG", s.eeg or "—")

    chans = Table(title="signal quality", show_header=True, header_style="bold", box=None)
    for name in s.channels:
        chans.add_column(name, justify="center")
    if s.channels:
        chans.add_row(
            *[Text(q, style=_QUALITY_STYLE.get(q, "")) for q in s.quality]
            or [Text("?")] * len(s.channels)
        )

    scores = Table.grid()
    scores.add_row(Text("scores so far ", style="bold"), score_chart(s.scores))
    valid = [v for v in s.scores if v is not None]
    if valid:
        scores.add_row(
            "",
            Text(
                f"{len(valid)} scored, {len(s.scores) - len(valid)} invalid; "
                f"last {valid[-1]:+.2f} z"
            ),
        )
    events = Text("\n".join(s.events[-4:]), style="dim")
    return Panel(Group(head, chans, scores, events), title=f"choreo session {s.session}")


class SessionView:
    """Draws a :class:`SessionStatus` live, or prints event lines when not ``enabled``.

    Parameters
    ----------
    status
        The status object the session updates.
    enabled
        Draw the live panel; otherwise only :meth:`say` prints.
    console
        Where to draw (default: stderr-free standard console).
    """

    def __init__(
        self, status: SessionStatus, enabled: bool = True, console: Console | None = None
    ) -> None:
        self.status = status
        self.enabled = enabled
        self.console = console or make_console()
        self._live: LiveDisplay | None = None
        self._last = 0.0

    def __enter__(self) -> SessionView:
        if self.enabled:
            self._live = live_display(
                render_status(self.status), self.console, refresh_per_second=4
            )
            self._live.__enter__()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._live is not None:
            self._live.update(render_status(self.status))
            self._live.__exit__(None, None, None)
            self._live = None

    def refresh(self, force: bool = False) -> None:
        """Redraw (at most 5 times a second unless ``force``)."""
        now = time.monotonic()
        if self._live is None or (not force and now - self._last < 0.2):
            return
        self._last = now
        self._live.update(render_status(self.status))

    def say(self, text: str) -> None:
        """Report an event: in the panel's event list, and as a printed line."""
        self.status.note(text)
        if self._live is not None:
            self._live.console.print(text)
            self.refresh(force=True)
        else:
            self.console.print(text)
