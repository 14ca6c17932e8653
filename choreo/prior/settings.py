"""Typed settings of the GAN prior, read from ``choreo/configs/gan.toml``.

Three groups: the networks' shapes (:class:`ModelSettings`, recorded in every
checkpoint and compared on load), the corpus (:class:`CorpusSettings`) and the
training run (:class:`TrainingSettings`).
"""

from __future__ import annotations

import os
from typing import Literal

from pydantic import Field

from choreo.config import StrictModel, load_toml
from choreo.resources import config_dir, locate


class ModelSettings(StrictModel):
    """Shapes of the generator and the critic; a checkpoint must match them to load."""

    latent_dim: int = Field(12, ge=2, le=64)
    #: ``"mlp"``: dense layers; ``"conv"``: a 1-D convolution over the 28 keyframes;
    #: ``"gated"``: dense layers with a gate per axis that can hold it still.
    architecture: Literal["mlp", "conv", "gated"] = "mlp"
    generator_hidden: int = Field(256, ge=8, le=2048)
    generator_layers: int = Field(3, ge=1, le=8)
    critic_hidden: int = Field(256, ge=8, le=2048)
    critic_layers: int = Field(3, ge=1, le=8)
    #: ``"values"``: the critic sees the 196 values; ``"values+steps"``: also the
    #: keyframe-to-keyframe steps of each byte (makes jitter easy to see).
    critic_input: Literal["values", "values+steps"] = "values"


class CorpusSettings(StrictModel):
    """The procedural corpus the prior is trained on."""

    size: int = Field(10000, ge=64)
    #: Relative weights of the families of :class:`choreo.prior.corpus.ProceduralPrior`.
    family_weights: dict[str, float] = Field(
        default_factory=lambda: {
            "drift": 1.0,
            "swing": 1.0,
            "stillness": 0.5,
            "repetition": 1.0,
            "sweep": 1.0,
        }
    )
    #: Folder where corpora are cached as ``.npy`` keyed by seed, size and robot config;
    #: empty disables the cache.
    cache_dir: str = "~/.cache/choreo/corpus"


class TrainingSettings(StrictModel):
    """One WGAN-GP pretraining run."""

    seed: int = 0
    steps: int = Field(800, ge=1)  # generator updates
    batch_size: int = Field(256, ge=2)
    critic_steps: int = Field(5, ge=1)  # critic updates per generator update
    gp_weight: float = Field(10.0, ge=0.0)
    #: Weight of the timing penalty on the generator: segments shorter than the prior's
    #: timing rule needs (s, summed over segments). Zero on the corpus, which keeps it.
    timing_weight: float = Field(2.0, ge=0.0)
    lr_generator: float = Field(1e-4, gt=0.0)
    lr_critic: float = Field(1e-4, gt=0.0)
    beta1: float = Field(0.5, ge=0.0, lt=1.0)
    beta2: float = Field(0.9, ge=0.0, lt=1.0)
    #: Epochs of VAE pretraining of the generator before the adversarial steps (0: none).
    warm_start_epochs: int = Field(0, ge=0)
    warm_start_beta: float = Field(0.05, ge=0.0)  # weight of the VAE's KL term
    warm_start_lr: float = Field(1e-3, gt=0.0)
    #: Samples drawn from the trained generator to measure validity and diversity.
    eval_samples: int = Field(1000, ge=10)
    #: CPU threads torch may use (results depend on it, see :mod:`choreo.prior.train`).
    threads: int = Field(1, ge=1)


class GanSettings(StrictModel):
    """Everything ``choreo train-prior`` reads from ``choreo/configs/gan.toml``."""

    model: ModelSettings = ModelSettings()
    corpus: CorpusSettings = CorpusSettings()
    training: TrainingSettings = TrainingSettings()


def load_gan_settings(path: str | os.PathLike[str] | None = None) -> GanSettings:
    """Load GAN settings from ``path`` (default ``choreo/configs/gan.toml``).

    Raises
    ------
    ConfigError
        The file is missing, not TOML, or has an unknown or invalid key (named).
    """
    return load_toml(locate(path) if path is not None else config_dir() / "gan.toml", GanSettings)
