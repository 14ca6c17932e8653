"""Tables of the learning side: the benchmark's (``choreo bench learning``) and the
pretrained prior's figures (``choreo train-prior``)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.table import Table

from choreo.evaluation.runner import TARGET
from choreo.ui.console import Console, make_console

if TYPE_CHECKING:
    from choreo.prior.checkpoint import CheckpointMeta

#: Width of the terminal the benchmark's table is made for, columns.
TABLE_WIDTH = 120


def format_factor(factor: float) -> str:
    """A speed-up factor for the table: one decimal, two below 1 (so that a slower method's
    1/43 reads 0.02x, not 0.0x)."""
    return f"{factor:.1f}x" if factor >= 0.95 else f"{factor:.2f}x"


def print_table(
    summary: dict[str, Any], budgets: Sequence[int], console: Console | None = None
) -> None:
    """A rich table that fits :data:`TABLE_WIDTH` columns, headline first: evaluations from
    which the recommendation holds the target to the end (median, 95% interval of the
    median, speed-up over the best other method), the mean normalised value over the run
    (its standard error), the median normalised value at each budget, and evaluations to
    first reach the target (median [IQR]). The JSON has the quartiles of everything.
    """
    console = console or make_console(width=TABLE_WIDTH)
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
                hold += f" {bound}{format_factor(res['hold_speedup_vs_best_other'])}"
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


def _fmt_evals(x: float, budget: int) -> str:
    if not math.isfinite(x):
        return f">{budget}"
    return f"{x:.0f}" if x == round(x) else f"{x:.1f}"


def prior_summary_table(meta: CheckpointMeta, path: Path, seconds: float) -> Table:
    """A rich table of a checkpoint's validity and diversity figures."""
    m = meta.metrics
    table = Table(
        title=f"GAN prior -> {path} ({path.stat().st_size / 1e6:.2f} MB, {seconds:.0f} s)"
    )
    table.add_column("measure")
    table.add_column("generator", justify="right")
    table.add_column("corpus / reference", justify="right")
    table.add_row(
        "valid (pass safety unaltered)",
        f"{m['validity']:.1%} of {m['validity_n']}",
        "100% (checked)",
    )
    table.add_row(
        "valid as requested (no stretch)",
        f"{m['validity_strict']:.1%} of {m['validity_n']}",
        "100% (checked)",
    )
    table.add_row("corpus draws resampled", "", f"{meta.corpus['failed_before_resampling']:.2%}")
    table.add_row(
        "mean pairwise RMS, deg",
        f"{m['pairwise_rms_deg']:.1f}",
        f"{m['corpus_pairwise_rms_deg']:.1f}",
    )
    table.add_row(
        "median NN to train, deg",
        f"{m['nn_train_deg']:.1f}",
        f"{m['held_out_nn_train_deg']:.1f} (held out)",
    )
    table.add_row(
        "near copies (< 1 deg)",
        f"{m['near_copies']:.1%}",
        f"{m['held_out_near_copies']:.1%} (held out)",
    )
    table.add_row(
        "coverage of held-out corpus", f"{m['coverage']:.1%}", f"{m['coverage_reference']:.0%}"
    )
    table.add_row("axes held still", f"{m['held_axes']:.1%}", f"{m['held_out_held_axes']:.1%}")
    table.add_row(
        "roughness of moving axes (0 ramp, 2 noise)",
        f"{m['roughness']:.2f}",
        f"{m['held_out_roughness']:.2f}",
    )
    table.add_row(
        "range of moving axes, bytes",
        f"{m['moving_range']:.0f}",
        f"{m['held_out_moving_range']:.0f}",
    )
    table.add_row(
        "duration mean / std, s",
        f"{m['duration_mean_s']:.2f} / {m['duration_std_s']:.2f}",
        f"{m['corpus_duration_mean_s']:.2f} / {m['corpus_duration_std_s']:.2f}",
    )
    from choreo.prior.corpus import FAMILIES

    for f in FAMILIES:
        table.add_row(
            f"  {f}: NN share / coverage",
            f"{m['family_share'][f]:.1%} / {m['coverage_by_family'][f]:.1%}",
            f"{m['held_out_family_share'][f]:.1%} / {m['coverage_reference_by_family'][f]:.1%}",
        )
    table.add_row(
        "training time, s", f"{meta.train_seconds:.0f}", f"{meta.settings.training.steps} steps"
    )
    return table
