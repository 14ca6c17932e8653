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


def write_json(doc: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write the benchmark document ``doc`` (made JSON-safe: inf/NaN become null) to ``path``."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(_json_safe(doc), indent=1))
    return p
