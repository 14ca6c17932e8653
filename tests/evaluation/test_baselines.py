"""Baselines behind the learner's interface: random search, prior sampling, CMA-ES, FBGAN,
and the earlier people's favourite."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from choreo.evaluation.baselines import (
    FBGAN,
    CmaEsRaw,
    EarlierFavourite,
    PriorSampling,
    RandomSearch,
)
from choreo.prior.checkpoint import load_generator
from choreo.robot.config import load_robot_config
from choreo.robot.safety import check_choreography


def _score(v: np.ndarray) -> float:
    """Noise-free toy objective: bytes near 100."""
    return float(-np.abs(v.astype(np.float64) - 100.0).mean())


def test_random_search_is_safe_deterministic_and_recommends_its_best() -> None:
    cfg = load_robot_config()
    a, b = RandomSearch(5), RandomSearch(5)
    seen = []
    for _ in range(4):
        va, vb = a.propose(), b.propose()
        np.testing.assert_array_equal(va, vb)
        assert check_choreography(va, cfg).ok
        a.update(va, _score(va))
        seen.append(va)
    best = max(seen, key=_score)
    np.testing.assert_array_equal(a.recommend(), best)


def test_prior_sampling_draws_from_the_generator_deterministically() -> None:
    gen, _ = load_generator()
    a, b = PriorSampling(2, checkpoint=gen), PriorSampling(2, checkpoint=gen)
    va, vb = a.propose(), b.propose()
    np.testing.assert_array_equal(va, vb)
    assert not np.array_equal(va, PriorSampling(3, checkpoint=gen).propose())


def test_earlier_favourite_shows_the_starts_then_samples_and_never_learns() -> None:
    cfg = load_robot_config()
    gen, _ = load_generator()
    starts = PriorSampling(7, checkpoint=gen).generator.sample(3, np.random.default_rng(1))
    fav = EarlierFavourite(starts, 2, checkpoint=gen)
    shown = []
    for i in range(5):
        v = fav.propose()
        shown.append(v)
        # The new person's scores favour the later choreographies; it does not care.
        fav.update(v, float(i))
        np.testing.assert_array_equal(fav.recommend(), starts[0])
    np.testing.assert_array_equal(np.stack(shown[:3]), starts)
    # After the starts: the prior, as PriorSampling with the same seed draws it.
    np.testing.assert_array_equal(shown[3], PriorSampling(2, checkpoint=gen).propose())
    assert all(check_choreography(v, cfg).ok for v in shown[3:])


def test_cmaes_improves_a_noise_free_objective_and_recommends_its_mean() -> None:
    es = CmaEsRaw(0)
    start = _score(es.recommend())  # the initial mean
    for _ in range(es.es.popsize * 10):
        v = es.propose()
        assert v.dtype == np.uint8
        assert v.shape == (196,)
        es.update(v, _score(v))
    # 196 dimensions and sigma 64: slow, but the mean does move the right way.
    assert _score(es.recommend()) > start + 1.5
    np.testing.assert_array_equal(es.recommend(), np.clip(np.rint(es.es.mean), 0, 255))
    es.propose()
    with pytest.raises(ValueError, match="proposed"):
        es.update(np.zeros(196, dtype=np.uint8), 0.0)


def test_fbgan_replaces_the_oldest_real_samples_by_those_above_threshold() -> None:
    fb = FBGAN(0, batch_size=4, real_size=64)
    oldest = [v.copy() for v in list(fb.real)[:4]]
    before = [p.detach().clone() for p in fb.generator.parameters()]
    batch = [fb.propose() for _ in range(1)]
    scores = [0.0, 1.0, 2.0, 3.0]
    vs = []
    for s in scores:
        v = fb.propose()
        vs.append(v)
        fb.update(v, s)
    del batch
    # Threshold fixed at the first batch's 75% quantile (2.25): one sample beats it.
    assert fb.threshold == pytest.approx(2.25)
    assert fb.replaced == 1
    assert len(fb.real) == 64
    np.testing.assert_array_equal(fb.real[-1], vs[3])
    np.testing.assert_array_equal(fb.real[0], oldest[1])  # the oldest one is gone
    changed = any(
        not torch.equal(a, b) for a, b in zip(before, fb.generator.parameters(), strict=True)
    )
    assert changed  # one epoch of WGAN-GP on the updated set
    np.testing.assert_array_equal(fb.recommend(), vs[3])
