"""The learner's search space: the generator's latent, then motion edits, and the
fine-tuned input layer through which candidates are drawn.

Part of :mod:`choreo.learning.learner` (which re-exports every public name).
"""

from __future__ import annotations

import numpy as np
import torch

from choreo.learning.motion_features import JOINT_DESCRIPTORS

#: Motion edits after the generator: 6 amplitude scales, 6 mean-pose offsets, 1 tempo.
N_EDITS = 13
#: Motion descriptors the Gaussian process may see (see ``LearnerSettings.surrogate``).
N_DESCRIPTORS = 9
#: Joint-space descriptors (``surrogate = "arm"``): pose, spread and speed of each axis.
N_JOINT_DESCRIPTORS = 6 * len(JOINT_DESCRIPTORS)


class LatentAdapter(torch.nn.Module):
    """The generator's fine-tuned input layer: ``z = mean + u @ scale_tril.T``.

    At the start it is the identity (the pretrained prior). :meth:`fit_ranked`
    sets it to the rank-weighted maximum-likelihood Gaussian of the scored
    latents, shrunk towards N(0, I); this is the closed-form optimum of the
    weighted likelihood, so no gradient steps are needed.
    """

    def __init__(self, latent_dim: int) -> None:
        super().__init__()
        self.mean = torch.nn.Parameter(
            torch.zeros(latent_dim, dtype=torch.float64), requires_grad=False
        )
        self.scale_tril = torch.nn.Parameter(
            torch.eye(latent_dim, dtype=torch.float64), requires_grad=False
        )

    def forward(self, u: torch.Tensor) -> torch.Tensor:
        return self.mean + u @ self.scale_tril.T

    def fit_ranked(
        self, z: np.ndarray, weights: np.ndarray, pseudocount: float, inflation: float
    ) -> None:
        """Weighted Gaussian fit of ``z`` (weights sum to one), shrunk towards N(0, I)."""
        dim = z.shape[1]
        n_eff = 1.0 / float((weights**2).sum())
        mu = weights @ z
        dev = z - mu
        cov = (weights[:, None] * dev).T @ dev
        lam = n_eff / (n_eff + pseudocount)
        mu = lam * mu
        cov = lam * cov + (1.0 - lam) * np.eye(dim) + 1e-6 * np.eye(dim)
        chol = np.linalg.cholesky(cov) * inflation
        self.mean.data = torch.from_numpy(mu)
        self.scale_tril.data = torch.from_numpy(chol)

    def sample(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` latents through the layer, float64 (n, dim) (in numpy: less overhead)."""
        u = rng.standard_normal((n, self.mean.shape[0]))
        mean = self.mean.detach().numpy()
        tril = self.scale_tril.detach().numpy()
        return np.asarray(mean + u @ tril.T)
