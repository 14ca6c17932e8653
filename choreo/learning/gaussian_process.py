"""The learner's surrogate model: small Gaussian processes (numpy/scipy) of the score.

Both models use a Matérn 5/2 kernel, a zero mean (the scores enter rank-transformed)
and a fitted noise term, and differ in their lengthscales:

- :class:`LatentGP`: one lengthscale per *group* of input columns, fitted on a grid.
  Within a group every column weighs alike.
- :class:`ArdGP`: one lengthscale per input column (automatic relevance
  determination), fitted by L-BFGS-B with analytic gradients. A person responds to a
  few of the learner's 27 motion descriptors; a log-normal prior centred on a long
  lengthscale leaves a descriptor flat (irrelevant) until the scores ask for it.
  Under heavy trial noise they seldom do within tens of scores: most lengthscales
  then stay near the prior's centre, and the model is a smooth one over all of them.

Both fits are pure functions of the data (fixed grids, fixed starting points), so a
replay gives the same proposals.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import pairwise

import numpy as np
from scipy.linalg import cho_factor, cho_solve
from scipy.optimize import minimize

__all__ = ["ArdGP", "LatentGP"]

_SQRT5 = float(np.sqrt(5.0))
#: Prior of the noise-to-signal variance ratio: log-normal about 0.3 (log SD 1.2).
NOISE_RATIO_CENTRE = 0.3
NOISE_RATIO_LOG_SD = 1.2


def matern52(r: np.ndarray) -> np.ndarray:
    """Matérn 5/2 correlation at scaled distance ``r`` (``r >= 0``)."""
    s = _SQRT5 * r
    return np.asarray((1.0 + s + s * s / 3.0) * np.exp(-s))


def _sq_dists(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances between the rows of ``a`` and ``b``."""
    d2 = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.asarray(np.maximum(d2, 0.0))


