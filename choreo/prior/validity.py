"""How good a prior is: validity against the safety check, diversity against the corpus.

Distances are between *decoded joint trajectories*: the 28 keyframes A1..A6 in
degrees (durations are compared separately), as the RMS over keyframes and
axes of the difference, deg. Measures:

- ``validity``: share of vectors that pass ``check_choreography`` unaltered;
- ``pairwise_rms_deg``: mean distance between two random samples, beside the
  same figure for the corpus (a collapsed generator has a much smaller one);
- ``nn_train_deg``: median distance of a sample to its nearest training
  vector, beside the same for held-out corpus vectors (a memorising generator
  has a much smaller one); ``near_copies``: share of samples within 1 deg RMS
  of a training vector, beside the held-out share;
- ``coverage``: share of held-out corpus vectors that have a sample within the
  reference radius (the median distance from held-out vectors to an equally
  large random subset of the training set, so the reference is 0.5 by
  construction), overall and per family (beside the reference subset's own
  coverage of that family: tight families are covered more easily);
- ``family_share``: the share of samples whose nearest training vector is of
  each family, beside the same share for the held-out vectors (nearest-neighbour
  labels favour the compact families, stillness above all, so the held-out
  share, not the corpus mix, is the reference).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from numpy.typing import NDArray

from choreo.prior.corpus import FAMILIES

if TYPE_CHECKING:
    from choreo.robot.config import RobotConfig

#: Distance (deg RMS) under which a sample counts as a near-copy of a training vector.
NEAR_COPY_DEG = 1.0


@dataclass(frozen=True)
class Validity:
    """Shares of vectors passing the safety check, and the commonest reasons for failing.

    Attributes
    ----------
    share : float
        Passing ``check_choreography`` under the configuration as it is.
    strict_share : float
        Passing with ``stretch = "reject"``: performed exactly as requested, no
        segment slowed down by the planner (equal to ``share`` when the
        configuration already rejects).
    n : int
        Vectors checked.
    reasons : dict
        Commonest failed layers under the configuration as it is.
    strict_reasons : dict
        Commonest failed layers under the strict check.
    """

    share: float
    strict_share: float
    n: int
    reasons: dict[str, int] = field(default_factory=dict)
    strict_reasons: dict[str, int] = field(default_factory=dict)


def validity(vectors: NDArray[np.uint8], cfg: RobotConfig) -> Validity:
    """Check every vector with ``check_choreography`` as it is (never altered)."""
    from choreo.prior.corpus import strict_config
    from choreo.robot.safety import check_choreography

    strict = strict_config(cfg)
    reasons: Counter[str] = Counter()
    strict_reasons: Counter[str] = Counter()
    ok = strict_ok = 0
    for v in vectors:
        verdict = check_choreography(v, strict)
        if not verdict.ok:
            strict_reasons[verdict.layer] += 1
            if strict is not cfg:  # passing strictly implies passing; only recheck failures
                verdict = check_choreography(v, cfg)
        else:
            strict_ok += 1
        if verdict.ok:
            ok += 1
        else:
            reasons[verdict.layer] += 1
    n = max(len(vectors), 1)
    return Validity(
        ok / n,
        strict_ok / n,
        len(vectors),
        dict(reasons.most_common(5)),
        dict(strict_reasons.most_common(5)),
    )


def joint_trajectories(
    vectors: NDArray[np.uint8], cfg: RobotConfig
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Decode vectors to keyframes ``(n, 28*6)`` deg and durations ``(n, 28)`` s."""
    from choreo.robot.codec import decode_many

    kf, du = decode_many(np.asarray(vectors, dtype=np.uint8), cfg)
    return kf.reshape(len(kf), -1).astype(np.float32), du.astype(np.float32)


def structure(vectors: NDArray[np.uint8]) -> dict[str, float]:
    """How crisp the motion is, from the bytes of keyframes 2..28 (1 is reached from HOME).

    Returns
    -------
    dict
        ``held_axes``: share of (choreography, axis) pairs that hold still (range
        <= 2 bytes); ``roughness``: median over moving axes (range > 10 bytes) of
        sum |second difference| / sum |first difference| (about 0 for a ramp, 2
        for noise); ``moving_range``: median byte range of the moving axes.
    """
    k = vectors.reshape(-1, 28, 7)[:, 1:, :6].astype(np.float64)
    span = k.max(axis=1) - k.min(axis=1)
    moving = span > 10
    d1 = np.abs(np.diff(k, axis=1)).sum(axis=1)
    d2 = np.abs(np.diff(k, n=2, axis=1)).sum(axis=1)
    return {
        "held_axes": float((span <= 2).mean()),
        "roughness": float(np.median(d2[moving] / d1[moving])) if moving.any() else 0.0,
        "moving_range": float(np.median(span[moving])) if moving.any() else 0.0,
    }


