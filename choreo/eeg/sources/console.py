"""Terminal front ends of the sources: run a publisher with a status line, list streams."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from choreo.eeg.devices import DeviceProfile
from choreo.eeg.sources.outlet import (
    PacedPublisher,
    PublishStatus,
    SenderClock,
    publish_synthetic,
    replay_recording,
    status_line,
)
from choreo.eeg.sources.synthetic import SynthSettings
from choreo.ui.console import Console, live_display, make_console

if TYPE_CHECKING:
    from choreo.eeg.diagnosis import StreamDiagnosis


def run_publisher(
    pub: PacedPublisher,
    console: Console | None = None,
    extra: Callable[[], str] | None = None,
    refresh_s: float = 0.5,
) -> PublishStatus:
    """Publish until the source ends or Ctrl-C, showing one status line.

    Ctrl-C is the normal way to stop a live publisher, so it ends the run
    quietly (the outlet is withdrawn) instead of raising.
    """
    console = console or make_console(stderr=True)
    start = time.monotonic()
    stopped = False
    pub.start()
    try:
        with live_display("", console, refresh_per_second=4) as live:
            try:
                while not pub.status.finished:
                    line = status_line(pub, time.monotonic() - start, extra)
                    live.update(line)
                    time.sleep(refresh_s)
            except KeyboardInterrupt:
                stopped = True
            line = status_line(pub, time.monotonic() - start, extra)
            live.update(line)
    finally:
        pub.stop()
    if not console.is_terminal:
        console.print()  # Live leaves its last line open when not on a terminal
    if stopped:
        console.print("stopped (Ctrl-C)")
    if pub.status.error:
        from choreo.errors import StreamError

        raise StreamError(f"publishing '{pub.info.name}' failed: {pub.status.error}")
    return pub.status


def serve_replay(
    path: str,
    speed: float = 1.0,
    loop: bool = False,
    name: str | None = None,
    source_id: str | None = None,
    device: str | None = None,
    console: Console | None = None,
    clock: SenderClock = "lsl",
    clock_offset: float = 0.0,
) -> PublishStatus:
    """``choreo replay``: publish a recording on LSL with a status line until it ends."""
    if speed <= 0:
        from choreo.errors import InputError

        raise InputError(f"--speed must be positive (got {speed:g})")
    pub = replay_recording(
        path, speed, loop, name, source_id, device, clock=clock, clock_offset=clock_offset
    )
    return run_publisher(pub, console)


def serve_synthetic(
    device: str | DeviceProfile = "muse2016",
    relaxation: float = 0.5,
    seed: int = 0,
    name: str | None = None,
    source_id: str | None = None,
    duration: float | None = None,
    sweep: float | None = None,
    line_hz: float = 50.0,
    console: Console | None = None,
    clock: SenderClock = "lsl",
    clock_offset: float = 0.0,
) -> PublishStatus:
    """``choreo synth``: publish synthetic EEG in real time until Ctrl-C (or ``duration``).

    With ``sweep`` (s) the relaxation level swings between 0 and 1 with that
    period instead of staying at ``relaxation``: a quick way to watch the
    score follow a known signal.
    """
    from choreo.errors import InputError

    if not 0.0 <= relaxation <= 1.0:
        raise InputError(f"--relaxation must be in 0..1 (got {relaxation:g})")
    if sweep is not None and sweep <= 0:
        raise InputError(f"--sweep must be a positive period in seconds (got {sweep:g})")
    level = {"now": relaxation}

    def swinging(t: float) -> float:
        assert sweep is not None
        level["now"] = 0.5 - 0.5 * math.cos(2 * math.pi * t / sweep)
        return level["now"]

    if line_hz not in (50.0, 60.0):
        raise InputError(f"--line-hz must be 50 or 60 (got {line_hz:g})")
    pub = publish_synthetic(
        device,
        swinging if sweep else relaxation,
        seed,
        name,
        source_id,
        settings=SynthSettings(line_hz=line_hz),
        duration=duration,
        clock=clock,
        clock_offset=clock_offset,
    )
    return run_publisher(pub, console, extra=lambda: f"relax {level['now']:.2f}")


@dataclass(frozen=True)
class StreamSummary:
    """One stream seen on the network."""

    name: str
    type: str
    n_channels: int
    sfreq: float
    source_id: str
    hostname: str


def list_streams(timeout: float = 2.0) -> list[StreamSummary]:
    """Every LSL stream visible within ``timeout`` s, sorted by name."""
    import pylsl

    found = pylsl.resolve_streams(wait_time=timeout)
    rows = [
        StreamSummary(
            s.name(), s.type(), s.channel_count(), s.nominal_srate(), s.source_id(), s.hostname()
        )
        for s in found
    ]
    return sorted(rows, key=lambda r: (r.name, r.source_id))


def show_streams(timeout: float = 2.0, console: Console | None = None) -> list[StreamSummary]:
    """Print the streams on the network as a table; returns them."""
    from choreo.ui.eeg_view import streams_table

    console = console or make_console()
    rows = list_streams(timeout)
    if not rows:
        console.print(f"no LSL streams found within {timeout:g} s")
        return rows
    console.print(streams_table(rows))
    return rows


def show_check(
    name: str,
    seconds: float = 5.0,
    timeout: float = 5.0,
    device: str | None = None,
    console: Console | None = None,
) -> StreamDiagnosis:
    """``choreo streams --check NAME``: read the stream for ``seconds``, print the verdicts.

    ``NAME`` is matched against the stream's name, or else its source_id.
    """
    from choreo.eeg.diagnosis import check_stream
    from choreo.eeg.sources.lsl import resolve_stream
    from choreo.errors import StreamError
    from choreo.ui.console import progress_bar
    from choreo.ui.eeg_view import diagnosis_table

    console = console or make_console()
    try:
        resolve_stream(name=name, type=None, timeout=timeout)
        query: dict[str, str | None] = {"name": name, "type": None}
    except StreamError:
        query = {"source_id": name, "type": None}  # raises below, naming it, if absent too
    with progress_bar(console, counts=False, elapsed=False, transient=True) as bar:
        task = bar.add_task(f"reading '{name}' for {seconds:g} s", total=seconds)
        diag = check_stream(
            **query,
            seconds=seconds,
            timeout=timeout,
            device=device,
            progress=lambda done, total: bar.update(task, completed=done),
        )
    console.print(diagnosis_table(diag))
    return diag
