"""Terminal views of the EEG feedback: the score of a file, and the live monitor.

Both show the same per-channel table (quality index, relative alpha and
theta, relaxation index) and the score, so what a person sees while fitting
the headset (``choreo monitor``) reads like what ``choreo score`` says of a
recording.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from choreo.eeg.settings import EegSettings, load_eeg_settings

if TYPE_CHECKING:
    from choreo.eeg.pipeline import FeedbackPipeline, PipelineWindows, ScoreResult
    from choreo.eeg.stream import ChunkSource

LEVEL_STYLE = {"good": "bold green", "medium": "yellow", "bad": "bold red", "none": "dim"}


def _f(v: float, fmt: str = ".3f") -> str:
    return "-" if not math.isfinite(v) else format(v, fmt)


# ====================================================================== choreo score
def score_table(result: ScoreResult) -> Table:
    """Per-channel quality, relative alpha and theta, relaxation index; score in the caption."""
    table = Table(
        title=f"{result.path.name}  ({result.device}, {result.info.sfreq:g} Hz, "
        f"{result.windows.n_windows} windows of {result.window_s:g} s every "
        f"{result.hop_s * 1000:g} ms)",
        title_justify="left",
    )
    for col in ("channel", "quality", "accepted", "alpha", "theta", "a+t", "mains", "rejected"):
        left = col in ("channel", "quality", "rejected")
        table.add_column(col, justify="left" if left else "right")
    for c in result.channels:
        table.add_row(
            f"{c.name}{' *' if c.frontal else ''}",
            Text(c.level, style=LEVEL_STYLE.get(c.level, "")),
            f"{100 * c.accepted_share:.0f}%",
            _f(c.rel_alpha),
            _f(c.rel_theta),
            _f(c.relaxation),
            _f(c.line_ratio, ".2f"),
            c.reasons or "",
        )
    table.add_section()
    table.add_row(
        "frontal",
        "",
        f"{100 * result.accepted_share:.0f}%",
        _f(result.rel_alpha),
        _f(result.rel_theta),
        Text(_f(result.relaxation), style="bold"),
        "",
        "",
    )
    tr = result.trial
    table.caption = (
        f"* frontal. alpha, theta: relative power (of 1-40 Hz); a+t: relaxation index; "
        f"mains: 50/60 Hz power over 1-40 Hz power. Relaxation index of the frontal set: "
        f"{_f(result.relaxation)}. Score = {_f(tr.score, '+.2f')} z "
        f"(trimmed mean of {tr.n_windows} scored windows; {100 * tr.rejected_share:.0f}% "
        f"rejected; baseline: {result.baseline_source})."
    )
    table.caption_justify = "left"
    return table


def run_score_command(
    file: str | os.PathLike[str],
    device: str | None = None,
    json_out: str | os.PathLike[str] | None = None,
    plot_out: str | os.PathLike[str] | None = None,
    baseline: str | os.PathLike[str] | None = None,
    config: str | os.PathLike[str] | None = None,
    save_baseline: str | os.PathLike[str] | None = None,
    console: Console | None = None,
) -> ScoreResult:
    """``choreo score``: score a file, print the table, write JSON / PNG / baseline."""
    from choreo.eeg.pipeline import score_recording

    console = console or Console()
    settings = load_eeg_settings(config)
    with console.status(f"scoring {file} ..."):
        result = score_recording(file, device=device, baseline=baseline, settings=settings)
    console.print(score_table(result))
    for note in result.notes:
        console.print(f"[dim]note: {note}[/dim]")
    if result.n_gaps:
        console.print(
            f"[dim]{result.n_gaps} timestamp gaps: the window restarted after each[/dim]"
        )
    if json_out is not None:
        Path(json_out).write_text(json.dumps(result.to_dict()) + "\n")
        console.print(f"per-window values: {json_out}")
    if plot_out is not None:
        from choreo.eeg.plot import plot_score

        console.print(f"plot: {plot_score(result, plot_out)}")
    if save_baseline is not None:
        result.baseline_of_all_windows(settings.feedback).save(save_baseline)
        console.print(f"baseline (all accepted windows of this file): {save_baseline}")
    return result


# ====================================================================== choreo monitor
@dataclass
class MonitorState:
    """What the live view shows; updated as chunks arrive."""

    stream: str = ""
    status: str = "connecting"
    message: str = ""
    samples: int = 0
    windows: int = 0
    score: float = math.nan
    relaxation: float = math.nan
    rel_alpha: float = math.nan
    rel_theta: float = math.nan
    accepted: bool = False
    baseline: str = ""


def monitor_view(state: MonitorState, pipeline: FeedbackPipeline, history: deque[float]) -> Group:
    """The live table: per-channel quality and band power, then the score."""
    table = Table(title=f"choreo monitor: {state.stream}", title_justify="left")
    for col in ("channel", "quality", "accepted", "alpha", "theta", "mains", "rejected"):
        right = col in ("accepted", "alpha", "theta", "mains")
        table.add_column(col, justify="right" if right else "left")
    last = pipeline.last_windows
    for k, cq in enumerate(pipeline.channel_report()):
        frontal = pipeline.channels[k] in pipeline.frontal
        ra = rt = math.nan
        ok = False
        if last is not None and last.n_windows:
            ra = float(last.rel_alpha[-1, k])
            rt = float(last.rel_theta[-1, k])
            ok = bool(last.accepted[-1, k])
        style = "" if ok else "dim"  # a rejected window's numbers are shown, greyed
        table.add_row(
            f"{cq.name}{' *' if frontal else ''}",
            Text(cq.level, style=LEVEL_STYLE.get(cq.level, "")),
            f"{100 * cq.accepted_share:.0f}%",
            Text(_f(ra), style=style),
            Text(_f(rt), style=style),
            _f(cq.line_ratio, ".2f"),
            cq.reason,
        )
    spark = _sparkline(list(history))
    status_style = {"ok": "green", "dropout": "bold red", "connecting": "yellow"}
    lines = [
        Text.assemble(
            ("stream: ", "dim"),
            (state.status, status_style.get(state.status, "")),
            (f"   samples {state.samples}   windows {state.windows}", "dim"),
        ),
        Text.assemble(
            ("relaxation index (frontal alpha+theta): ", ""),
            (_f(state.relaxation), "bold"),
            (f"   alpha {_f(state.rel_alpha)}  theta {_f(state.rel_theta)}", "dim"),
        ),
        Text.assemble(
            ("score: ", ""),
            (_f(state.score, "+.2f") + " z", "bold cyan"),
            (f"   {spark}", "cyan"),
            (f"   baseline: {state.baseline}", "dim"),
        ),
    ]
    if state.message:
        lines.append(Text(state.message, style="bold red" if state.status == "dropout" else ""))
    lines.append(
        Text(
            "* frontal channels. accepted: share of the last 10 s of windows; mains: 50/60 Hz "
            "power over 1-40 Hz power (high: poor contact).  Ctrl-C to stop.",
            style="dim",
        )
    )
    return Group(table, *lines)


def _sparkline(values: list[float]) -> str:
    bars = "▁▂▃▄▅▆▇█"
    vals = [v for v in values if math.isfinite(v)]
    if not vals:
        return ""
    lo, hi = min(vals), max(vals)
    span = hi - lo or 1.0
    return "".join(
        " " if not math.isfinite(v) else bars[int((v - lo) / span * (len(bars) - 1))]
        for v in values
    )


def _take(state: MonitorState, new: PipelineWindows, pipeline: FeedbackPipeline) -> None:
    """Update the view's state with the windows of one push."""
    if not new.n_windows:
        return
    state.windows += new.n_windows
    state.score = float(new.score[-1])
    state.relaxation = float(new.relaxation[-1])
    state.rel_alpha = float(new.frontal_alpha[-1])
    state.rel_theta = float(new.frontal_theta[-1])
    state.accepted = bool(new.frontal_accepted[-1])
    cal = pipeline.settings.feedback.calibration_s
    if pipeline.baseline is not None:
        state.baseline = f"from the first {cal:g} s"
    elif cal > 0:
        done = state.windows * pipeline.bandpower.plan.hop_s
        state.baseline = f"calibrating: {min(done, cal):.0f} of the first {cal:g} s"
    else:
        state.baseline = "none yet"


