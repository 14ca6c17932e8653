"""The procedural prior: valid as requested, deterministic, and each family looks like itself."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from choreo.errors import ConfigError
from choreo.prior.corpus import FAMILIES, ProceduralPrior, build_corpus, strict_config
from choreo.robot.codec import decode
from choreo.robot.config import RobotConfig, load_robot_config
from choreo.robot.safety import check_choreography


@pytest.fixture(scope="module")
def cfg() -> RobotConfig:
    return load_robot_config()


def _keyframes(vectors: np.ndarray, cfg: RobotConfig) -> np.ndarray:
    return np.stack([decode(v, cfg).keyframes_deg for v in vectors])


def _durations(vectors: np.ndarray, cfg: RobotConfig) -> np.ndarray:
    return np.stack([decode(v, cfg).durations_s for v in vectors])


def test_samples_pass_the_safety_check_as_requested(cfg: RobotConfig) -> None:
    batch = ProceduralPrior(cfg, seed=11).sample_batch(40)
    assert batch.vectors.shape == (40, 196)
    assert batch.vectors.dtype == np.uint8
    strict = strict_config(cfg)
    assert strict.stretch == "reject"
    for v in batch.vectors:
        verdict = check_choreography(v, cfg)
        assert verdict.ok, verdict.reason
        assert verdict.plan is not None
        assert not verdict.plan.stretched.any()  # performed exactly as requested
    # the bookkeeping: every vector was drawn at least once, failures are counted
    assert int(batch.drawn.sum()) >= 40
    assert 0.0 <= batch.failed_share < 0.05
    assert sum(batch.family_counts().values()) == 40


def test_same_seed_same_vectors_other_seed_others(cfg: RobotConfig) -> None:
    a = ProceduralPrior(cfg, seed=5).sample(12)
    b = ProceduralPrior(cfg, seed=5).sample(12)
    c = ProceduralPrior(cfg, seed=6).sample(12)
    np.testing.assert_array_equal(a, b)
    assert (a != c).any(axis=1).all()


def test_family_weights_select_families_and_unknown_is_refused(cfg: RobotConfig) -> None:
    batch = ProceduralPrior(cfg, 0, {"swing": 1.0}).sample_batch(8)
    assert set(batch.family.tolist()) == {FAMILIES.index("swing")}
    with pytest.raises(ConfigError, match=r"unknown prior families.*'waltz'"):
        ProceduralPrior(cfg, 0, {"waltz": 1.0})
    with pytest.raises(ConfigError, match="not all be zero"):
        ProceduralPrior(cfg, 0, {"swing": 0.0})


def test_each_family_has_its_character(cfg: RobotConfig) -> None:
    prior = ProceduralPrior(cfg, seed=3)
    n = 200
    span = cfg.envelope[:, 1] - cfg.envelope[:, 0]
    # excursion of each axis over keyframes 2..28 (keyframe 1 is reached from HOME)
    excursion = {}
    for name in FAMILIES:
        kf = _keyframes(prior.draw(name, n), cfg)[:, 1:]
        excursion[name] = ((kf.max(axis=1) - kf.min(axis=1)) / span).max(axis=1)

    # stillness: a held pose, a few degrees at most (tremor + byte rounding)
    still = _keyframes(prior.draw("stillness", n), cfg)[:, 1:]
    assert np.percentile(np.ptp(still, axis=1).max(axis=1), 90) < 12.0
    # the moving families move much more than stillness
    for name in ("drift", "swing", "repetition", "sweep"):
        assert np.median(excursion[name]) > 5 * np.median(excursion["stillness"]), name

    # repetition: a motif of 2..7 keyframes repeats exactly (in bytes) after keyframe 1
    rep = prior.draw("repetition", n).reshape(n, 28, 7)[:, 1:, :6]
    periodic = [any(np.array_equal(r[m:], r[:-m]) for m in range(1, 8) if m < len(r)) for r in rep]
    assert np.mean(periodic) == 1.0

    # swing: the moving axes oscillate (their direction reverses) for most draws
    sw = _keyframes(prior.draw("swing", n), cfg)[:, 1:]
    reversals = (np.diff(np.sign(np.diff(sw, axis=1)), axis=1) != 0).sum(axis=1).max(axis=1)
    assert np.median(reversals) >= 2

    # drift is slow: longer segments on average than the range's middle
    d = _durations(prior.draw("drift", n), cfg)
    mid = 0.5 * (cfg.segment_duration_s.min + cfg.segment_duration_s.max)
    assert d.mean() > mid


def test_durations_vary_across_the_range(cfg: RobotConfig) -> None:
    d = _durations(ProceduralPrior(cfg, seed=4).sample(30), cfg)
    lo, hi = cfg.segment_duration_s.min, cfg.segment_duration_s.max
    assert d.min() >= lo - 1e-9
    assert d.max() <= hi + 1e-9
    # per-choreography tempo differs: the means spread over a good part of the range
    assert np.ptp(d.mean(axis=1)) > 0.3 * (hi - lo)


def test_corpus_is_cached_by_seed_and_size(cfg: RobotConfig, tmp_path: Path) -> None:
    first, cached = build_corpus(cfg, seed=9, size=24, cache_dir=tmp_path)
    assert not cached
    assert len(list(tmp_path.glob("corpus-s9-n24-*.npz"))) == 1
    again, cached = build_corpus(cfg, seed=9, size=24, cache_dir=tmp_path)
    assert cached
    np.testing.assert_array_equal(first.vectors, again.vectors)
    np.testing.assert_array_equal(first.family, again.family)
    # a damaged cache file is rebuilt, not trusted
    next(tmp_path.glob("*.npz")).write_bytes(b"not a zip")
    rebuilt, cached = build_corpus(cfg, seed=9, size=24, cache_dir=tmp_path)
    assert not cached
    np.testing.assert_array_equal(first.vectors, rebuilt.vectors)


def test_segment_timing_is_zero_on_the_prior_and_differentiable(cfg: RobotConfig) -> None:
    import torch

    from choreo.prior.corpus import SegmentTiming

    timing = SegmentTiming(cfg)
    corpus = ProceduralPrior(cfg, seed=8).sample(50)
    # only byte rounding is left over on the prior's own vectors
    assert float(timing.excess(torch.from_numpy(corpus)).max()) < 0.02
    jumpy = np.zeros((28, 7), np.uint8)
    jumpy[1::2, :6] = 255  # across the envelope in the shortest duration
    x = torch.tensor(jumpy.reshape(1, 196), dtype=torch.float32, requires_grad=True)
    excess = timing.excess(x)
    assert excess.shape == (1, 28)
    assert float(excess.detach()[0, 1:].min()) > 1.0  # seconds too short, every segment
    excess.sum().backward()
    assert x.grad is not None
    assert torch.isfinite(x.grad).all()
    assert float(x.grad.view(28, 7)[1:, 6].max()) < 0  # longer durations reduce it
