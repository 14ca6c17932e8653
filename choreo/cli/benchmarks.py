"""``choreo bench learning``, registered on :data:`choreo.cli.bench_app`."""

from __future__ import annotations

from pathlib import Path

import typer

from choreo.cli import bench_app
from choreo.errors import InputError


def _budgets(text: str) -> list[int]:
    try:
        values = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise InputError(f"--budgets: expected comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise InputError(f"--budgets: expected positive integers, got {text!r}")
    return values


@bench_app.command("learning")
def learning(
    participant: list[str] = typer.Option(
        None,
        "--participant",
        help="Participant as module:Class (repeatable); default choreo's own.",
    ),
    budgets: str = typer.Option(
        "25,50,100", help="Evaluation budgets to report, comma-separated."
    ),
    seeds: int = typer.Option(20, help="Seeds (participants and methods) per participant."),
    first_seed: int = typer.Option(
        0,
        help="First seed (seeds first_seed .. first_seed + seeds - 1): fresh ones for a"
        " check on seeds nobody tuned on.",
    ),
    methods: str = typer.Option(
        "learner,prior,random,cmaes,fbgan",
        help="Methods to run, comma-separated; add 'population' for the learner started"
        " from what relaxed earlier people (see --population), and 'favourite' for those"
        " people's favourite handed over without learning.",
    ),
    population: int = typer.Option(
        10,
        help="Earlier people per participant for 'population' and 'favourite' (seeds from"
        " 10000, run by the learner from scratch for 100 trials each).",
    ),
    json_path: Path = typer.Option(
        Path("bench/results/learning.json"), "--json", help="Where to write the JSON results."
    ),
    plot: Path = typer.Option(
        Path("bench/results/learning.png"), "--plot", help="Where to write the PNG of the curves."
    ),
    noise_factor: float = typer.Option(
        1.0,
        help="Every participant's trial noise times this (1: as calibrated on the real"
        " Muse recordings; 0: none): how a method fares with a cleaner or noisier signal.",
    ),
    workers: int = typer.Option(2, help="Worker processes."),
    checkpoint: Path = typer.Option(
        None, help="GAN prior checkpoint (default choreo/models/prior.safetensors)."
    ),
) -> None:
    """Compare choreo's learner with prior sampling, random search, CMA-ES and FBGAN."""
    from choreo.evaluation.benchmark import run_learning_benchmark

    run_learning_benchmark(
        participants=participant or None,
        budgets=_budgets(budgets),
        seeds=seeds,
        first_seed=first_seed,
        methods=[m.strip() for m in methods.split(",") if m.strip()],
        population=population,
        json_path=json_path,
        plot_path=plot,
        workers=workers,
        checkpoint=str(checkpoint) if checkpoint is not None else None,
        noise_factor=noise_factor,
    )