class _MaternGP:
    """What both models share: ``theta = [log lengthscales..., log signal variance,
    log noise variance]`` (then the log trend variance, for an :class:`ArdGP` with a
    trend), conditioning and prediction."""

    theta: np.ndarray
    n_lengthscales: int

    def __init__(self, dim: int) -> None:
        self.dim = int(dim)
        self._z = np.zeros((0, self.dim))
        self._alpha = np.zeros(0)
        self._k_inv = np.zeros((0, 0))

    def _cov(self, a: np.ndarray, b: np.ndarray, theta: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def _prior_var(self, zs: np.ndarray) -> np.ndarray:
        """Prior variance of the latent function at ``zs``."""
        return np.full(len(zs), np.exp(self.theta[self.n_lengthscales]))

    def condition(self, z: np.ndarray, y: np.ndarray) -> None:
        """Condition on ``(z, y)`` with the current hyperparameters."""
        noise = np.exp(self.theta[self.n_lengthscales + 1])
        k = self._cov(z, z, self.theta) + (noise + 1e-6) * np.eye(len(y))
        chol = cho_factor(k, lower=True)
        self._alpha = cho_solve(chol, y)
        # The inverse once per update: predictions are then plain matrix products.
        self._k_inv = cho_solve(chol, np.eye(len(y)))
        self._z = z

    def predict(self, zs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and standard deviation of the latent function at ``zs``."""
        ks = self._cov(zs, self._z, self.theta)
        mean = ks @ self._alpha
        var = self._prior_var(zs) - ((ks @ self._k_inv) * ks).sum(axis=1)
        return mean, np.sqrt(np.maximum(var, 1e-12))


class LatentGP(_MaternGP):
    """Gaussian process: Matérn 5/2 on groups of input columns, zero mean, fitted noise.

    One group is the plain isotropic kernel. Several groups (the learner's ``"arm"``:
    the axes' descriptors, then the flange's; ``"both"``: the search point, then the
    flange's descriptors) add up: a weighted sum of one
    isotropic Matérn per group, each with its own lengthscale, so two inputs alike in
    one group stay correlated however much they differ in another. ``fit`` maximises
    the log marginal likelihood plus weak log-normal priors over a fixed grid, so it is
    deterministic.

    Parameters
    ----------
    groups : int or sequence of int
        Number of columns of each group, in order (one int: a single group).
    """

    def __init__(self, groups: int | Sequence[int]) -> None:
        self.groups = [int(groups)] if isinstance(groups, int) else [int(g) for g in groups]
        super().__init__(sum(self.groups))
        self.n_lengthscales = len(self.groups)
        bounds = np.cumsum([0, *self.groups])
        self._slices = [slice(int(a), int(b)) for a, b in pairwise(bounds)]
        # Centre of each lengthscale grid: 0.5 sqrt(group size).
        self._centre = np.log(0.5 * np.sqrt(np.array(self.groups, dtype=np.float64)))
        #: Weight of each group's kernel, summing to one (the last group alone at first).
        self.weights = np.zeros(len(self.groups))
        self.weights[-1] = 1.0
        self.theta = np.concatenate([self._centre, [0.0, np.log(NOISE_RATIO_CENTRE)]])

    def _group_sq_dists(self, a: np.ndarray, b: np.ndarray) -> list[np.ndarray]:
        """Squared distances between rows of ``a`` and ``b``, per group."""
        return [_sq_dists(a[:, sl], b[:, sl]) for sl in self._slices]

    def _base(self, d2: list[np.ndarray], log_ells: np.ndarray) -> np.ndarray:
        """Correlation: the weighted sum of one Matérn per group (weights sum to one)."""
        out = np.zeros_like(d2[0])
        for g, log_ell, w in zip(d2, log_ells, self.weights, strict=True):
            if w > 0.0:
                out = out + w * matern52(np.sqrt(g) / np.exp(log_ell))
        return out

    def _cov(self, a: np.ndarray, b: np.ndarray, theta: np.ndarray) -> np.ndarray:
        k = self.n_lengthscales
        return float(np.exp(theta[k])) * self._base(self._group_sq_dists(a, b), theta[:k])

    def _best_noise(self, base: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
        """Over the noise grid, the best (objective, log signal, log noise ratio) for ``base``.

        One eigendecomposition serves every noise level: with ``base = U diag(l) U^T``,
        ``log det(base + r I) = sum log(l + r)`` and ``y^T (base + r I)^-1 y =
        sum (U^T y)^2 / (l + r)``.
        """
        n = len(y)
        lam, vec = np.linalg.eigh(base)
        lam = np.maximum(lam, 0.0)
        uy2 = (vec.T @ y) ** 2
        log_ratio = np.linspace(np.log(0.02), np.log(3.0), 10)
        denom = lam[None, :] + (np.exp(log_ratio) + 1e-6)[:, None]
        signal = np.maximum((uy2[None, :] / denom).sum(axis=1) / n, 1e-6)
        nll = 0.5 * n * np.log(signal) + 0.5 * np.log(denom).sum(axis=1) + 0.5 * n
        prior = (
            0.5 * np.log(signal) ** 2
            + 0.5 * ((log_ratio - np.log(NOISE_RATIO_CENTRE)) / NOISE_RATIO_LOG_SD) ** 2
        )
        obj = nll + prior
        i = int(np.argmin(obj))
        return float(obj[i]), float(np.log(signal[i])), float(log_ratio[i])

    def fit(self, z: np.ndarray, y: np.ndarray) -> None:
        """Fit hyperparameters and condition on ``(z, y)``.

        The lengthscale on a grid of 15 values about ``0.5 sqrt(group size)`` (several
        groups: two rounds of coordinate search, each group's lengthscale over 8 values
        and then the weight of the last group), the noise-to-signal ratio on a grid, the
        signal variance at its closed-form optimum (profile likelihood), weak log-normal
        priors; deterministic, tens of milliseconds for a hundred points.
        """
        d2 = self._group_sq_dists(z, z)

        def objective(log_ells: np.ndarray) -> tuple[float, float, float]:
            obj, log_signal, log_ratio = self._best_noise(self._base(d2, log_ells), y)
            on = self.weights > 0.0
            obj += float((0.5 * ((log_ells[on] - self._centre[on]) / 0.7) ** 2).sum())
            return obj, log_signal, log_ratio

        if len(self.groups) == 1:
            choices = [self._centre + np.array([d]) for d in np.linspace(-1.2, 1.6, 15)]
            results = [(objective(c), c) for c in choices]
            (_, log_signal, log_ratio), ells = min(results, key=lambda r: r[0][0])
        else:
            log_signal, log_ratio, ells = self._fit_groups(objective)
        self.theta = np.concatenate([ells, [log_signal, log_signal + log_ratio]])
        self.condition(z, y)

    def _fit_groups(
        self, objective: Callable[[np.ndarray], tuple[float, float, float]]
    ) -> tuple[float, float, np.ndarray]:
        """Coordinate search over the groups' lengthscales, then the weight of the last
        group (the others share what is left), twice; from the last group alone."""
        k = len(self.groups)
        ells = self._centre.copy()
        self.weights = np.zeros(k)
        self.weights[-1] = 1.0
        best, log_signal, log_ratio = objective(ells)
        for _ in range(2):
            for g in range(k):
                if self.weights[g] == 0.0:
                    continue
                for value in self._centre[g] + np.linspace(-1.2, 1.6, 8):
                    trial = ells.copy()
                    trial[g] = value
                    res = objective(trial)
                    if res[0] < best:
                        (best, log_signal, log_ratio), ells = res, trial
            kept = self.weights.copy()
            for w_last in (1.0, 0.85, 0.7, 0.5, 0.3):
                self.weights = np.full(k, (1.0 - w_last) / (k - 1))
                self.weights[-1] = w_last
                res = objective(ells)
                if res[0] < best:
                    (best, log_signal, log_ratio), kept = res, self.weights.copy()
            self.weights = kept
        return log_signal, log_ratio, ells


class ArdGP(_MaternGP):
    """Gaussian process: Matérn 5/2 with one lengthscale per input column, fitted noise,
    and optionally a quadratic trend on the same scaled inputs.

    The covariance is ``s * matern52(r) + q * (1 + sum_d x_d x'_d / ell_d^2)^2`` with
    ``r^2 = sum_d (x_d - x'_d)^2 / ell_d^2``; ``q = 0`` without the trend. The trend is
    Bayesian quadratic regression on the inputs that matter: a person who prefers some
    motion and relaxes less the further a motion is from it has a bowl-shaped response,
    which the trend extrapolates from a few scores, and the Matérn part models what
    departs from a bowl.

    ``fit`` maximises the log marginal likelihood plus log-normal priors: on each
    lengthscale (about ``ell_centre``, log SD ``ell_log_sd``), on the signal variance
    (about 1, log SD 1: the scores are rank-normal), on the noise-to-signal ratio (about
    0.3, log SD 1.2) and on the trend's variance (about ``trend_centre``, log SD 1.5),
    by L-BFGS-B with analytic gradients from one fixed start (every lengthscale at
    ``ell_centre``). The pairwise terms are computed once per fit and rescaled by
    matrix-vector products. About 20 ms for a hundred points in 27 dimensions, 0.25 s
    for two hundred (one call of the objective: 2.4 and 5.5 ms).

    Parameters
    ----------
    dim : int
        Number of input columns (standardised: unit spread a priori).
    ell_centre : float, optional
        Centre of the lengthscale prior, in input units. Long, so that an input the
        scores say nothing about stays flat.
    ell_log_sd : float, optional
        Spread of the lengthscale prior (natural log).
    trend_centre : float or None, optional
        Centre of the prior of the quadratic trend's variance; None: no trend.
    """

    #: Lengthscales are kept within these bounds (input units).
    ELL_BOUNDS = (0.1, 50.0)
    #: Spread of the prior of the trend's variance (natural log).
    TREND_LOG_SD = 1.5

    def __init__(
        self,
        dim: int,
        ell_centre: float = 4.0,
        ell_log_sd: float = 1.0,
        trend_centre: float | None = None,
    ) -> None:
        super().__init__(dim)
        self.n_lengthscales = self.dim
        self._ell_mu = float(np.log(ell_centre))
        self._ell_sd = float(ell_log_sd)
        self.trend = trend_centre is not None
        self._trend_mu = float(np.log(trend_centre)) if trend_centre is not None else 0.0
        start = [self._trend_mu] if self.trend else []
        self.theta = np.concatenate(
            [np.full(self.dim, self._ell_mu), [0.0, np.log(NOISE_RATIO_CENTRE)], start]
        )

    def _cov(self, a: np.ndarray, b: np.ndarray, theta: np.ndarray) -> np.ndarray:
        ell = np.exp(theta[: self.dim])
        xa, xb = a / ell, b / ell
        k = float(np.exp(theta[self.dim])) * matern52(np.sqrt(_sq_dists(xa, xb)))
        if self.trend:
            k = k + float(np.exp(theta[self.dim + 2])) * (1.0 + xa @ xb.T) ** 2
        return np.asarray(k)

    def _prior_var(self, zs: np.ndarray) -> np.ndarray:
        var = np.full(len(zs), np.exp(self.theta[self.dim]))
        if self.trend:
            u = ((zs / np.exp(self.theta[: self.dim])) ** 2).sum(axis=1)
            var = var + np.exp(self.theta[self.dim + 2]) * (1.0 + u) ** 2
        return var

    def pair_terms(self, z: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Per-column squared differences and products of every pair of rows of ``z``.

        Returns
        -------
        diff2 : ndarray, shape (n * n, dim)
            ``(z_i - z_j)^2`` per column, row ``i * n + j``: the fit rescales them by
            matrix-vector products, without (n, n, dim) temporaries.
        prod : ndarray, shape (n * n, dim), or None
            ``z_i z_j`` likewise, for the trend; None without one.
        """
        n, dim = z.shape
        diff2 = ((z[:, None, :] - z[None, :, :]) ** 2).reshape(n * n, dim)
        if not self.trend:
            return diff2, None
        return diff2, (z[:, None, :] * z[None, :, :]).reshape(n * n, dim)

    def neg_log_posterior(
        self, phi: np.ndarray, y: np.ndarray, diff2: np.ndarray, prod: np.ndarray | None
    ) -> tuple[float, np.ndarray]:
        """The objective of ``fit`` (up to a constant) and its gradient at ``phi``.

        Parameters
        ----------
        phi : ndarray, shape (dim + 2,) or (dim + 3,) with the trend
            Log lengthscales, log signal variance, log noise variance (, log trend
            variance).
        y : ndarray, shape (n,)
            Scores.
        diff2, prod : ndarray, shape (n * n, dim) (prod None without a trend)
            :meth:`pair_terms` of the inputs.
        """
        d = self.dim
        n = len(y)
        log_ell, log_s, log_n = phi[:d], phi[d], phi[d + 1]
        s, noise = np.exp(log_s), np.exp(log_n)
        inv_ell2 = np.exp(-2.0 * log_ell)
        r = np.sqrt((diff2 @ inv_ell2).reshape(n, n))
        e = np.exp(-_SQRT5 * r)
        corr = (1.0 + _SQRT5 * r + 5.0 / 3.0 * r * r) * e
        k = s * corr + (noise + 1e-6) * np.eye(n)
        if self.trend:
            assert prod is not None, "pair_terms gives the products to a model with a trend"
            q = np.exp(phi[d + 2])
            lin = 1.0 + (prod @ inv_ell2).reshape(n, n)
            k = k + q * lin**2
        try:
            chol = cho_factor(k, lower=True)
        except np.linalg.LinAlgError:
            return 1e10, np.zeros_like(phi)
        alpha = cho_solve(chol, y)
        w = cho_solve(chol, np.eye(n)) - np.outer(alpha, alpha)
        value = 0.5 * y @ alpha + np.log(np.diag(chol[0])).sum()
        # dK/dlog(ell_d) = s (5/3) (1 + sqrt5 r) exp(-sqrt5 r) (x_d - x'_d)^2 / ell_d^2
        d_corr = (s * 5.0 / 3.0) * (1.0 + _SQRT5 * r) * e
        grad_ell = 0.5 * ((w * d_corr).ravel() @ diff2) * inv_ell2
        grad_s = 0.5 * float(np.sum(w * corr)) * s
        grad_n = 0.5 * float(np.trace(w)) * noise
        z_ell = (log_ell - self._ell_mu) / self._ell_sd
        ratio = (log_n - log_s - np.log(NOISE_RATIO_CENTRE)) / NOISE_RATIO_LOG_SD
        value += 0.5 * float(z_ell @ z_ell) + 0.5 * log_s**2 + 0.5 * ratio**2
        grad_ell = grad_ell + z_ell / self._ell_sd
        grad_s += log_s - ratio / NOISE_RATIO_LOG_SD
        grad_n += ratio / NOISE_RATIO_LOG_SD
        extra: list[float] = []
        if self.trend:
            # dK/dlog(ell_d) = -4 q (1 + u) x_d x'_d / ell_d^2
            grad_ell = grad_ell - 2.0 * ((w * (q * lin)).ravel() @ prod) * inv_ell2
            z_q = (phi[d + 2] - self._trend_mu) / self.TREND_LOG_SD
            value += 0.5 * z_q**2
            extra = [0.5 * float(np.sum(w * lin**2)) * q + z_q / self.TREND_LOG_SD]
        return float(value), np.concatenate([grad_ell, [grad_s, grad_n], extra])

    def fit(self, z: np.ndarray, y: np.ndarray) -> None:
        """Fit hyperparameters (MAP, see the class) and condition on ``(z, y)``."""
        diff2, prod = self.pair_terms(z)
        lo, hi = np.log(self.ELL_BOUNDS)
        bounds = [(lo, hi)] * self.dim + [(-3.0, 3.0), (np.log(0.02) - 3.0, 3.0)]
        tail = [self._trend_mu] if self.trend else []
        if self.trend:
            bounds.append((-9.0, 2.0))
        x0 = np.concatenate([np.full(self.dim, self._ell_mu), [0.0, np.log(0.5)], tail])
        best = minimize(
            self.neg_log_posterior,
            x0,
            args=(y, diff2, prod),
            jac=True,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxiter": 200},
        )
        self.theta = np.asarray(best.x, dtype=np.float64)
        self.condition(z, y)

    @property
    def lengthscales(self) -> np.ndarray:
        """Fitted lengthscale of each input column, input units."""
        return np.asarray(np.exp(self.theta[: self.dim]))
