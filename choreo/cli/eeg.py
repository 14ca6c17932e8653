"""Commands of the eeg area, registered on :data:`choreo.cli.app`.

``replay`` and ``synth`` publish EEG on LSL; ``streams`` lists what is there.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from choreo.cli import app, bench_app  # noqa: F401
from choreo.errors import InputError

if TYPE_CHECKING:
    from choreo.eeg.sources.outlet import SenderClock


#: What ``replay`` and ``synth`` stamp their samples with (see ``PacedPublisher``).
ClockOption = Annotated[
    str,
    typer.Option(help="Stamp samples with the LSL clock or Unix time (lsl|unix; muselsl: unix)."),
]
ClockOffsetOption = Annotated[
    float, typer.Option(help="Add this many seconds to every stamp (a clock of its own).")
]


def _clock(value: str) -> SenderClock:
    if value not in ("lsl", "unix"):
        raise InputError(f"--clock must be 'lsl' or 'unix' (got {value!r})")
    return value  # type: ignore[return-value]


@app.command()
def replay(
    file: Annotated[Path, typer.Argument(help="Recording: muselsl CSV, XDF, FIF, EDF, BDF...")],
    speed: Annotated[float, typer.Option(help="Playback speed (2 = twice as fast).")] = 1.0,
    loop: Annotated[bool, typer.Option("--loop", help="Start again at the end.")] = False,
    name: Annotated[str | None, typer.Option(help="LSL stream name.")] = None,
    source_id: Annotated[str | None, typer.Option(help="LSL source_id.")] = None,
    device: Annotated[str | None, typer.Option(help="Device profile name or TOML path.")] = None,
    clock: ClockOption = "lsl",
    clock_offset: ClockOffsetOption = 0.0,
) -> None:
    """Publish a recording as a live LSL EEG stream, with its labels, rate and units."""
    from choreo.eeg.sources.console import serve_replay

    serve_replay(
        str(file),
        speed,
        loop,
        name,
        source_id,
        device,
        clock=_clock(clock),
        clock_offset=clock_offset,
    )


@app.command()
def synth(
    device: Annotated[str, typer.Option(help="Device profile name or TOML path.")] = "muse2016",
    relaxation: Annotated[float, typer.Option(help="Relaxation level 0..1.")] = 0.5,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    name: Annotated[str | None, typer.Option(help="LSL stream name.")] = None,
    source_id: Annotated[str | None, typer.Option(help="LSL source_id.")] = None,
    duration: Annotated[
        float | None, typer.Option(help="Stop after this many seconds (default: Ctrl-C).")
    ] = None,
    sweep: Annotated[
        float | None,
        typer.Option(help="Swing the relaxation between 0 and 1 with this period (s)."),
    ] = None,
    line_hz: Annotated[float, typer.Option(help="Mains frequency: 50 or 60 Hz.")] = 50.0,
    clock: ClockOption = "lsl",
    clock_offset: ClockOffsetOption = 0.0,
) -> None:
    """Publish synthetic EEG for a device on LSL in real time, until Ctrl-C."""
    from choreo.eeg.sources.console import serve_synthetic

    serve_synthetic(
        device,
        relaxation,
        seed,
        name,
        source_id,
        duration,
        sweep,
        line_hz,
        clock=_clock(clock),
        clock_offset=clock_offset,
    )


@app.command()
def streams(
    timeout: Annotated[float, typer.Option(help="Seconds to look for streams.")] = 2.0,
    check: Annotated[
        str | None,
        typer.Option(
            help="Diagnose this stream (name or source_id): rate, jitter, drops, clock, "
            "labels, units, frontal channels; exit 1 on a failed item."
        ),
    ] = None,
    seconds: Annotated[float, typer.Option(help="With --check: seconds to read.")] = 5.0,
    device: Annotated[
        str | None, typer.Option(help="With --check: device profile name or TOML path.")
    ] = None,
) -> None:
    """List the LSL streams on the network (name, type, channels, rate, source_id, host)."""
    from choreo.eeg.sources.console import show_check, show_streams

    if check is None:
        show_streams(timeout)
        return
    if seconds <= 0:
        raise InputError(f"--seconds must be positive (got {seconds:g})")
    if show_check(check, seconds, timeout, device).verdict == "fail":
        raise typer.Exit(1)
