"""The surrogate models: what they learn from noisy scores, and that the fit is exact."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from choreo.learning.gaussian_process import ArdGP, LatentGP
from choreo.learning.learner import rank_normal


def _few_of_many(seed: int, n: int = 100, dim: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """Scores that depend on columns 0 and 3 of ``dim``, with noise."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    y = np.sin(1.5 * x[:, 0]) + 0.5 * x[:, 3] ** 2 + 0.3 * rng.standard_normal(n)
    return x, y


def test_gaussian_process_sum_moves_weight_to_the_group_that_matters() -> None:
    """Groups start from the last alone (the motion descriptors in the learner); when
    the scores depend on the first group only, the weight moves there."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal((80, 6))
    y = np.sin(2.0 * x[:, 0]) + 0.1 * rng.standard_normal(80)
    gp = LatentGP([3, 3])
    gp.fit(x[:60], y[:60])
    assert gp.weights[-1] <= 0.5, gp.weights
    mean, _ = gp.predict(x[60:])
    assert np.corrcoef(mean, y[60:])[0, 1] > 0.6


def test_ard_finds_the_inputs_that_matter_and_predicts_better_than_one_lengthscale() -> None:
    x, y = _few_of_many(0)
    ard = ArdGP(12)
    ard.fit(x[:60], y[:60])
    ells = ard.lengthscales
    relevant = ells[[0, 3]]
    others = np.delete(ells, [0, 3])
    assert relevant.max() < 0.5 * others.min(), np.round(ells, 2)
    iso = LatentGP(12)
    iso.fit(x[:60], y[:60])
    truth = np.sin(1.5 * x[60:, 0]) + 0.5 * x[60:, 3] ** 2
    r_ard = np.corrcoef(ard.predict(x[60:])[0], truth)[0, 1]
    r_iso = np.corrcoef(iso.predict(x[60:])[0], truth)[0, 1]
    assert r_ard > 0.85, r_ard
    assert r_ard > r_iso + 0.2, (r_ard, r_iso)


def test_ard_fit_is_a_pure_function_of_the_data() -> None:
    x, y = _few_of_many(1, n=40)
    a, b = ArdGP(12), ArdGP(12)
    a.fit(x, y)
    b.fit(x[:20], y[:20])  # a different history first
    b.fit(x, y)
    np.testing.assert_array_equal(a.theta, b.theta)
    np.testing.assert_array_equal(a.predict(x[:5])[0], b.predict(x[:5])[0])


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31 - 1),
    n=st.integers(3, 25),
    dim=st.integers(1, 6),
    trend=st.booleans(),
)
def test_ard_gradient_matches_finite_differences(seed: int, n: int, dim: int, trend: bool) -> None:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    y = rng.standard_normal(n)
    gp = ArdGP(dim, trend_centre=0.05 if trend else None)
    pairs = gp.pair_terms(x)
    tail = rng.uniform(-4.0, 0.0, int(trend))  # log trend variance
    phi = np.concatenate([rng.uniform(-1.0, 1.5, dim), rng.uniform(-1.0, 1.0, 2), tail])
    _, grad = gp.neg_log_posterior(phi, y, *pairs)
    h = 1e-6
    numeric = np.array(
        [
            (
                gp.neg_log_posterior(phi + h * e, y, *pairs)[0]
                - gp.neg_log_posterior(phi - h * e, y, *pairs)[0]
            )
            / (2 * h)
            for e in np.eye(len(phi))
        ]
    )
    np.testing.assert_allclose(grad, numeric, rtol=1e-4, atol=1e-5)


def test_quadratic_trend_extrapolates_a_bowl_where_the_matern_returns_to_the_mean() -> None:
    """Scores fall off around a preferred value of one of 4 inputs (scored within
    +-1.5): beyond the data the trend keeps falling, the Matérn alone forgets."""
    rng = np.random.default_rng(3)
    x = rng.uniform(-1.5, 1.5, (30, 4))
    y = rank_normal(-((x[:, 1] - 0.3) ** 2) + 0.2 * rng.standard_normal(30))
    probes = np.zeros((3, 4))
    probes[:, 1] = [-4.0, 0.3, 4.0]
    plain, bowl = ArdGP(4), ArdGP(4, trend_centre=0.05)
    plain.fit(x, y)
    bowl.fit(x, y)
    far_plain = plain.predict(probes)[0][[0, 2]]
    far_bowl = bowl.predict(probes)[0][[0, 2]]
    assert np.all(np.abs(far_plain) < 0.5), far_plain
    assert np.all(far_bowl < y.min()), far_bowl
    # Both put the top where it is and find the one input that matters.
    assert bowl.predict(probes)[0][1] > 0.5
    for gp in (plain, bowl):
        assert gp.lengthscales[1] < 0.3 * np.delete(gp.lengthscales, 1).min()


def test_posterior_mean_interpolates_little_noise_and_its_sd_shrinks_at_the_data() -> None:
    x, y = _few_of_many(2, n=50, dim=4)
    gp = ArdGP(4)
    gp.fit(x, y)
    mean, sd = gp.predict(x)
    far = np.full((1, 4), 6.0)
    _, sd_far = gp.predict(far)
    assert np.corrcoef(mean, y)[0, 1] > 0.9
    assert float(sd.max()) < float(sd_far[0])
    assert np.exp(gp.theta[-1]) == pytest.approx(0.09, rel=1.0)  # noise variance ~0.3^2
