"""The shared terminal pieces: the sparkline's scale and gaps, the progress bar's columns,
a live display fed plain lines."""

from __future__ import annotations

import io
import math

from hypothesis import given
from hypothesis import strategies as st

from choreo.ui.console import live_display, make_console, progress_bar
from choreo.ui.sparkline import BARS, sparkline


def test_sparkline_spans_min_to_max_and_marks_gaps() -> None:
    assert sparkline([0.0, 7.0, 3.5, None, math.nan, 1.0]) == "▁█▅··▂"
    assert sparkline([0.0, 7.0, None], gap=" ") == "▁█ "
    assert sparkline([5.0, 5.0]) == "▁▁"  # flat: no division by zero
    assert sparkline([None, math.inf]) == ""
    assert sparkline(list(range(100)), width=8) == BARS  # the last 8 only


@given(st.lists(st.one_of(st.none(), st.floats(-1e6, 1e6)), max_size=80))
def test_sparkline_has_one_character_per_value(values: list[float | None]) -> None:
    line = sparkline(values)
    if any(v is not None for v in values):
        assert len(line) == len(values)
        assert set(line) <= set(BARS) | {"·"}
        finite = [v for v in values if v is not None]
        assert line[values.index(max(finite))] == BARS[-1 if max(finite) > min(finite) else 0]


def test_progress_bar_columns_and_plain_console() -> None:
    out = io.StringIO()
    console = make_console(width=100, file=out, force_terminal=False, color_system=None)
    bar = progress_bar(console, trailing=("{task.fields[info]}",), remaining=True)
    assert len(bar.columns) == 6  # description, bar, done/total, elapsed, remaining, info
    with bar:
        task = bar.add_task("corpus", total=10, info="from cache")
        bar.advance(task, 4)
    text = out.getvalue()
    assert "corpus" in text
    assert "4/10" in text
    assert "from cache" in text
    assert len(progress_bar(console, counts=False, elapsed=False).columns) == 2


def test_live_display_takes_a_plain_line() -> None:
    out = io.StringIO()
    console = make_console(width=60, file=out, force_terminal=False, color_system=None)
    with live_display("first", console) as live:
        live.update("sent 512 samples")
    assert "sent 512 samples" in out.getvalue()
