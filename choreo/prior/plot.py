"""A picture of a GAN prior: its samples among the corpus, and what a few of them do.

Left: the corpus's decoded joint trajectories projected on their first two
principal components, coloured by family, with the generator's samples on top
(a collapsed generator shows as a clump, a memorising one sits on corpus
points). Right: the six joint curves (fraction of the envelope) of a few
samples against time, s.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from choreo.prior.corpus import FAMILIES
from choreo.prior.validity import joint_trajectories

if TYPE_CHECKING:
    from choreo.robot.config import RobotConfig


def plot_prior(
    samples: NDArray[np.uint8],
    corpus: NDArray[np.uint8],
    corpus_family: NDArray[np.int64],
    cfg: RobotConfig,
    out_path: str | os.PathLike[str],
    title: str = "GAN prior",
    n_curves: int = 4,
) -> Path:
    """Write the PNG described in the module docstring; returns its path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from choreo.robot.kr6 import AXES

    rng = np.random.default_rng(0)
    pick = rng.choice(len(corpus), size=min(3000, len(corpus)), replace=False)
    c_kf, _ = joint_trajectories(corpus[pick], cfg)
    s_kf, s_du = joint_trajectories(samples[:1000], cfg)
    mean = c_kf.mean(axis=0)
    _, _, vt = np.linalg.svd(c_kf - mean, full_matrices=False)
    # projections scaled to RMS deg per keyframe value, like the diversity figures
    scale = 1.0 / np.sqrt(c_kf.shape[1])
    c2 = (c_kf - mean) @ vt[:2].T * scale
    s2 = (s_kf - mean) @ vt[:2].T * scale

    fig = plt.figure(figsize=(13, 6), constrained_layout=True)
    grid = fig.add_gridspec(n_curves, 2, width_ratios=(1.1, 1))
    ax = fig.add_subplot(grid[:, 0])
    colours = plt.get_cmap("tab10")
    for fi, name in enumerate(FAMILIES):
        m = corpus_family[pick] == fi
        ax.scatter(c2[m, 0], c2[m, 1], s=4, alpha=0.35, color=colours(fi), label=f"corpus: {name}")
    ax.scatter(s2[:, 0], s2[:, 1], s=7, marker="x", color="black", alpha=0.6, label="generator")
    ax.set_xlabel("principal component 1 (deg RMS)")
    ax.set_ylabel("principal component 2 (deg RMS)")
    ax.set_title("decoded keyframes: corpus and generator samples")
    ax.legend(loc="upper right", fontsize=8, markerscale=3)

    env = cfg.envelope
    for i in range(min(n_curves, len(s_kf))):
        a = fig.add_subplot(grid[i, 1])
        t = np.concatenate([[0.0], np.cumsum(s_du[i])])
        q = s_kf[i].reshape(28, 6)
        frac = (q - env[:, 0]) / (env[:, 1] - env[:, 0])
        for j, axis in enumerate(AXES):
            a.plot(t[1:], frac[:, j], marker=".", lw=1.2, label=axis, color=colours(j))
        a.set_ylim(-0.05, 1.05)
        a.set_ylabel(f"sample {i + 1}\nenvelope", fontsize=8)
        if i == 0:
            a.set_title("generated choreographies: joints (0 = low end, 1 = high end)")
            a.legend(ncol=6, fontsize=7, loc="upper center")
        if i == n_curves - 1:
            a.set_xlabel("time (s, as requested)")
    fig.suptitle(title)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=90)
    plt.close(fig)
    return out
