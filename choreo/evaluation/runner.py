"""One benchmark run: a method on a participant and seed, and the worker pool's jobs.

Part of :mod:`choreo.evaluation.benchmark` (which re-exports every public name).
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import numpy as np

from choreo.evaluation.participants import load_participant, true_values_of
from choreo.evaluation.reference import Reference, reference_optimum

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
    noise_factor: float = 1.0,
) -> dict[str, Any]:
    """Run ``method`` for ``budget`` evaluations on participant ``spec`` with ``seed``
    (``starts``: see :func:`make_method`; ``keep_state``: return the method's final
    ``state_dict()`` as ``state``, as the earlier people of "population" need;
    ``noise_factor``: the participant's trial noise times this, see
    :func:`noisier_participant`).

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
    person = noisier_participant(load_participant(spec, seed), noise_factor, spec)
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


def noisier_participant(person: Any, factor: float, spec: str) -> Any:
    """``person`` with its trial noise scaled by ``factor``, in place (1: as calibrated on
    the real recordings; 0: none), to ask how a method fares with a cleaner or noisier
    signal.

    Raises
    ------
    InputError
        ``factor`` is negative, or differs from 1 for a participant without a
        ``noise_scale`` (z) to scale.
    """
    from choreo.errors import InputError

    if factor < 0 or not np.isfinite(factor):
        raise InputError(f"--noise-factor: a finite factor >= 0 needed, got {factor}")
    if factor == 1.0:
        return person
    if not isinstance(getattr(person, "noise_scale", None), (int, float)):
        raise InputError(
            f"participant {spec!r}: --noise-factor needs a numeric noise_scale attribute (z)"
        )
    person.noise_scale = float(person.noise_scale) * factor
    return person


def _pinned_checkpoint(checkpoint: str | os.PathLike[str] | None) -> tuple[Path, str]:
    """A private copy of the checkpoint, named by its SHA-256, so that every run of this
    benchmark uses the same weights even if the file is replaced meanwhile."""
    import shutil
    import tempfile

    from choreo.prior.checkpoint import DEFAULT_CHECKPOINT
    from choreo.resources import locate

    src = locate(checkpoint) if checkpoint is not None else DEFAULT_CHECKPOINT
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
    from choreo.runtime import configure_process

    # The entry point of a worker process. One process per core: torch and the BLAS
    # sized for the whole machine in every worker would oversubscribe the cores and
    # slow everything, timings included.
    configure_process(threads=1, pool_threads=1)


def _run_job(
    args: tuple[str, int, str, int, str | None, np.ndarray | None, bool, float],
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
