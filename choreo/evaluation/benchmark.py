"""``choreo bench learning``: how many evaluations each method needs to find a relaxing motion.

On the same participants and seeds, every method (choreo's learner, choreo's
prior sampled without learning, random search, CMA-ES on the raw bytes, FBGAN)
gets one evaluation at a time (``respond``); after each evaluation we take the
choreography the method *recommends* and record its noise-free ``true_value``.
Values are normalised per participant and seed::

    normalised = (true_value - random median) / (reference optimum - random median)

so 0 is the median of random (safe) choreographies and 1 the reference optimum,
found by a long noise-free search and cached on disk
(:func:`choreo.evaluation.reference.reference_optimum`).

Reported per method and budget: median and interquartile range over seeds of
the normalised value, and of the evaluations needed to reach 0.8 (the first
evaluation at which the recommendation reaches it; a seed that never does within
the largest budget counts as "more than the budget" and is shown as ``>B``).

A proposal that the robot's safety layer rejects (only CMA-ES can produce one, and
only after :data:`choreo.evaluation.baselines.MAX_RESAMPLE` redraws) counts as an
evaluation with a score one unit below the worst seen so far: the trial slot is
spent and nothing relaxing happened.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np

from choreo.evaluation import participants as participant_models
from choreo.evaluation.calibration import MUSE_CALIBRATION
from choreo.evaluation.participants import BUILTIN_PARTICIPANTS, load_participant
from choreo.evaluation.reference import (
    DEFAULT_CACHE,
    REFERENCE_VERSION,
    Reference,
)
from choreo.evaluation.report import _json_safe, plot_curves, write_json
from choreo.evaluation.runner import (
    DEFAULT_METHODS,
    METHODS,
    POPULATION_EVALUATIONS,
    POPULATION_FIRST_SEED,
    POPULATION_METHODS,
    TARGET,
    _init_worker,
    _pinned_checkpoint,
    _ref_job,
    _run_here,
    _run_job,
    earlier_people_starts,
    make_method,
    noisier_participant,
    run_method,
)
from choreo.evaluation.statistics import (
    evals_to_hold,
    evals_to_reach,
    median_interval,
    quartiles,
    summarise,
)

__all__ = [
    "DEFAULT_METHODS",
    "METHODS",
    "POPULATION_EVALUATIONS",
    "POPULATION_FIRST_SEED",
    "POPULATION_METHODS",
    "TARGET",
    "earlier_people_starts",
    "evals_to_hold",
    "evals_to_reach",
    "make_method",
    "median_interval",
    "noisier_participant",
    "plot_curves",
    "quartiles",
    "run_learning_benchmark",
    "run_method",
    "summarise",
    "write_json",
]


def _run_entry(run: dict[str, Any], ref: Reference, budgets: Sequence[int]) -> dict[str, Any]:
    """One run as the JSON records it: the recommendation at each budget, evaluations to
    reach and to hold the target (inf: not within the budget), the true-value curve."""
    norm = ref.normalise(np.array(run["curve"]))
    return {
        "participant": run["participant"],
        "method": run["method"],
        "seed": run["seed"],
        "budgets": {
            str(b): {
                "recommended_vector": [int(x) for x in run["recommended"][b - 1]],
                "true_value": run["curve"][b - 1],
                "normalised": float(norm[b - 1]),
            }
            for b in budgets
        },
        "evals_to_target": evals_to_reach(norm),
        "evals_to_hold_target": evals_to_hold(norm),
        "true_value_curve": run["curve"],
    }


def run_learning_benchmark(
    participants: Sequence[str] | None = None,
    budgets: Sequence[int] = (25, 50, 100),
    seeds: int = 20,
    first_seed: int = 0,
    methods: Sequence[str] = DEFAULT_METHODS,
    population: int = 10,
    population_evaluations: int = POPULATION_EVALUATIONS,
    json_path: str | os.PathLike[str] | None = None,
    plot_path: str | os.PathLike[str] | None = None,
    workers: int = 2,
    checkpoint: str | os.PathLike[str] | None = None,
    cache_dir: Path | None = DEFAULT_CACHE,
    progress: bool = True,
    on_result: Callable[[dict[str, Any]], None] | None = None,
    reference_evals: int = 6000,
    noise_factor: float = 1.0,
) -> dict[str, Any]:
    """Run every method on every participant and seed; print the table, write JSON and PNG.

    With the methods "population" or "favourite", ``population`` earlier people per
    participant (seeds from :data:`POPULATION_FIRST_SEED`) are first run by the learner
    from scratch for ``population_evaluations`` trials each; their favourites
    (:func:`choreo.learning.population.population_starts`) start the learner on every
    tested seed ("favourite" hands over the first of them and learns nothing). Only
    the tested person's evaluations are counted. ``noise_factor`` scales every
    participant's trial noise, the earlier people's too (1: as calibrated).

    Returns
    -------
    dict
        The JSON document: settings, references, runs (recommended vector and true
        value at each budget) and the summary.
    """
    from choreo.errors import InputError
    from choreo.ui.console import make_console, progress_bar
    from choreo.ui.learning_tables import TABLE_WIDTH, print_table

    specs = list(participants) if participants else list(BUILTIN_PARTICIPANTS)
    budgets = sorted({int(b) for b in budgets})
    if not budgets or budgets[0] < 1:
        raise InputError(f"--budgets: positive integers needed, got {budgets}")
    if seeds < 1:
        raise InputError(f"--seeds: at least 1 needed, got {seeds}")
    for m in methods:
        if m not in METHODS:
            raise InputError(f"unknown method {m!r} (known: {', '.join(METHODS)})")
    with_population = any(m in POPULATION_METHODS for m in methods)
    if with_population and population < 1:
        raise InputError(f"--population: at least 1 earlier person needed, got {population}")
    if with_population and first_seed + seeds > POPULATION_FIRST_SEED:
        raise InputError(
            f"--first-seed/--seeds: the tested seeds must stay below {POPULATION_FIRST_SEED}, "
            "where the earlier people of the population method begin"
        )
    for spec in specs:
        # Fail early, with the participant's own error.
        noisier_participant(load_participant(spec, 0), noise_factor, spec)
    max_b = budgets[-1]
    # The table is made for a 120-column terminal, piped or not.
    console = make_console(width=TABLE_WIDTH)
    t0 = time.perf_counter()
    if noise_factor != 1.0:
        console.print(
            f"trial noise: {noise_factor:g} x the calibrated "
            f"(scale {noise_factor * participant_models.NOISE_SCALE_Z:.3f} z for choreo's own)"
        )
    seed_list = range(first_seed, first_seed + seeds)
    ref_jobs = [(spec, s, cache_dir, reference_evals) for spec in specs for s in seed_list]
    ckpt_path, ckpt_sha = _pinned_checkpoint(checkpoint)
    ckpt = str(ckpt_path)
    earlier = [
        (
            spec,
            POPULATION_FIRST_SEED + i,
            "learner",
            population_evaluations,
            ckpt,
            None,
            True,
            noise_factor,
        )
        for spec in specs
        for i in range(population if with_population else 0)
    ]
    states: dict[str, list[Any]] = {spec: [] for spec in specs}
    starts: dict[str, np.ndarray] = {}
    refs: dict[tuple[str, int], Reference] = {}
    runs: list[dict[str, Any]] = []
    with progress_bar(console, disable=not progress) as bar:
        pool: ProcessPoolExecutor | None = None
        submit: Callable[..., Future[Any]] = _run_here
        if workers > 0:  # else in this process (tests, debugging)
            # Spawned, not forked: a forked worker's first proposal took ~100 ms more.
            pool = ProcessPoolExecutor(
                max_workers=workers,
                initializer=_init_worker,
                mp_context=multiprocessing.get_context("spawn"),
            )
            submit = pool.submit
        try:
            task = bar.add_task("reference optima", total=len(ref_jobs))
            for fut in as_completed([submit(_ref_job, j) for j in ref_jobs]):
                ref = fut.result()
                refs[(ref.participant, ref.seed)] = ref
                bar.advance(task)
            if earlier:
                task = bar.add_task("earlier people (population)", total=len(earlier))
                for fut in as_completed([submit(_run_job, j) for j in earlier]):
                    res = fut.result()
                    states[res["participant"]].append((res["seed"], res["state"]))
                    bar.advance(task)
                for spec in specs:
                    ordered = [st for _, st in sorted(states[spec], key=lambda x: x[0])]
                    starts[spec] = earlier_people_starts(ordered, ckpt)
            jobs = [
                (
                    spec,
                    s,
                    m,
                    max_b,
                    ckpt,
                    starts.get(spec) if m in POPULATION_METHODS else None,
                    False,
                    noise_factor,
                )
                for spec in specs
                for s in seed_list
                for m in methods
            ]
            task = bar.add_task("runs (method x participant x seed)", total=len(jobs))
            for fut in as_completed([submit(_run_job, j) for j in jobs]):
                res = fut.result()
                runs.append(res)
                if on_result is not None:
                    on_result(res)
                bar.advance(task)
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
    runs.sort(key=lambda r: (r["participant"], METHODS.index(r["method"]), r["seed"]))
    summary = summarise(runs, refs, budgets)
    print_table(summary, budgets, console)
    learner_times = [r for r in runs if r["method"] == "learner"]
    timing: dict[str, Any] = {}
    if learner_times:
        prop = np.concatenate([r["propose_s"] for r in learner_times])
        upd = np.concatenate([r["update_s"] for r in learner_times])
        timing = {
            "learner_propose_s": {
                "median": float(np.median(prop)),
                "p95": float(np.percentile(prop, 95)),
                "max": float(prop.max()),
            },
            "learner_update_s": {
                "median": float(np.median(upd)),
                "p95": float(np.percentile(upd, 95)),
                "max": float(upd.max()),
            },
            "note": "measured inside the benchmark's worker processes, 1 torch thread each",
        }
        console.print(
            f"learner propose: median {timing['learner_propose_s']['median'] * 1e3:.1f} ms, "
            f"max {timing['learner_propose_s']['max'] * 1e3:.1f} ms; update: median "
            f"{timing['learner_update_s']['median'] * 1e3:.1f} ms, max "
            f"{timing['learner_update_s']['max'] * 1e3:.1f} ms"
        )
    from choreo.prior.checkpoint import DEFAULT_CHECKPOINT, load_checkpoint
    from choreo.resources import locate

    ckpt_meta = load_checkpoint(ckpt_path)[2]
    doc: dict[str, Any] = {
        "settings": {
            "participants": specs,
            "budgets": budgets,
            "seeds": seeds,
            "first_seed": first_seed,
            "methods": list(methods),
            "population": {
                "earlier_people": population,
                "first_seed": POPULATION_FIRST_SEED,
                "evaluations_each": population_evaluations,
                "starts": {spec: v.tolist() for spec, v in starts.items()},
            }
            if with_population
            else None,
            "target": TARGET,
            # The participants' noise and effect range, calibrated on the real Muse
            # recordings (choreo.evaluation.calibration, bench/bench_calibration.py).
            "participant_calibration": {
                "noise_scale_z": participant_models.NOISE_SCALE_Z,
                # Every participant's noise scale times this (1: as calibrated).
                "noise_factor": noise_factor,
                "noise_df": participant_models.NOISE_DF,
                "effect_range_z": participant_models.EFFECT_RANGE_Z,
                "from": MUSE_CALIBRATION.to_dict(),
            },
            "reference_version": REFERENCE_VERSION,
            "checkpoint": str(
                locate(checkpoint) if checkpoint is not None else DEFAULT_CHECKPOINT
            ),
            "checkpoint_file_sha256": ckpt_sha,
            "checkpoint_tensors_sha256": ckpt_meta.tensors_sha256,
            "checkpoint_created_utc": ckpt_meta.created_utc,
        },
        "references": [refs[k].__dict__ for k in sorted(refs)],
        "runs": [_run_entry(r, refs[(r["participant"], r["seed"])], budgets) for r in runs],
        "summary": summary,
        "timing": timing,
        "seconds": time.perf_counter() - t0,
    }
    doc = _json_safe(doc)
    if json_path is not None:
        console.print(f"JSON written to {write_json(doc, json_path)}")
    if plot_path is not None:
        console.print(f"plot written to {plot_curves(summary, plot_path, budgets)}")
    return doc
