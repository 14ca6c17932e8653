"""Pretraining of the GAN prior on the procedural corpus (WGAN-GP, CPU).

Steps: draw (or load from the cache) a corpus of checked choreographies; hold
5 % of it out; train generator and critic with the Wasserstein loss and a
gradient penalty (Gulrajani et al. 2017); keep an exponential moving average
of the generator's weights (the saved generator, smoother samples); measure
validity and diversity (:mod:`choreo.prior.validity`); write the checkpoint.

Timing penalty: the generator's loss adds ``timing_weight`` times the seconds
by which its segments are shorter than the prior's own timing rule
(:class:`choreo.prior.corpus.SegmentTiming`) asks for. The corpus keeps that
rule, so the penalty is zero on real data and does not pull the generator away
from it; it only pushes blurred in-between samples (a wide swing with the
tempo of a slow one) back to durations the robot can perform as requested.

Integer grid: real vectors are dequantised with uniform noise in
``[-0.5, 0.5)`` before the critic sees them, fakes are the generator's
continuous output (see :mod:`choreo.prior.model`).

Determinism: the corpus comes from a numpy ``Generator`` seeded with the
seed; the networks' initial weights from ``torch.manual_seed(seed)``; every
batch, latent and noise from one ``torch.Generator`` seeded with the seed.
The same seed, settings, torch build and number of threads give the same
checkpoint. torch's CPU kernels may sum in another order with another thread
count or on another CPU (vector instructions), so bit-identical weights
across machines are not promised; ``training.threads`` fixes the count.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from choreo.prior.checkpoint import (
    DEFAULT_CHECKPOINT,
    CheckpointMeta,
    robot_fingerprint,
    save_checkpoint,
    versions,
)
from choreo.prior.corpus import FAMILIES, SegmentTiming, build_corpus
from choreo.prior.model import VECTOR_LEN, Critic, Generator, dense_stack, dequantise, to_unit
from choreo.prior.settings import GanSettings, load_gan_settings
from choreo.prior.validity import diversity, validity

if TYPE_CHECKING:
    from choreo.robot.config import RobotConfig
    from choreo.ui.console import Console

#: Share of the corpus held out from training (for the diversity baseline).
HELD_OUT_SHARE = 0.05
#: Decay of the generator's weight average.
EMA_DECAY = 0.995


@dataclass(frozen=True)
class TrainResult:
    """A finished pretraining run."""

    path: Path
    meta: CheckpointMeta
    seconds: float


def _gradient_penalty(
    critic: Critic, real_u: torch.Tensor, fake_u: torch.Tensor, gen: torch.Generator
) -> torch.Tensor:
    """WGAN-GP: (|grad critic| - 1)^2 at random points between real and fake, on the unit scale."""
    eps = torch.rand(real_u.shape[0], 1, generator=gen)
    x = (eps * real_u + (1.0 - eps) * fake_u).requires_grad_(True)
    score = critic.forward_unit(x)
    (grad,) = torch.autograd.grad(score.sum(), x, create_graph=True)
    return ((grad.norm(dim=1) - 1.0) ** 2).mean()


def _warm_start(
    generator: Generator, data: torch.Tensor, settings: GanSettings, gen: torch.Generator
) -> float:
    """Train the generator as the decoder of a VAE on the corpus; returns the last loss.

    A GAN learns the corpus's crisp structure (axes held exactly still, clean
    swings) slowly; a VAE's reconstruction loss teaches it in seconds, and its
    KL term keeps the latents near N(0, I), the distribution the GAN then
    samples. The adversarial steps that follow sharpen what the VAE blurs.
    """
    tr = settings.training
    d = settings.model.latent_dim
    encoder = dense_stack(VECTOR_LEN, settings.model.generator_hidden, 2, 2 * d)
    params = list(encoder.parameters()) + list(generator.parameters())
    opt = torch.optim.Adam(params, lr=tr.warm_start_lr)
    n, b = data.shape[0], tr.batch_size
    loss = torch.zeros(())
    for _ in range(tr.warm_start_epochs):
        order = torch.randperm(n, generator=gen)
        for i in range(0, n - b + 1, b):
            u = to_unit(dequantise(data[order[i : i + b]], gen))
            h = encoder(u)
            mu, logvar = h[:, :d], h[:, d:].clamp(-10.0, 4.0)
            z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=gen)
            rec = ((to_unit(generator(z)) - u) ** 2).sum(dim=1).mean()
            kl = 0.5 * (mu**2 + logvar.exp() - 1.0 - logvar).sum(dim=1).mean()
            loss = rec + tr.warm_start_beta * kl
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return float(loss.detach())


def _fit(
    settings: GanSettings,
    data: torch.Tensor,
    progress: Any | None,
    timing: SegmentTiming | None = None,
) -> tuple[Generator, Critic, dict[str, float]]:
    """The WGAN-GP loop; returns the averaged generator, the critic and the last losses."""
    tr = settings.training
    torch.manual_seed(tr.seed)
    gen = torch.Generator().manual_seed(tr.seed)
    generator = Generator.from_settings(settings.model)
    critic = Critic.from_settings(settings.model)
    if tr.warm_start_epochs > 0:
        _warm_start(generator, data, settings, gen)
    average = copy.deepcopy(generator)
    for p in average.parameters():
        p.requires_grad_(False)
    opt_g = torch.optim.Adam(
        generator.parameters(), lr=tr.lr_generator, betas=(tr.beta1, tr.beta2)
    )
    opt_c = torch.optim.Adam(critic.parameters(), lr=tr.lr_critic, betas=(tr.beta1, tr.beta2))
    n, b, d = data.shape[0], tr.batch_size, settings.model.latent_dim
    losses = {"wasserstein": 0.0, "gp": 0.0, "generator": 0.0}
    for step in range(tr.steps):
        for _ in range(tr.critic_steps):
            real_u = to_unit(dequantise(data[torch.randint(n, (b,), generator=gen)], gen))
            with torch.no_grad():
                fake_u = to_unit(generator(torch.randn(b, d, generator=gen)))
            w = critic.forward_unit(real_u).mean() - critic.forward_unit(fake_u).mean()
            gp = _gradient_penalty(critic, real_u, fake_u, gen)
            opt_c.zero_grad(set_to_none=True)
            (-w + tr.gp_weight * gp).backward()
            opt_c.step()
        fake = generator(torch.randn(b, d, generator=gen))
        g_loss = -critic.forward_unit(to_unit(fake)).mean()
        if timing is not None and tr.timing_weight > 0:
            g_loss = g_loss + tr.timing_weight * timing.excess(fake).sum(dim=1).mean().float()
        opt_g.zero_grad(set_to_none=True)
        g_loss.backward()
        opt_g.step()
        with torch.no_grad():
            decay = min(EMA_DECAY, (1.0 + step) / (10.0 + step))  # short warm-up
            for pa, pg in zip(average.parameters(), generator.parameters(), strict=True):
                pa.mul_(decay).add_(pg, alpha=1.0 - decay)
        losses = {"wasserstein": w.item(), "gp": gp.item(), "generator": g_loss.item()}
        if progress is not None:
            progress(step, losses)
    average.eval()
    return average, critic, losses


def train_prior(
    settings: GanSettings,
    out_path: str | os.PathLike[str] | None = None,
    progress: bool = True,
    robot: RobotConfig | None = None,
    console: Console | None = None,
    plot_path: str | os.PathLike[str] | None = None,
) -> TrainResult:
    """Pretrain the GAN prior and write its checkpoint.

    Parameters
    ----------
    settings : GanSettings
        Model shapes, corpus and training settings (seed included).
    out_path : path, optional
        Where to write the ``.safetensors`` (default ``choreo/models/prior.safetensors``);
        a ``.json`` copy of the metadata goes beside it.
    progress : bool
        Show rich progress bars and print the validity/diversity table at the end.
    robot : RobotConfig, optional
        Robot configuration (default :func:`load_robot_config()`).
    plot_path : path, optional
        Also write a PNG of the samples among the corpus (:func:`choreo.prior.plot.plot_prior`).

    Returns
    -------
    TrainResult
        The checkpoint path, its metadata (figures included) and the wall time, s.
    """
    from choreo.robot.config import load_robot_config
    from choreo.runtime import limited_threads
    from choreo.ui.console import make_console, progress_bar

    t0 = time.perf_counter()
    cfg = robot if robot is not None else load_robot_config()
    tr = settings.training
    out = Path(out_path) if out_path is not None else DEFAULT_CHECKPOINT
    console = console or make_console(stderr=True)
    bar = progress_bar(
        console,
        description="[bold]{task.description}",
        remaining=True,
        trailing=("{task.fields[info]}",),
        disable=not progress,
    )
    # torch's threads for this run only (``[training] threads``); the BLAS is left alone.
    with limited_threads(tr.threads, blas=False), bar as bars:
        # 1. corpus
        task = bars.add_task("corpus (checked)", total=settings.corpus.size, info="")
        t_corpus = time.perf_counter()
        corpus, cached = build_corpus(
            cfg,
            tr.seed,
            settings.corpus.size,
            settings.corpus.family_weights,
            settings.corpus.cache_dir or None,
            progress=lambda k: bars.advance(task, k),
        )
        corpus_seconds = time.perf_counter() - t_corpus
        bars.update(task, info="from cache" if cached else f"{corpus.failed_share:.1%} resampled")
        n_held = max(round(HELD_OUT_SHARE * len(corpus.vectors)), 1)
        train_v, held_v = corpus.vectors[n_held:], corpus.vectors[:n_held]
        train_f, held_f = corpus.family[n_held:], corpus.family[:n_held]

        # 2. WGAN-GP
        task = bars.add_task("training", total=tr.steps, info="")

        def on_step(step: int, losses: dict[str, float]) -> None:
            if step % 10 == 0 or step == tr.steps - 1:
                bars.update(
                    task,
                    completed=step + 1,
                    info=f"W {losses['wasserstein']:.3f} gp {losses['gp']:.3f}",
                )

        t_fit = time.perf_counter()
        generator, critic, losses = _fit(
            settings, torch.from_numpy(train_v), on_step, SegmentTiming(cfg)
        )
        fit_seconds = time.perf_counter() - t_fit

        # 3. evaluation on fresh latents
        task = bars.add_task("evaluation", total=2, info="")
        samples = generator.sample(tr.eval_samples, np.random.default_rng(tr.seed + 1))
        valid = validity(samples, cfg)
        bars.advance(task)
        div = diversity(samples, train_v, train_f, held_v, held_f, cfg, seed=tr.seed)
        bars.advance(task)

    seconds = time.perf_counter() - t0
    meta = CheckpointMeta(
        model=settings.model,
        settings=settings,
        robot=robot_fingerprint(cfg),
        seed=tr.seed,
        versions=versions(),
        corpus={
            "size": len(corpus.vectors),
            "train": len(train_v),
            "held_out": int(n_held),
            "seed": tr.seed,
            "families": corpus.family_counts(),
            "failed_before_resampling": float(corpus.failed_share),
            "failed_by_family": {
                f: float(corpus.failed[i] / max(int(corpus.drawn[i]), 1))
                for i, f in enumerate(FAMILIES)
            },
            "seconds": round(corpus_seconds, 2),
            "cached": cached,
        },
        metrics={
            "validity": valid.share,
            "validity_strict": valid.strict_share,
            "validity_n": valid.n,
            "invalid_reasons": valid.reasons,
            "invalid_reasons_strict": valid.strict_reasons,
            **div,
            "final_losses": losses,
            "threads": tr.threads,
        },
        train_seconds=round(fit_seconds, 2),
        created_utc=dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    path, meta = save_checkpoint(out, generator, critic, meta)
    if plot_path is not None:
        from choreo.prior.plot import plot_prior

        plot_prior(
            samples,
            train_v,
            train_f,
            cfg,
            plot_path,
            title=f"GAN prior {path.name}: valid {valid.share:.1%} "
            f"(as requested {valid.strict_share:.1%}), coverage {div['coverage']:.0%} (ref 50%)",
        )
    if progress:
        from choreo.ui.learning_tables import prior_summary_table

        console.print(prior_summary_table(meta, path, seconds))
    return TrainResult(path, meta, seconds)


def run_train_prior(
    config: str | os.PathLike[str] | None = None,
    out: str | os.PathLike[str] | None = None,
    steps: int | None = None,
    seed: int | None = None,
    corpus: int | None = None,
    plot: str | os.PathLike[str] | None = None,
) -> TrainResult:
    """``choreo train-prior``: load settings, apply the command-line overrides, train."""
    from choreo.config import validate

    settings = load_gan_settings(config)
    doc = settings.model_dump()
    if steps is not None:
        doc["training"]["steps"] = steps
    if seed is not None:
        doc["training"]["seed"] = seed
    if corpus is not None:
        doc["corpus"]["size"] = corpus
    settings = validate(GanSettings, doc, "command line")
    return train_prior(settings, out, progress=True, plot_path=plot)