def _nn(
    a: NDArray[np.float32], b: NDArray[np.float32], exclude_self: bool = False
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """RMS distance (deg) from each row of ``a`` to its nearest row of ``b``, and its index."""
    ta, tb = torch.from_numpy(a), torch.from_numpy(b)
    dist = np.empty(len(a))
    idx = np.empty(len(a), dtype=np.int64)
    for s in range(0, len(a), 512):
        d = torch.cdist(ta[s : s + 512], tb)
        if exclude_self:
            d[torch.arange(d.shape[0]), torch.arange(s, s + d.shape[0])] = float("inf")
        m, i = d.min(dim=1)
        dist[s : s + len(m)] = m.numpy()
        idx[s : s + len(m)] = i.numpy()
    return dist / np.sqrt(a.shape[1]), idx


def _mean_pairwise(a: NDArray[np.float32]) -> float:
    d = torch.cdist(torch.from_numpy(a), torch.from_numpy(a)).numpy() / np.sqrt(a.shape[1])
    n = len(a)
    return float(d.sum() / max(n * (n - 1), 1))


def diversity(
    samples: NDArray[np.uint8],
    train: NDArray[np.uint8],
    train_family: NDArray[np.int64],
    held_out: NDArray[np.uint8],
    held_out_family: NDArray[np.int64],
    cfg: RobotConfig,
    seed: int = 0,
) -> dict[str, Any]:
    """Diversity of ``samples`` against the corpus (see the module docstring).

    Returns
    -------
    dict
        Flat figures (floats) and ``family_share`` / ``coverage_by_family`` dicts.
    """
    rng = np.random.default_rng(seed)
    n = len(samples)
    s_kf, s_du = joint_trajectories(samples, cfg)
    t_kf, t_du = joint_trajectories(train, cfg)
    h_kf, _ = joint_trajectories(held_out, cfg)
    sub = rng.choice(len(train), size=min(n, len(train)), replace=False)

    s_nn, s_idx = _nn(s_kf, t_kf)
    h_nn, h_idx = _nn(h_kf, t_kf)
    # Coverage: radius from held-out -> an equally large training subset.
    h_to_sub, _ = _nn(h_kf, t_kf[sub])
    radius = float(np.median(h_to_sub))
    h_to_samples, _ = _nn(h_kf, s_kf)
    covered = h_to_samples <= radius

    covered_ref = h_to_sub <= radius

    k = len(FAMILIES)
    sample_family = np.bincount(train_family[s_idx], minlength=k) / max(n, 1)
    held_out_family_nn = np.bincount(train_family[h_idx], minlength=k) / max(len(h_idx), 1)
    corpus_family = np.bincount(train_family, minlength=k) / max(len(train_family), 1)
    coverage_by_family = {}
    coverage_ref_by_family = {}
    for fi, name in enumerate(FAMILIES):
        mask = held_out_family == fi
        coverage_by_family[name] = float(covered[mask].mean()) if mask.any() else float("nan")
        coverage_ref_by_family[name] = (
            float(covered_ref[mask].mean()) if mask.any() else float("nan")
        )

    crisp = structure(samples)
    crisp_ref = structure(held_out)
    return {
        **crisp,
        **{f"held_out_{k}": v for k, v in crisp_ref.items()},
        "pairwise_rms_deg": _mean_pairwise(s_kf[: min(n, 1000)]),
        "corpus_pairwise_rms_deg": _mean_pairwise(t_kf[sub[:1000]]),
        "nn_train_deg": float(np.median(s_nn)),
        "held_out_nn_train_deg": float(np.median(h_nn)),
        "near_copies": float((s_nn < NEAR_COPY_DEG).mean()),
        "held_out_near_copies": float((h_nn < NEAR_COPY_DEG).mean()),
        "coverage": float(covered.mean()),
        "coverage_reference": 0.5,
        "coverage_radius_deg": radius,
        "duration_mean_s": float(s_du.mean()),
        "corpus_duration_mean_s": float(t_du.mean()),
        "duration_std_s": float(s_du.std()),
        "corpus_duration_std_s": float(t_du.std()),
        "family_share": {f: float(x) for f, x in zip(FAMILIES, sample_family, strict=True)},
        "held_out_family_share": {
            f: float(x) for f, x in zip(FAMILIES, held_out_family_nn, strict=True)
        },
        "corpus_family_share": {f: float(x) for f, x in zip(FAMILIES, corpus_family, strict=True)},
        "coverage_by_family": coverage_by_family,
        "coverage_reference_by_family": coverage_ref_by_family,
    }