def monitor_source(
    source: ChunkSource,
    settings: EegSettings | None = None,
    device: str | None = None,
    console: Console | None = None,
    duration: float | None = None,
    on_update: Callable[[MonitorState], None] | None = None,
    until: Callable[[MonitorState], bool] | None = None,
    feed: Any = None,
) -> MonitorState:
    """Show a source live until it ends, ``duration`` s pass, ``until(state)`` holds,
    or Ctrl-C (a clean stop); ``feed`` (a :class:`choreo.dashboard.state.DashboardFeed`)
    gets the same values.

    Dropouts reported by the source (LSL) are shown as a message and the
    monitor keeps waiting for the stream to return.
    """
    from choreo.eeg.devices import load_device
    from choreo.eeg.pipeline import FeedbackPipeline

    console = console or Console()
    settings = settings or load_eeg_settings()
    info = source.info
    profile = load_device(device) if device else getattr(source, "profile", None)
    pipeline = FeedbackPipeline(info, profile, settings)
    state = MonitorState(stream=f"{info.name} ({info.n_channels} ch, {info.sfreq:g} Hz)")
    history: deque[float] = deque(maxlen=60)
    t_start = time.monotonic()
    last_hist = 0.0
    try:
        with Live(
            monitor_view(state, pipeline, history), console=console, refresh_per_second=4
        ) as live:
            while not source.ended:
                if duration is not None and time.monotonic() - t_start >= duration:
                    break
                chunk = source.read(timeout=0.25)
                for ev in getattr(source, "pop_events", list)():
                    if ev.kind == "dropout":
                        state.message = f"DROPOUT: {ev.detail}; waiting for the stream to return"
                    else:
                        state.message = f"recovered: {ev.detail}"
                state.status = str(getattr(source, "status", "ok"))
                new = None
                if chunk is not None and chunk.n_samples:
                    state.samples += chunk.n_samples
                    new = pipeline.push_windows(chunk)
                    _take(state, new, pipeline)
                if feed is not None:
                    feed.publish_monitor(state, pipeline, new)
                now = time.monotonic()
                if now - last_hist >= 0.5:
                    history.append(state.score)
                    last_hist = now
                live.update(monitor_view(state, pipeline, history))
                if on_update is not None:
                    on_update(state)
                if until is not None and until(state):
                    break
    except KeyboardInterrupt:
        console.print("monitor stopped")
    return state


def run_monitor(
    name: str | None = None,
    type: str | None = "EEG",
    source_id: str | None = None,
    device: str | None = None,
    config: str | os.PathLike[str] | None = None,
    timeout: float = 5.0,
    duration: float | None = None,
    console: Console | None = None,
    feed: Any = None,
) -> MonitorState:
    """``choreo monitor``: resolve an LSL EEG stream and show it live (and on ``feed``)."""
    from choreo.eeg.sources.lsl import LslSource

    settings = load_eeg_settings(config)
    console = console or Console()
    src = LslSource(name=name, type=type, source_id=source_id, timeout=timeout, device=device)
    with src:
        return monitor_source(src, settings, device, console, duration, feed=feed)
