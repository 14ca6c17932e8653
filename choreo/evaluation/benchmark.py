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

import hashlib
import json
import math
import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import numpy as np

from choreo.evaluation.participants import BUILTIN_PARTICIPANTS, load_participant, true_values_of
from choreo.evaluation.reference import (
    DEFAULT_CACHE,
    REFERENCE_VERSION,
    Reference,
    reference_optimum,
)

#: Methods in report order; "learner" is choreo's, from scratch. "population" is
#: choreo's learner started from what relaxed earlier people of the same kind
#: (:mod:`choreo.learning.population`), and "favourite" is those earlier people's favourite
#: handed over without learning from the new person (what the population alone
#: knows). Both run only when asked for, and neither is among the "other methods"
#: that the learner's speed-up is measured against: they know earlier people.
METHODS = ("learner", "population", "favourite", "prior", "random", "cmaes", "fbgan")
#: Methods that start from the earlier people's favourites.
POPULATION_METHODS = ("population", "favourite")
#: The methods run by default.
DEFAULT_METHODS = ("learner", "prior", "random", "cmaes", "fbgan")
#: Earlier people for the "population" method: seeds from here on, disjoint from the
#: tested ones, each run by the learner from scratch for POPULATION_EVALUATIONS trials.
POPULATION_FIRST_SEED = 10_000
POPULATION_EVALUATIONS = 100
TARGET = 0.8


# -- one run -----------------------------------------------------------------------------


def make_method(
    name: str, seed: int, checkpoint: str | None = None, starts: np.ndarray | None = None
) -> Any:
    """Build method ``name`` (see :data:`METHODS`) with ``seed``; ``starts``: the
    earlier people's favourites, for the :data:`POPULATION_METHODS`."""
    from choreo.evaluation import baselines

    if name in ("learner", "population"):
        from choreo.learning.learner import Learner

        return Learner(checkpoint, seed=seed, starts=starts if name == "population" else None)
    if name == "favourite":
        if starts is None:
            raise ValueError("the method 'favourite' needs the earlier people's starts")
        return baselines.EarlierFavourite(starts, seed, checkpoint=checkpoint)
    if name == "random":
        return baselines.RandomSearch(seed)
    if name == "prior":
        return baselines.PriorSampling(seed, checkpoint=checkpoint)
    if name == "cmaes":
        return baselines.CmaEsRaw(seed)
    if name == "fbgan":
        return baselines.FBGAN(seed, checkpoint=checkpoint)
    raise ValueError(f"unknown method {name!r} (known: {', '.join(METHODS)})")


def run_method(
    spec: str,
    seed: int,
    method: str,
    budget: int,
    checkpoint: str | None = None,
    starts: np.ndarray | None = None,
    keep_state: bool = False,
) -> dict[str, Any]:
    """Run ``method`` for ``budget`` evaluations on participant ``spec`` with ``seed``
    (``starts``: see :func:`make_method`; ``keep_state``: return the method's final
    ``state_dict()`` as ``state``, as the earlier people of "population" need).

    Returns
    -------
    dict
        ``curve``: true value of the recommendation after each evaluation (budget,);
        ``recommended``: the recommended vector after each evaluation (budget, 196);
        ``scores``: the noisy scores; ``propose_s``/``update_s``: timings per call (s).
    """
    from choreo.evaluation.baselines import is_safe
    from choreo.robot.config import load_robot_config

    cfg = load_robot_config()
    person = load_participant(spec, seed)
    algo = make_method(method, seed, checkpoint, starts)
    curve: list[float] = []
    recs: list[np.ndarray] = []
    scores: list[float] = []
    t_prop: list[float] = []
    t_upd: list[float] = []
    for _ in range(budget):
        t0 = time.perf_counter()
        v = algo.propose()
        t1 = time.perf_counter()
        # An unsafe vector would be rejected by the bridge: a spent trial, nothing relaxing.
        s = float(person.respond(v)) if is_safe(v, cfg) else min(scores, default=0.0) - 1.0
        t2 = time.perf_counter()
        algo.update(v, s)
        t3 = time.perf_counter()
        rec = algo.recommend()
        scores.append(s)
        recs.append(rec)
        curve.append(float(true_values_of(person, rec[None])[0]))
        t_prop.append(t1 - t0)
        t_upd.append(t3 - t2)
    return {
        "participant": spec,
        "seed": int(seed),
        "method": method,
        "curve": curve,
        "recommended": np.array(recs, dtype=np.uint8),
        "scores": scores,
        "propose_s": t_prop,
        "update_s": t_upd,
        "state": algo.state_dict() if keep_state else None,
    }


