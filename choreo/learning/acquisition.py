"""The acquisition: rank-transformed scores and the prior-weighted expected improvement.

Part of :mod:`choreo.learning.learner` (which re-exports every public name).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm, rankdata


def rank_normal(y: np.ndarray) -> np.ndarray:
    """Normal scores of the ranks of ``y`` (ties share their mean rank)."""
    n = len(y)
    return np.asarray(norm.ppf((rankdata(y) - 0.5) / n))


def rank_weights(y: np.ndarray, temperature: float) -> np.ndarray:
    """Weights ``exp(-rank / (temperature * n))`` (best score: rank 0), summing to one."""
    n = len(y)
    rank = n - rankdata(y)  # best -> 0 (ties share)
    w = np.exp(-rank / (temperature * n))
    return np.asarray(w / w.sum())


def prior_weighted_log_ei(
    mean: np.ndarray,
    sd: np.ndarray,
    best: float,
    xi: float,
    points: np.ndarray,
    prior_beta: float,
    n_observations: int,
) -> np.ndarray:
    """log expected improvement + (prior_beta / n) log prior density (piBO).

    ``mean`` and ``sd`` are the model's posterior at the candidate search ``points``
    (n, space_dim), ``best`` the best posterior mean at the observations and ``xi`` the
    improvement margin. Expected improvement alone favours the edge of the latent ball,
    where the model knows least; weighting it by the GAN's latent prior raised to a power
    that fades with the number of observations (Hvarfner et al. 2022, piBO) keeps early
    proposals where the prior has its mass, and lets the data decide later.
    """
    gap = mean - best - xi
    u = gap / sd
    ei = gap * norm.cdf(u) + sd * norm.pdf(u)
    log_prior = -0.5 * (points * points).sum(axis=1)
    weight = prior_beta / max(n_observations, 1)
    return np.asarray(np.log(np.maximum(ei, 1e-300)) + weight * log_prior)
