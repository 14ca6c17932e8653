"""The benchmark's console table: headline first, within a 120-column terminal."""

from __future__ import annotations

import io

from rich.console import Console

from choreo.evaluation.benchmark import METHODS, summarise
from choreo.evaluation.reference import Reference
from choreo.ui.learning_tables import format_factor, print_table

LONG_SPEC = "choreo.evaluation.participants:EegCalmParticipant"


def _summary(budgets: list[int]) -> dict[str, object]:
    refs = {(LONG_SPEC, s): Reference(LONG_SPEC, s, 0.0, 1.0, [0] * 196, 1, 0.0) for s in range(6)}
    runs = []
    for k, m in enumerate(METHODS):
        for s in range(6):
            # Method k reaches 0.8 at 10k + s (never for the last ones), with a dip.
            at = 10 * k + s + 1
            curve = [0.9 if i + 1 >= at else 0.1 for i in range(max(budgets))]
            if k % 2 and at + 3 < len(curve):
                curve[at + 2] = 0.5  # touched, then fell back: holds later than it reaches
            runs.append({"participant": LONG_SPEC, "method": m, "seed": s, "curve": curve})
    return summarise(runs, refs, budgets)


def test_table_fits_120_columns_and_leads_with_the_hold_measure() -> None:
    budgets = [25, 50, 100]
    summary = _summary(budgets)
    out = io.StringIO()
    console = Console(width=120, file=out, force_terminal=False, color_system=None)
    print_table(summary, budgets, console)
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 120
    text = out.getvalue()
    assert "holds 0.8 from" in text
    header = next(line for line in lines if "participant" in line)
    assert header.index("holds") < header.index("mean") < header.index("@25")
    learner = summary[LONG_SPEC]["learner"]
    # Learner: seeds hold from 1..6, median 3.5; the interval brackets it.
    hold = learner["evals_to_hold_target"]
    assert hold["median"] == 3.5
    lo, hi = hold["median_ci95"]
    assert lo <= 3.5 <= hi
    # Against the best other method ("prior", holding from 31..36 with the dip -> later).
    assert learner["hold_speedup_vs_best_other"] > 1.0
    assert learner["hold_speedup_is_lower_bound"] is False


def test_a_factor_below_one_keeps_two_decimals() -> None:
    got = [format_factor(x) for x in (3.04, 1.0, 1 / 43, 0.5)]
    assert got == ["3.0x", "1.0x", "0.02x", "0.50x"]
