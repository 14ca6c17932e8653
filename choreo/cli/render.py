"""``choreo render``: draw a choreography as a GIF of the arm or a PNG of its joints."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from choreo.cli import app


@app.command()
def render(
    out: Annotated[Path, typer.Option(help="NAME.gif (animation) or NAME.png (joint plot).")],
    vector: Annotated[
        Path | None,
        typer.Option(
            help="Choreography file: JSON list of 196 ints, .npy, or 196 ints separated by"
            " commas or whitespace."
        ),
    ] = None,
    random: Annotated[
        int | None, typer.Option("--random", help="Render a random choreography from this seed.")
    ] = None,
    fps: Annotated[int, typer.Option(help="GIF frames per second.")] = 10,
    seconds: Annotated[float, typer.Option(help="GIF length (a time-lapse), s.")] = 8.0,
    config: Annotated[
        str | None, typer.Option(help="Robot configuration name or TOML path.")
    ] = None,
) -> None:
    """Check, plan and draw one choreography (rejected ones are drawn with the reason)."""
    from rich.progress import Progress

    from choreo.robot.render import render_to_file

    # The bar appears with the first GIF frame, so that errors before it print cleanly.
    state: dict[str, Any] = {}

    def progress(done: int, total: int) -> None:
        if "bar" not in state:
            state["bar"] = Progress(transient=True)
            state["bar"].start()
            state["task"] = state["bar"].add_task(f"rendering {out.name}", total=total)
        state["bar"].update(state["task"], completed=done)

    try:
        result = render_to_file(
            out,
            vector_file=vector,
            seed=random,
            config=config,
            fps=fps,
            seconds=seconds,
            progress=progress,
        )
    finally:
        if "bar" in state:
            state["bar"].stop()
    verdict = "safe" if result.verdict.ok else f"REJECTED ({result.verdict.reason})"
    print(
        f"{result.path}: {result.frames} frame(s) of a {result.duration_s:.1f} s choreography;"
        f" {verdict}"
    )
