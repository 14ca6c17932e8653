"""Report of a benchmark: the console table, the curves as a picture, the JSON file.

Part of :mod:`choreo.evaluation.benchmark` (which re-exports every public name).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from choreo.evaluation.runner import TARGET


def _fmt_evals(x: float, budget: int) -> str:
    if not math.isfinite(x):
        return f">{budget}"
    return f"{x:.0f}" if x == round(x) else f"{x:.1f}"


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


#: Width of the terminal the benchmark's table is made for, columns.
TABLE_WIDTH = 120


def print_table(summary: dict[str, Any], budgets: Sequence[int], console: Any = None) -> None:
    """A rich table that fits :data:`TABLE_WIDTH` columns, headline first: evaluations from
    which the recommendation holds the target to the end (median, 95% interval of the
    median, speed-up over the best other method), the mean normalised value over the run
    (its standard error), the median normalised value at each budget, and evaluations to
    first reach the target (median [IQR]). The JSON has the quartiles of everything.
    """
    from rich.console import Console
    from rich.table import Table

    console = console or Console(width=TABLE_WIDTH)
    max_b = max(budgets)
    table = Table(
        title=f"choreo bench learning: evaluations from which the recommendation holds "
        f"{TARGET} of the optimum to evaluation {max_b} (median over seeds [95% interval], "
        f"speed-up over the best other method); mean normalised value over 1..{max_b} (SE); "
        f"median normalised value at each budget; evaluations to first reach {TARGET}",
        width=min(TABLE_WIDTH, console.width),
    )
    table.add_column("participant", overflow="fold")
    table.add_column("method")
    table.add_column(f"holds {TARGET} from", justify="right")
    table.add_column("mean (SE)", justify="right")
    for b in budgets:
        table.add_column(f"@{b}", justify="right")
    table.add_column(f"reach {TARGET} [IQR]", justify="right")
    for spec, methods in summary.items():
        for method, res in methods.items():
            h = res["evals_to_hold_target"]
            lo, hi = h.get("median_ci95", (math.nan, math.nan))
            hold = (
                f"{_fmt_evals(h['median'], max_b)} "
                f"[{_fmt_evals(lo, max_b)}, {_fmt_evals(hi, max_b)}]"
            )
            if "hold_speedup_vs_best_other" in res:
                bound = ">=" if res.get("hold_speedup_is_lower_bound") else ""
                hold += f" {bound}{res['hold_speedup_vs_best_other']:.1f}x"
            a = res["mean_value"]
            cells = [
                hold,
                f"{a['mean']:.2f}" + (f" ({a['se']:.2f})" if a["se"] is not None else ""),
            ]
            cells += [f"{res['normalised'][str(b)]['median']:.2f}" for b in budgets]
            e = res["evals_to_target"]
            cells.append(
                f"{_fmt_evals(e['median'], max_b)} "
                f"[{_fmt_evals(e['q25'], max_b)}, {_fmt_evals(e['q75'], max_b)}]"
            )
            table.add_row(
                spec.split(":")[-1],
                method,
                *cells,
                style="bold" if method in ("learner", "population") else None,
            )
    console.print(table)


def write_json(doc: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write the benchmark document ``doc`` (made JSON-safe: inf/NaN become null) to ``path``."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(_json_safe(doc), indent=1))
    return p