def _pinned_checkpoint(checkpoint: str | os.PathLike[str] | None) -> tuple[Path, str]:
    """A private copy of the checkpoint, named by its SHA-256, so that every run of this
    benchmark uses the same weights even if the file is replaced meanwhile."""
    import shutil
    import tempfile

    from choreo.prior.checkpoint import DEFAULT_CHECKPOINT

    src = Path(checkpoint) if checkpoint is not None else DEFAULT_CHECKPOINT
    if not src.is_file():
        from choreo.errors import InputError

        raise InputError(f"{src}: checkpoint not found")
    data = src.read_bytes()
    sha = hashlib.sha256(data).hexdigest()
    folder = Path(tempfile.gettempdir()) / "choreo-bench-checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    dst = folder / f"{sha[:16]}.safetensors"
    if not dst.is_file():
        tmp = dst.with_name(dst.name + f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, dst)
    json_src = src.with_suffix(".json")
    if json_src.is_file():
        shutil.copyfile(json_src, dst.with_suffix(".json"))
    return dst, sha


def _run_here(fn: Callable[[Any], Any], arg: Any) -> Future[Any]:
    """Run ``fn(arg)`` now and wrap the result like an executor would."""
    fut: Future[Any] = Future()
    fut.set_result(fn(arg))
    return fut


def _init_worker() -> None:
    import torch
    from threadpoolctl import threadpool_limits

    # One process per core: torch and the BLAS sized for the whole machine in every
    # worker would oversubscribe the cores and slow everything, timings included.
    torch.set_num_threads(1)
    threadpool_limits(limits=1)


def _run_job(
    args: tuple[str, int, str, int, str | None, np.ndarray | None, bool],
) -> dict[str, Any]:
    return run_method(*args)


def earlier_people_starts(
    states: Sequence[tuple[dict[str, np.ndarray], dict[str, Any]]], checkpoint: str | None
) -> np.ndarray:
    """The "population" method's starts from the earlier people's learner states."""
    from choreo.learning.learner import Learner
    from choreo.learning.population import population_starts
    from choreo.prior.checkpoint import load_generator

    generator, _ = load_generator(checkpoint)
    learners = [Learner.from_state_dict(a, m, generator) for a, m in states]
    return population_starts(learners)


def _ref_job(args: tuple[str, int, Path | None, int]) -> Reference:
    return reference_optimum(args[0], args[1], args[2], cma_evals=args[3])


# -- summary -----------------------------------------------------------------------------


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


def _fmt_evals(x: float, budget: int) -> str:
    if not math.isfinite(x):
        return f">{budget}"
    return f"{x:.0f}" if x == round(x) else f"{x:.1f}"


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
            hold = quartiles([evals_to_hold(n) for n in norm])
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
                    zip(("median", "q25", "q75"), hold, strict=True), censored_at=max_b
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
        out[spec] = per_method
    return out


def _json_safe(x: Any) -> Any:
    if isinstance(x, dict):
        return {str(k): _json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_json_safe(v) for v in x]
    if isinstance(x, np.ndarray):
        return _json_safe(x.tolist())
    if isinstance(x, (np.floating, float)):
        return float(x) if math.isfinite(float(x)) else None
    if isinstance(x, np.integer):
        return int(x)
    return x


