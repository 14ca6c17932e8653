"""The learning benchmark on a tiny run: JSON structure, normalisation, PNG, bad arguments."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from choreo.errors import InputError
from choreo.evaluation.benchmark import (
    DEFAULT_METHODS,
    POPULATION_FIRST_SEED,
    evals_to_hold,
    evals_to_reach,
    median_interval,
    noisier_participant,
    quartiles,
    run_learning_benchmark,
)
from choreo.evaluation.participants import load_participant
from choreo.evaluation.reference import REFERENCE_VERSION

SPEC = "choreo.evaluation.participants:CalmParticipant"


def test_evals_to_hold_needs_the_rest_of_the_run_at_the_target() -> None:
    assert evals_to_hold(np.array([0.9, 0.5, 0.81, 0.85])) == 3  # touched at 1, held from 3
    assert evals_to_hold(np.array([0.85, 0.9])) == 1
    assert evals_to_hold(np.array([0.9, 0.5])) == math.inf  # ends below: never held


def test_evals_to_reach_counts_from_one_and_censors() -> None:
    assert evals_to_reach(np.array([0.1, 0.5, 0.81, 0.7])) == 3
    assert evals_to_reach(np.array([0.1, 0.5])) == math.inf


def test_tiny_benchmark_writes_complete_json_and_png(tmp_path: Path) -> None:
    doc = run_learning_benchmark(
        participants=[SPEC],
        budgets=(2, 4),
        seeds=1,
        json_path=tmp_path / "learning.json",
        plot_path=tmp_path / "learning.png",
        workers=0,
        cache_dir=tmp_path,
        progress=False,
        reference_evals=200,
    )
    on_disk = json.loads((tmp_path / "learning.json").read_text())
    assert on_disk["settings"]["budgets"] == [2, 4]
    assert on_disk["settings"]["reference_version"] == REFERENCE_VERSION
    # The participants' noise and effect, and the record they come from.
    cal = on_disk["settings"]["participant_calibration"]
    assert cal["effect_range_z"] == cal["from"]["effect_range_z"] == 0.656
    assert cal["noise_scale_z"] == pytest.approx(cal["from"]["noise_scale_z"])
    assert cal["noise_factor"] == 1.0
    assert (tmp_path / "learning.png").stat().st_size > 10_000
    ref = on_disk["references"][0]
    assert {"random_median", "optimum_value", "optimum_vector"} <= set(ref)
    assert len(ref["optimum_vector"]) == 196
    runs = on_disk["runs"]
    assert sorted(r["method"] for r in runs) == sorted(DEFAULT_METHODS)
    person = load_participant(SPEC, 0)
    for r in runs:
        for b in ("2", "4"):
            entry = r["budgets"][b]
            vec = np.array(entry["recommended_vector"], dtype=np.uint8)
            assert person.true_value(vec) == pytest.approx(entry["true_value"], abs=1e-9)
            norm = (entry["true_value"] - ref["random_median"]) / (
                ref["optimum_value"] - ref["random_median"]
            )
            assert entry["normalised"] == pytest.approx(norm)
        curve = (np.array(r["true_value_curve"]) - ref["random_median"]) / (
            ref["optimum_value"] - ref["random_median"]
        )
        for key, measure in (
            ("evals_to_target", evals_to_reach),
            ("evals_to_hold_target", evals_to_hold),
        ):
            expected = measure(curve)
            assert r[key] == (None if math.isinf(expected) else expected), (r["method"], key)
    summary = doc["summary"][SPEC]
    assert set(summary) == set(DEFAULT_METHODS)
    assert {"median", "q25", "q75"} <= set(summary["learner"]["normalised"]["4"])
    assert len(summary["learner"]["evals_to_target"]["median_ci95"]) == 2
    assert summary["learner"]["mean_value"]["over_evaluations"] == 4


def test_population_method_starts_from_the_earlier_peoples_favourites(tmp_path: Path) -> None:
    """Earlier people (seeds from 10000) are run by the learner first; the population
    method's first proposals are their favourites, recorded in the JSON."""
    doc = run_learning_benchmark(
        participants=[SPEC],
        budgets=(1, 3),
        seeds=1,
        methods=["learner", "population", "favourite"],
        population=2,
        population_evaluations=12,
        workers=0,
        cache_dir=tmp_path,
        progress=False,
        reference_evals=200,
    )
    pop = doc["settings"]["population"]
    assert (pop["earlier_people"], pop["first_seed"]) == (2, POPULATION_FIRST_SEED)
    starts = np.array(pop["starts"][SPEC], dtype=np.uint8)
    assert 1 <= len(starts) <= 2  # one favourite per earlier person, distinct
    run = next(r for r in doc["runs"] if r["method"] == "population")
    # After one evaluation the only scored choreography is the first start.
    first = np.array(run["budgets"]["1"]["recommended_vector"], dtype=np.uint8)
    np.testing.assert_array_equal(first, starts[0])
    # "favourite" hands over the first start whatever the new person's scores.
    fav = next(r for r in doc["runs"] if r["method"] == "favourite")
    for b in ("1", "3"):
        np.testing.assert_array_equal(fav["budgets"][b]["recommended_vector"], starts[0])
    summary = doc["summary"][SPEC]
    assert set(summary) == {"learner", "population", "favourite"}
    # The learner from scratch is measured only against methods that know no earlier
    # people (none here); the population learner against the favourite.
    assert "speedup_vs_best_other" not in summary["learner"]
    pop_median = summary["population"]["evals_to_target"]["median"]  # None: not reached
    assert ("speedup_vs_best_other" in summary["population"]) == (pop_median is not None)
    with pytest.raises(InputError, match="10000"):
        run_learning_benchmark(
            participants=[SPEC], methods=["population"], first_seed=9990, seeds=20
        )


