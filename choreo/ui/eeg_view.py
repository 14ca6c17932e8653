"""Terminal views of the EEG feedback: the score table of a file, the live monitor, the
streams on the network and the diagnosis of one.

``choreo score`` and ``choreo monitor`` show the same per-channel table (quality index,
relative alpha and theta, relaxation index) and the score, so what a person sees while
fitting the headset reads like what ``choreo score`` says of a recording.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.console import Group
from rich.table import Table
from rich.text import Text

from choreo.ui.sparkline import sparkline

if TYPE_CHECKING:
    from choreo.eeg.diagnosis import StreamDiagnosis
    from choreo.eeg.monitor import MonitorState
    from choreo.eeg.offline_scoring import ScoreResult
    from choreo.eeg.pipeline import FeedbackPipeline
    from choreo.eeg.sources.console import StreamSummary

LEVEL_STYLE = {"good": "bold green", "medium": "yellow", "bad": "bold red", "none": "dim"}


def _f(v: float, fmt: str = ".3f") -> str:
    return "-" if not math.isfinite(v) else format(v, fmt)


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
    spark = sparkline(list(history), gap=" ")
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


def streams_table(rows: Sequence[StreamSummary]) -> Table:
    """The LSL streams on the network, one row each (``choreo streams``)."""
    table = Table(title=f"LSL streams ({len(rows)})")
    for col in ("name", "type", "channels", "rate (Hz)", "source_id", "host"):
        table.add_column(col, justify="right" if col in ("channels", "rate (Hz)") else "left")
    for r in rows:
        rate = f"{r.sfreq:g}" if r.sfreq > 0 else "irregular"
        table.add_row(r.name, r.type, str(r.n_channels), rate, r.source_id, r.hostname)
    return table


VERDICT_STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red"}


def diagnosis_table(diag: StreamDiagnosis) -> Table:
    """A stream's diagnosis, one row per item (``choreo streams --check``)."""
    table = Table(title=f"stream '{diag.stream}' over {diag.seconds:.1f} s: {diag.verdict}")
    for col in ("item", "verdict", "value", "advice"):
        table.add_column(col)
    for f in diag.findings:
        table.add_row(f.item, Text(f.verdict, style=VERDICT_STYLE[f.verdict]), f.value, f.advice)
    return table
