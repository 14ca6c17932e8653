"""Statistics of benchmark runs: evaluations to reach or hold the target, medians with
intervals, and the per-participant summary.

Part of :mod:`choreo.evaluation.benchmark` (which re-exports every public name).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from choreo.evaluation.reference import Reference
from choreo.evaluation.runner import METHODS, POPULATION_METHODS, TARGET


def evals_to_reach(normalised_curve: np.ndarray, target: float = TARGET) -> float:
    """First evaluation count (1-based) whose recommendation reaches ``target``; inf if none."""
    hit = np.flatnonzero(np.asarray(normalised_curve) >= target)
    return float(hit[0] + 1) if len(hit) else math.inf


def evals_to_hold(normalised_curve: np.ndarray, target: float = TARGET) -> float:
    """First evaluation count (1-based) from which the recommendation stays at or above
    ``target`` to the end of the run; inf if it ends below.

    A stricter reading than :func:`evals_to_reach`: a method whose recommendation follows
    the luckiest noisy score can touch the target early and fall back.
    """
    below = np.flatnonzero(np.asarray(normalised_curve) < target)
    if not len(below):
        return 1.0
    last = int(below[-1])
    return float(last + 2) if last + 1 < len(normalised_curve) else math.inf


def quartiles(x: Sequence[float] | np.ndarray) -> tuple[float, float, float]:
    """Median, 25th and 75th percentile of ``x`` (inf for "not within the budget").

    Each is the midpoint of the two order statistics it falls between, so with an even
    number of seeds the median is the mean of the two middle values, the usual median,
    and it is inf when the upper of them is censored: neither the lower nor the upper
    of the two, which would flatter or penalise every method alike.
    """
    v = np.sort(np.asarray(x, dtype=np.float64))
    med, q25, q75 = (float(_midpoint(v, share)) for share in (0.5, 0.25, 0.75))
    return med, q25, q75


def _midpoint(sorted_rows: np.ndarray, share: float) -> np.ndarray:
    """The ``share`` quantile along the last axis of sorted values: the midpoint of the
    two order statistics it falls between (numpy's "midpoint" interpolates and turns
    (x + inf) / 2 into nan)."""
    pos = share * (sorted_rows.shape[-1] - 1)
    return np.asarray(0.5 * (sorted_rows[..., math.floor(pos)] + sorted_rows[..., math.ceil(pos)]))


def median_interval(
    x: Sequence[float] | np.ndarray, level: float = 0.95, resamples: int = 2000
) -> tuple[float, float]:
    """Percentile-bootstrap interval of the median of ``x`` over seeds (inf: censored).

    The seeds are resampled with replacement (a fixed draw, so the same runs give the
    same interval) and the median of each resample is taken as :func:`quartiles` takes
    it. The bounds are order statistics of those medians, so a censored (inf) median
    stays inf instead of becoming nan. With 20 seeds and this trial noise the interval
    is wide: two learners whose curves differ by nothing measurable can have medians
    10 evaluations apart.
    """
    v = np.asarray(x, dtype=np.float64)
    rows = np.sort(v[np.random.default_rng(0).integers(0, len(v), (resamples, len(v)))], axis=1)
    medians = _midpoint(rows, 0.5)
    tail = 0.5 * (1.0 - level)
    lo = float(np.quantile(medians, tail, method="lower"))
    hi = float(np.quantile(medians, 1.0 - tail, method="higher"))
    return lo, hi


def summarise(
    runs: list[dict[str, Any]], refs: dict[tuple[str, int], Reference], budgets: Sequence[int]
) -> dict[str, Any]:
    """Per participant and method: normalised value at each budget and evaluations to 0.8."""
    max_b = max(budgets)
    out: dict[str, Any] = {}
    for spec in sorted({r["participant"] for r in runs}):
        per_method: dict[str, Any] = {}
        for method in METHODS:
            rs = [r for r in runs if r["participant"] == spec and r["method"] == method]
            if not rs:
                continue
            norm = np.array([refs[(spec, r["seed"])].normalise(np.array(r["curve"])) for r in rs])
            reach = [evals_to_reach(n) for n in norm]
            med, q1, q3 = quartiles(reach)
            ci = median_interval(reach)
            holds = [evals_to_hold(n) for n in norm]
            hold = quartiles(holds)
            # The mean normalised value over the whole run, per seed: an area under the
            # curve, which moves far less from seed to seed than evaluations to 0.8.
            area = norm[:, :max_b].mean(axis=1)
            per_method[method] = {
                "normalised": {
                    str(b): dict(
                        zip(("median", "q25", "q75"), quartiles(norm[:, b - 1]), strict=True)
                    )
                    for b in budgets
                },
                "evals_to_target": {
                    "median": med,
                    "q25": q1,
                    "q75": q3,
                    "median_ci95": list(ci),
                    "censored_at": max_b,
                },
                "mean_value": {
                    "mean": float(area.mean()),
                    "se": float(area.std(ddof=1) / math.sqrt(len(area)))
                    if len(area) > 1
                    else None,
                    "over_evaluations": max_b,
                },
                "evals_to_hold_target": dict(
                    zip(("median", "q25", "q75"), hold, strict=True),
                    median_ci95=list(median_interval(holds)),
                    censored_at=max_b,
                ),
                "curve_median": np.median(norm, axis=0).tolist(),
                "curve_q25": np.percentile(norm, 25, axis=0).tolist(),
                "curve_q75": np.percentile(norm, 75, axis=0).tolist(),
            }
        # choreo's methods against the others (not against each other); the learner
        # from scratch only against methods that know no earlier people either.
        blind = [m for m in per_method if m not in ("learner", *POPULATION_METHODS)]
        informed = [m for m in per_method if m not in ("learner", "population")]
        for ours, others in (("learner", blind), ("population", informed)):
            # A speed-up exists only when our median reaches the target; when no other
            # method's does, it is a bound: at least the budget over ours.
            res = per_method.get(ours)
            mine = res["evals_to_target"]["median"] if res is not None else math.inf
            if res is not None and others and math.isfinite(mine) and mine > 0:
                best_other = min(per_method[m]["evals_to_target"]["median"] for m in others)
                bounded = not math.isfinite(best_other)
                res["speedup_vs_best_other"] = (max_b if bounded else best_other) / mine
                res["speedup_is_lower_bound"] = bounded
            # The same on the headline measure: evaluations from which it holds the target.
            held = res["evals_to_hold_target"]["median"] if res is not None else math.inf
            if res is not None and others and math.isfinite(held) and held > 0:
                best_other = min(per_method[m]["evals_to_hold_target"]["median"] for m in others)
                bounded = not math.isfinite(best_other)
                res["hold_speedup_vs_best_other"] = (max_b if bounded else best_other) / held
                res["hold_speedup_is_lower_bound"] = bounded
        out[spec] = per_method
    return out
