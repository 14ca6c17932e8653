"""What ``choreo score`` and ``choreo monitor`` run: score a file, follow a stream live.

The tables and the live view are drawn by :mod:`choreo.ui.eeg_view`.
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

from choreo.eeg.settings import EegSettings, load_eeg_settings
from choreo.ui.console import Console, live_display, make_console
from choreo.ui.eeg_view import monitor_view, score_table

if TYPE_CHECKING:
    from choreo.eeg.offline_scoring import ScoreResult
    from choreo.eeg.pipeline import FeedbackPipeline, PipelineWindows
    from choreo.eeg.stream import ChunkSource


# ====================================================================== choreo score
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
    from choreo.eeg.offline_scoring import score_recording

    console = console or make_console()
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

    console = console or make_console()
    settings = settings or load_eeg_settings()
    info = source.info
    profile = load_device(device) if device else getattr(source, "profile", None)
    pipeline = FeedbackPipeline(info, profile, settings)
    state = MonitorState(stream=f"{info.name} ({info.n_channels} ch, {info.sfreq:g} Hz)")
    history: deque[float] = deque(maxlen=60)
    t_start = time.monotonic()
    last_hist = 0.0
    try:
        with live_display(
            monitor_view(state, pipeline, history), console, refresh_per_second=4
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
                    clock = getattr(source, "clock", None)  # live: say how time is mapped
                    if clock is not None and clock.pop_segments() and not state.message:
                        state.message = clock.report.describe(info.name)
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
    console = console or make_console()
    src = LslSource(name=name, type=type, source_id=source_id, timeout=timeout, device=device)
    with src:
        return monitor_source(src, settings, device, console, duration, feed=feed)
