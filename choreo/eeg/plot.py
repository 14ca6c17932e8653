"""A picture of a scored recording: band power, relaxation index and score, quality."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from choreo.eeg.offline_scoring import ScoreResult


def plot_score(result: ScoreResult, out: str | os.PathLike[str]) -> Path:
    """Write a PNG of ``result`` (three panels over time) and return its path.

    Top: relative alpha and theta of the frontal set (per frontal channel
    faint). Middle: relaxation index (left axis, with the baseline's mean)
    and the smoothed score in z units (right axis). Bottom: which windows each
    channel had accepted (green) or rejected (red).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.colors import ListedColormap
    from matplotlib.figure import Figure

    w = result.windows
    hop = result.hop_s
    # Recorded time: gaps in the timestamps are cut out (and marked), so a long pause
    # does not squeeze the recording into a corner; lines break at every gap.
    steps = np.diff(w.t)
    gap_at = np.flatnonzero(steps > 1.5 * hop)
    cut = np.zeros(w.n_windows)
    for i in gap_at:
        cut[i + 1 :] += steps[i] - hop
    t = w.t - cut - (w.t[0] - result.window_s) if w.n_windows else w.t

    def broken(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        tt = np.insert(t, gap_at + 1, np.nan)
        return tt, np.insert(np.asarray(y, dtype=float), gap_at + 1, np.nan)

    fig = Figure(figsize=(11, 7.5), layout="constrained")
    FigureCanvasAgg(fig)
    ax1, ax2, ax3 = fig.subplots(3, 1, sharex=True, height_ratios=[3, 3, 1.4])
    frontal = [result.ch_names.index(c) for c in result.frontal_names]
    for k in frontal:
        a = np.where(w.accepted[:, k], w.rel_alpha[:, k], np.nan)
        th = np.where(w.accepted[:, k], w.rel_theta[:, k], np.nan)
        ax1.plot(*broken(a), color="tab:blue", alpha=0.25, lw=0.7)
        ax1.plot(*broken(th), color="tab:orange", alpha=0.25, lw=0.7)
    ax1.plot(*broken(w.frontal_alpha), color="tab:blue", lw=1.4, label="alpha 8-12 Hz")
    ax1.plot(*broken(w.frontal_theta), color="tab:orange", lw=1.4, label="theta 4-8 Hz")
    ax1.set_ylabel("relative power\n(of 1-40 Hz)")
    ax1.legend(loc="upper right", fontsize=8)
    ax1.set_title(
        f"{result.path.name}: relaxation index {result.relaxation:.3f}, "
        f"score {result.trial.score:+.2f} z, "
        f"{100 * (1 - result.accepted_share):.0f}% windows without a usable frontal "
        f"channel ({', '.join(result.frontal_names)})",
        fontsize=10,
    )

    ax2.plot(
        *broken(w.relaxation), color="tab:green", lw=1.2, label="relaxation index (alpha+theta)"
    )
    if result.baseline is not None:
        m = np.nanmean(np.asarray(result.baseline.mean, dtype=float))
        ax2.axhline(m, color="tab:green", ls="--", lw=0.8, label="baseline mean")
    ax2.set_ylabel("relative alpha+theta")
    ax2.legend(loc="upper left", fontsize=8)
    ax2b = ax2.twinx()
    ax2b.plot(*broken(w.score), color="black", lw=1.0, label="score (smoothed z)")
    ax2b.axhline(0.0, color="grey", lw=0.5)
    ax2b.set_ylabel("score (z)")
    ax2b.legend(loc="upper right", fontsize=8)

    img = w.accepted.T.astype(float)
    ax3.imshow(
        img,
        aspect="auto",
        interpolation="nearest",
        cmap=ListedColormap(["#d62728", "#2ca02c"]),
        vmin=0,
        vmax=1,
        extent=(t[0] - hop / 2, t[-1] + hop / 2, len(result.ch_names) - 0.5, -0.5)
        if w.n_windows
        else None,
    )
    ax3.set_yticks(range(len(result.ch_names)), result.ch_names, fontsize=8)
    for ax in (ax1, ax2, ax3):
        for i in gap_at:
            ax.axvline(t[i + 1] - hop / 2, color="grey", ls=":", lw=0.8)
    ax3.set_xlabel(
        "recorded time (s)"
        + (f"; {gap_at.size} timestamp gaps cut out (dotted)" if gap_at.size else "")
    )
    ax3.set_title("accepted (green) / rejected (red) windows", fontsize=9)
    path = Path(out)
    fig.savefig(path, dpi=110)
    return path
