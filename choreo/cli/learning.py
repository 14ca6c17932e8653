"""Commands of the learning area, registered on :data:`choreo.cli.app`."""

from __future__ import annotations

from pathlib import Path

import typer

from choreo.cli import app, bench_app  # noqa: F401


@app.command("train-prior")
def train_prior_command(
    config: Path = typer.Option(
        None, "--config", help="GAN settings (default choreo/configs/gan.toml)."
    ),
    out: Path = typer.Option(
        None, "--out", help="Checkpoint to write (default choreo/models/prior.safetensors)."
    ),
    steps: int = typer.Option(
        None, "--steps", min=1, help="Generator updates (overrides the config)."
    ),
    seed: int = typer.Option(
        None, "--seed", help="Seed of corpus and training (overrides the config)."
    ),
    corpus: int = typer.Option(
        None, "--corpus", min=64, help="Corpus size (overrides the config)."
    ),
    plot: Path = typer.Option(
        None, "--plot", help="Also write a PNG of the samples among the corpus."
    ),
) -> None:
    """Pretrain the GAN prior on procedural choreographies and write its checkpoint."""
    from choreo.prior.train import run_train_prior

    run_train_prior(config, out, steps, seed, corpus, plot)
