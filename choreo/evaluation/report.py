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


def write_json(doc: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write the benchmark document ``doc`` (made JSON-safe: inf/NaN become null) to ``path``."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(json.dumps(_json_safe(doc), indent=1))
    return p
