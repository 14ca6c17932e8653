"""How the learner's headline depends on the trial noise: the learning benchmark at scaled noise.

Runs ``choreo bench learning`` (the learner from scratch, or ``--method population``) with
every participant's trial noise times each factor of ``--factors`` (1: the noise
calibrated on the real Muse recordings, the anchor; 0: none) and prints, per participant
and factor, the evaluations from which the recommendation holds 0.8 of the optimum
(median over the seeds, 95% interval), the runs holding it within ``--within``, and the
mean normalised value over 100 evaluations. Writes bench/results/noise-sweep.json and a
PNG of the medians against the factor (bench/results/noise-sweep.png). The reference
optima are cached in ~/.cache/choreo; with them, one factor of 20 seeds takes about 3
minutes on 2 cores.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from _report import RESULTS_DIR, machine, write_results


def sweep(
    factors: list[float], seeds: int, first_seed: int, method: str, within: int
) -> dict[str, Any]:
    """Run the benchmark once per factor; the headline figures per participant."""
    from choreo.evaluation.benchmark import run_learning_benchmark

    methods = [method, "favourite"] if method == "population" else [method]
    rows: list[dict[str, Any]] = []
    for factor in factors:
        doc = run_learning_benchmark(
            budgets=(100,),
            seeds=seeds,
            first_seed=first_seed,
            methods=methods,
            noise_factor=factor,
        )
        for spec, by_method in doc["summary"].items():
            s = by_method[method]
            # Each run's evaluations from which it holds 0.8 (None: not within the budget).
            holds = [
                r["evals_to_hold_target"]
                for r in doc["runs"]
                if r["participant"] == spec and r["method"] == method
            ]
            rows.append(
                {
                    "participant": spec.split(":")[-1],
                    "noise_factor": factor,
                    "holds_from_median": s["evals_to_hold_target"]["median"],
                    "holds_from_ci95": s["evals_to_hold_target"]["median_ci95"],
                    "runs_holding_within": sum(h is not None and h <= within for h in holds),
                    "mean_value": s["mean_value"]["mean"],
                    "mean_value_se": s["mean_value"]["se"],
                }
            )
    return {
        "method": method,
        "seeds": seeds,
        "first_seed": first_seed,
        "within": within,
        "rows": rows,
        "machine": machine(),
    }


def plot(result: dict[str, Any], path: Path) -> Path:
    """Medians of "holds 0.8 from" against the noise factor, one line per participant."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    budget = 100
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name in sorted({r["participant"] for r in result["rows"]}):
        rows = [r for r in result["rows"] if r["participant"] == name]
        x = [r["noise_factor"] for r in rows]
        # A median past the budget is drawn just above it (the axis label says so).
        med = [r["holds_from_median"] for r in rows]
        y = [budget + 5 if m is None else m for m in med]
        ax.plot(x, y, marker="o", label=name)
    ax.axhline(result["within"], color="grey", ls="--", lw=1, label=f"target ({result['within']})")
    ax.axhline(budget, color="black", lw=0.5)
    ax.axvline(1.0, color="red", ls=":", lw=1, label="real noise (calibrated)")
    ax.set_xlabel("trial noise, times the noise calibrated on the real Muse recordings")
    ax.set_ylabel("evaluations from which it holds 0.8\n(median; not within 100: at 105)")
    ax.set_ylim(0, budget + 10)
    ax.set_title(f"{result['method']}: holds 0.8 of the optimum, {result['seeds']} seeds")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def print_rows(result: dict[str, Any]) -> None:
    within = result["within"]
    print(f"{result['method']}: holds 0.8 from, median [95% interval]; runs within {within}")
    for r in sorted(result["rows"], key=lambda r: (r["participant"], r["noise_factor"])):
        med = r["holds_from_median"]
        lo, hi = r["holds_from_ci95"]
        anchor = "  <- real noise (anchor)" if r["noise_factor"] == 1.0 else ""
        print(
            f"  {r['participant']:20s} x{r['noise_factor']:<5g} "
            f"{_n(med):>6s} [{_n(lo)}, {_n(hi)}]  {r['runs_holding_within']:3d} of "
            f"{result['seeds']}  mean {r['mean_value']:.2f} ({r['mean_value_se']:.2f}){anchor}"
        )


def _n(x: float | None) -> str:
    return ">100" if x is None else f"{x:g}"


if __name__ == "__main__":
    from choreo.runtime import configure_process

    configure_process()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--factors", default="0,0.25,0.5,1", help="noise factors, comma-separated")
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--method", default="learner", choices=["learner", "population"])
    ap.add_argument("--within", type=int, default=40, help="the target (40 from scratch)")
    a = ap.parse_args()
    res = sweep(
        [float(f) for f in a.factors.split(",")], a.seeds, a.first_seed, a.method, a.within
    )
    print_rows(res)
    name = "noise-sweep" if a.method == "learner" else "noise-sweep-population"
    write_results(name, res)
    print(f"wrote {plot(res, RESULTS_DIR / f'{name}.png')}")