def test_bad_arguments_are_input_errors() -> None:
    with pytest.raises(InputError, match="method"):
        run_learning_benchmark(participants=[SPEC], methods=["magic"], progress=False)
    with pytest.raises(InputError, match="module:Class"):
        run_learning_benchmark(participants=["nonsense"], progress=False)
    with pytest.raises(InputError, match="budgets"):
        run_learning_benchmark(participants=[SPEC], budgets=(0,), progress=False)


def test_noise_factor_scales_the_trial_noise_and_names_a_participant_without_one() -> None:
    calm = load_participant(SPEC, 0)
    assert noisier_participant(calm, 1.0, SPEC) is calm
    base = calm.noise_scale
    assert noisier_participant(calm, 0.25, SPEC).noise_scale == pytest.approx(0.25 * base)
    # The same person (seed) at factors 0, 0.5 and 1: the scores' departure from the
    # noise-free one (drift and habituation alike) scales with the factor.
    vec = np.full(196, 128, dtype=np.uint8)
    score = {
        f: noisier_participant(load_participant(SPEC, 3), f, SPEC).respond(vec)
        for f in (0.0, 0.5, 1.0)
    }
    full, half = score[1.0] - score[0.0], score[0.5] - score[0.0]
    assert full != 0.0
    assert half == pytest.approx(0.5 * full)
    with pytest.raises(InputError, match="noise-factor"):
        noisier_participant(calm, -0.5, SPEC)

    class Unscaled:
        def respond(self, vector: np.ndarray) -> float:
            return 0.0

    with pytest.raises(InputError, match=r"'mine:Unscaled'.*noise_scale"):
        noisier_participant(Unscaled(), 0.5, "mine:Unscaled")


def test_quartiles_are_the_usual_median_and_censored_values_stay_censored() -> None:
    """Evaluations to the target of 20 seeds: the median is the mean of the 10th and 11th
    values, and a run that never reached the target (inf) is never averaged away."""
    reach = [float(k) for k in range(1, 19)] + [math.inf, math.inf]
    med, q1, q3 = quartiles(reach)
    assert med == 10.5
    assert (q1, q3) == (5.5, 15.5)
    med, _, q3 = quartiles([float(k) for k in range(1, 11)] + [math.inf] * 10)
    assert med == math.inf
    assert q3 == math.inf


def _curve_reaching_at(n: int | None, budget: int) -> list[float]:
    """A normalised curve that first reaches 0.8 at evaluation ``n`` (None: never)."""
    return [0.9 if n is not None and i + 1 >= n else 0.1 for i in range(budget)]


def test_speedup_is_a_bound_when_others_never_reach_and_absent_when_the_learner_never_does() -> (
    None
):
    from choreo.evaluation.benchmark import summarise
    from choreo.evaluation.reference import Reference

    refs = {(SPEC, s): Reference(SPEC, s, 0.0, 1.0, [0] * 196, 1, 0.0) for s in range(3)}

    def runs(learner_at: int | None, prior_at: int | None = None) -> list[dict[str, object]]:
        return [
            {"participant": SPEC, "method": m, "seed": s, "curve": _curve_reaching_at(n, 100)}
            for s in range(3)
            for m, n in (("learner", learner_at), ("prior", prior_at))
        ]

    learner = summarise(runs(20), refs, [50, 100])[SPEC]["learner"]
    assert learner["speedup_vs_best_other"] == pytest.approx(100 / 20)
    assert learner["speedup_is_lower_bound"] is True
    both = summarise(runs(20, prior_at=60), refs, [50, 100])[SPEC]["learner"]
    assert both["speedup_vs_best_other"] == pytest.approx(3.0)
    assert both["speedup_is_lower_bound"] is False
    never = summarise(runs(None), refs, [50, 100])[SPEC]["learner"]
    assert "speedup_vs_best_other" not in never


def test_median_interval_brackets_the_median_and_keeps_censoring() -> None:
    alike = [30.0] * 20
    assert median_interval(alike) == (30.0, 30.0)
    spread = [float(k) for k in range(1, 21)]
    lo, hi = median_interval(spread)
    assert lo < quartiles(spread)[0] < hi
    assert lo >= 5  # the middle of 1..20, not its ends
    assert hi <= 16
    assert median_interval(spread) == (lo, hi)  # a fixed draw
    half_censored = [float(k) for k in range(1, 11)] + [math.inf] * 10
    lo, hi = median_interval(half_censored)
    assert math.isfinite(lo)
    assert hi == math.inf


def test_mean_value_is_the_area_under_each_seeds_curve() -> None:
    from choreo.evaluation.benchmark import summarise
    from choreo.evaluation.reference import Reference

    refs = {(SPEC, s): Reference(SPEC, s, 0.0, 1.0, [0] * 196, 1, 0.0) for s in range(4)}
    # Seed s: value s/10 at every evaluation, so its area is s/10.
    runs = [
        {"participant": SPEC, "method": "learner", "seed": s, "curve": [s / 10] * 10}
        for s in range(4)
    ]
    res = summarise(runs, refs, [5, 10])[SPEC]["learner"]
    assert res["mean_value"]["mean"] == pytest.approx(0.15)
    assert res["mean_value"]["se"] == pytest.approx(np.std([0, 0.1, 0.2, 0.3], ddof=1) / 2)
    assert res["mean_value"]["over_evaluations"] == 10
    assert res["evals_to_target"]["median_ci95"] == [math.inf, math.inf]