def plot_curves(
    summary: dict[str, Any], path: str | os.PathLike[str], budgets: Sequence[int]
) -> Path:
    """PNG: normalised value of the recommendation vs evaluations, median and IQR per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    specs = list(summary)
    # At most two panels a row: four participants stay readable on one screen.
    cols = min(len(specs), 2)
    rows = math.ceil(len(specs) / cols)
    fig, axes = plt.subplots(rows, cols, figsize=(6.5 * cols, 4.5 * rows), squeeze=False)
    for ax in axes.flat[len(specs) :]:
        ax.set_visible(False)
    for ax, spec in zip(axes.flat, specs, strict=False):
        for method, res in summary[spec].items():
            med = np.array(res["curve_median"])
            x = np.arange(1, len(med) + 1)
            (line,) = ax.plot(x, med, label=method, lw=2.2 if method == "learner" else 1.4)
            ax.fill_between(
                x, res["curve_q25"], res["curve_q75"], color=line.get_color(), alpha=0.15
            )
        ax.axhline(TARGET, color="k", ls="--", lw=0.8)
        for b in budgets:
            ax.axvline(b, color="0.8", lw=0.6)
        ax.set_title(spec.split(":")[-1])
        ax.set_xlabel("evaluations")
        ax.set_ylabel("normalised true value of recommendation")
        ax.set_ylim(-0.3, 1.1)
        ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(p, dpi=110)
    plt.close(fig)
    return p


def print_table(summary: dict[str, Any], budgets: Sequence[int], console: Any = None) -> None:
    """A rich table: normalised value per budget and evaluations to 0.8 (median [IQR])."""
    from rich.console import Console
    from rich.table import Table

    console = console or Console()
    max_b = max(budgets)
    table = Table(
        title=f"choreo bench learning: normalised true value of the recommendation, "
        f"evaluations to reach {TARGET} (median [IQR] over seeds, and a bootstrap "
        f"interval of that median), mean value over the run (its standard error)"
    )
    table.add_column("participant")
    table.add_column("method")
    for b in budgets:
        table.add_column(f"@{b}", justify="right")
    table.add_column(f"evals to {TARGET}", justify="right")
    table.add_column("95% CI of that median", justify="right")
    table.add_column(f"holds {TARGET} from", justify="right")
    table.add_column(f"mean @1..{max_b} (SE)", justify="right")
    for spec, methods in summary.items():
        for method, res in methods.items():
            cells = []
            for b in budgets:
                n = res["normalised"][str(b)]
                cells.append(f"{n['median']:.2f} [{n['q25']:.2f}, {n['q75']:.2f}]")
            e = res["evals_to_target"]
            reach = (
                f"{_fmt_evals(e['median'], max_b)} "
                f"[{_fmt_evals(e['q25'], max_b)}, {_fmt_evals(e['q75'], max_b)}]"
            )
            if "speedup_vs_best_other" in res:
                bound = ">=" if res.get("speedup_is_lower_bound") else ""
                reach += f"  ({bound}{res['speedup_vs_best_other']:.1f}x)"
            cells.append(reach)
            lo, hi = e["median_ci95"]
            cells.append(f"[{_fmt_evals(lo, max_b)}, {_fmt_evals(hi, max_b)}]")
            h = res["evals_to_hold_target"]
            cells.append(
                f"{_fmt_evals(h['median'], max_b)} "
                f"[{_fmt_evals(h['q25'], max_b)}, {_fmt_evals(h['q75'], max_b)}]"
            )
            a = res["mean_value"]
            cells.append(f"{a['mean']:.2f}" + (f" ({a['se']:.2f})" if a["se"] is not None else ""))
            table.add_row(
                spec.split(":")[-1],
                method,
                *cells,
                style="bold" if method in ("learner", "population") else None,
            )
    console.print(table)


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
) -> dict[str, Any]:
    """Run every method on every participant and seed; print the table, write JSON and PNG.

    With the methods "population" or "favourite", ``population`` earlier people per
    participant (seeds from :data:`POPULATION_FIRST_SEED`) are first run by the learner
    from scratch for ``population_evaluations`` trials each; their favourites
    (:func:`choreo.learning.population.population_starts`) start the learner on every
    tested seed ("favourite" hands over the first of them and learns nothing). Only
    the tested person's evaluations are counted.

    Returns
    -------
    dict
        The JSON document: settings, references, runs (recommended vector and true
        value at each budget) and the summary.
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    from choreo.errors import InputError

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
        load_participant(spec, 0)  # fail early, with the participant's own error
    max_b = budgets[-1]
    # Piped or logged output gets a table wide enough to stay readable.
    console = Console() if sys.stdout.isatty() else Console(width=150)
    t0 = time.perf_counter()
    seed_list = range(first_seed, first_seed + seeds)
    ref_jobs = [(spec, s, cache_dir, reference_evals) for spec in specs for s in seed_list]
    ckpt_path, ckpt_sha = _pinned_checkpoint(checkpoint)
    ckpt = str(ckpt_path)
    earlier = [
        (spec, POPULATION_FIRST_SEED + i, "learner", population_evaluations, ckpt, None, True)
        for spec in specs
        for i in range(population if with_population else 0)
    ]
    states: dict[str, list[Any]] = {spec: [] for spec in specs}
    starts: dict[str, np.ndarray] = {}
    refs: dict[tuple[str, int], Reference] = {}
    runs: list[dict[str, Any]] = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, disable=not progress) as bar:
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
    from choreo.prior.checkpoint import load_checkpoint

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
            "reference_version": REFERENCE_VERSION,
            "checkpoint": str(checkpoint)
            if checkpoint is not None
            else "models/prior.safetensors",
            "checkpoint_file_sha256": ckpt_sha,
            "checkpoint_tensors_sha256": ckpt_meta.tensors_sha256,
            "checkpoint_created_utc": ckpt_meta.created_utc,
        },
        "references": [refs[k].__dict__ for k in sorted(refs)],
        "runs": [
            {
                "participant": r["participant"],
                "method": r["method"],
                "seed": r["seed"],
                "budgets": {
                    str(b): {
                        "recommended_vector": [int(x) for x in r["recommended"][b - 1]],
                        "true_value": r["curve"][b - 1],
                        "normalised": float(
                            refs[(r["participant"], r["seed"])].normalise(r["curve"][b - 1])
                        ),
                    }
                    for b in budgets
                },
                "evals_to_target": evals_to_reach(
                    refs[(r["participant"], r["seed"])].normalise(np.array(r["curve"]))
                ),
                "true_value_curve": r["curve"],
            }
            for r in runs
        ],
        "summary": summary,
        "timing": timing,
        "seconds": time.perf_counter() - t0,
    }
    doc = _json_safe(doc)
    if json_path is not None:
        p = Path(json_path)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(doc, indent=1))
        console.print(f"JSON written to {p}")
    if plot_path is not None:
        console.print(f"plot written to {plot_curves(summary, plot_path, budgets)}")
    return doc
