"""Pictures of a choreography: a GIF of the arm, and a PNG of the joint curves.

The arm is drawn from :func:`choreo.robot.kr6.joint_frames` (the same forward
kinematics the safety check uses), the curves from the checked plan, against the
envelope and the software limits of the configuration. Matplotlib runs headless (Agg).

* GIF: a time-lapse of the whole choreography, ``seconds`` long at ``fps`` frames per
  second (a 60 s choreography at the defaults plays 7.5x faster), with the floor, the
  workspace box and the flange's recent path.
* PNG: six panels of A1..A6 against time (envelope shaded green, the band beyond the
  software limits minus the margin shaded red, keyframes dotted), the flange height
  against the floor, and a still of the arm at every keyframe.

A rejected choreography is still drawn when it could be planned (the reason in red in
the title); when it could not be planned, :class:`UnsafeChoreography` is raised.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from choreo.errors import InputError
from choreo.robot.config import RobotConfig, load_robot_config
from choreo.robot.kr6 import AXES, HOME_DEG, SOFT_LIMITS_DEG, joint_frames
from choreo.robot.safety import UnsafeChoreography, Verdict, check_choreography
from choreo.robot.trajectory import Plan

if TYPE_CHECKING:
    from matplotlib.axes import Axes

#: Colours: the arm, the flange path, the envelope band, the forbidden band.
ARM_COLOUR = "#f28c28"
PATH_COLOUR = "#1f77b4"
ENVELOPE_COLOUR = "#2ca02c"
LIMIT_COLOUR = "#d62728"


@dataclass(frozen=True)
class RenderResult:
    """What :func:`render_choreography` wrote.

    Attributes
    ----------
    path : Path
        The GIF or PNG written.
    frames : int
        Number of frames (1 for a PNG).
    duration_s : float
        Duration of the choreography as planned, s.
    verdict : Verdict
        The safety verdict of the choreography (drawn either way when planned).
    """

    path: Path
    frames: int
    duration_s: float
    verdict: Verdict


def render_choreography(
    vector: object,
    out: str | os.PathLike[str],
    cfg: RobotConfig | None = None,
    fps: int = 10,
    seconds: float = 8.0,
    dpi: int = 80,
    progress: Callable[[int, int], None] | None = None,
) -> RenderResult:
    """Check, plan and draw one choreography to ``out`` (``.gif`` or ``.png``).

    Parameters
    ----------
    vector : array_like
        196 integers 0..255.
    out : path
        Output file; the suffix chooses the picture (``.gif`` animation, ``.png`` plot).
    cfg : RobotConfig, optional
        Robot configuration (default: the shipped one).
    fps : int
        GIF frames per second.
    seconds : float
        GIF length, s: the choreography is shown as a time-lapse of this length
        (never slower than real time).
    dpi : int
        Resolution of the GIF frames (a 6 x 6 inch figure).
    progress : callable, optional
        Called as ``progress(done, total)`` after every GIF frame.

    Raises
    ------
    InputError
        For an unknown suffix or bad argument.
    UnsafeChoreography
        When the choreography cannot even be planned (e.g. a bad vector).
    """
    path = Path(out)
    suffix = path.suffix.lower()
    if suffix not in (".gif", ".png"):
        raise InputError(f"{path}: output must end in .gif or .png")
    if fps < 1 or fps > 50:
        raise InputError(f"fps must be in 1..50, got {fps}")
    if not seconds > 0:
        raise InputError(f"seconds must be positive, got {seconds}")
    cfg = cfg or load_robot_config()
    verdict = check_choreography(vector, cfg)
    if verdict.plan is None:
        raise UnsafeChoreography(verdict.reason, verdict.layer)
    plan = verdict.plan
    if path.parent and not path.parent.exists():
        raise InputError(f"{path}: folder {path.parent} does not exist")
    if suffix == ".gif":
        frames = _write_gif(plan, cfg, verdict, path, fps, seconds, dpi, progress)
    else:
        _write_png(plan, cfg, verdict, path)
        frames = 1
    return RenderResult(path=path, frames=frames, duration_s=plan.duration, verdict=verdict)


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _title(verdict: Verdict, plan: Plan) -> tuple[str, str]:
    stretched = int(plan.stretched.sum())
    if verdict.ok:
        return (
            f"KR 6 R900 sixx: {plan.duration:.1f} s, {len(plan.keyframe_times)} keyframes,"
            f" {stretched} segments slowed to the limits",
            "black",
        )
    return f"REJECTED: {verdict.reason}", LIMIT_COLOUR


def _setup_3d(ax: Any, cfg: RobotConfig) -> None:
    """Axes limits, the floor and the workspace box, in metres."""
    box = cfg.workspace
    reach = 1.0
    ax.set_xlim(-reach, reach)
    ax.set_ylim(-reach, reach)
    ax.set_zlim(0.0, 1.4)
    ax.set_box_aspect((2 * reach, 2 * reach, 1.4), zoom=0.95)
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.set_zlabel("z (m)")
    ax.view_init(elev=22, azim=-60)
    floor = cfg.floor_z_m
    xx, yy = np.meshgrid([-reach, reach], [-reach, reach])
    ax.plot_surface(xx, yy, np.full_like(xx, floor), color=LIMIT_COLOUR, alpha=0.12)
    # The workspace box as twelve edges.
    x, y, z = box
    corners = np.array([[a, b, c] for a in x for b in y for c in z])
    for i in range(8):
        for j in range(i + 1, 8):
            if np.count_nonzero(corners[i] != corners[j]) == 1:
                seg = corners[[i, j]]
                ax.plot(seg[:, 0], seg[:, 1], seg[:, 2], color="0.6", lw=0.6, ls="--")


def _arm_lines(frames: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """The arm polyline (base .. flange) and the hand marker for one pose, m."""
    pts = frames[:, :3, 3]  # (7, 3): base, A1..A6 origins
    flange = frames[6]
    # A short tick along the flange's y axis shows A6's turn; one along x its direction.
    tip = flange[:3, 3] + 0.06 * flange[:3, 0]
    tick = flange[:3, 3] + 0.05 * flange[:3, 1]
    hand = np.array([tick, flange[:3, 3], tip])
    return pts, hand


def _write_gif(
    plan: Plan,
    cfg: RobotConfig,
    verdict: Verdict,
    path: Path,
    fps: int,
    seconds: float,
    dpi: int,
    progress: Callable[[int, int], None] | None,
) -> int:
    from PIL import Image

    plt = _pyplot()
    n_frames = max(2, min(round(seconds * fps), int(plan.duration * fps) + 1))
    times = np.linspace(0.0, plan.duration, n_frames)
    idx = np.minimum(np.rint(times / plan.cycle_s).astype(np.int64), plan.t.shape[0] - 1)
    frames = joint_frames(plan.q[idx])  # (n_frames, 7, 4, 4)
    flange_path = frames[:, 6, :3, 3]
    trail = max(1, round(1.5 * n_frames / max(plan.duration, 1e-9)))  # ~1.5 s of path
    speedup = plan.duration / max(n_frames / fps, 1e-9)

    fig = plt.figure(figsize=(6, 6), dpi=dpi)
    ax = fig.add_subplot(projection="3d")
    fig.subplots_adjust(left=0.0, right=0.97, bottom=0.0, top=1.0)
    _setup_3d(ax, cfg)
    title, colour = _title(verdict, plan)
    fig.suptitle(title if len(title) < 90 else title[:87] + "...", fontsize=8, color=colour)
    (arm,) = ax.plot([], [], [], "-o", color=ARM_COLOUR, lw=4, ms=4, mfc="k", mec="k")
    (hand,) = ax.plot([], [], [], "-", color="k", lw=2)
    (path_line,) = ax.plot([], [], [], "-", color=PATH_COLOUR, lw=1)
    label = fig.text(0.03, 0.93, "", fontsize=9)
    images = []
    try:
        for f in range(n_frames):
            pts, hand_pts = _arm_lines(frames[f])
            arm.set_data_3d(pts[:, 0], pts[:, 1], pts[:, 2])
            hand.set_data_3d(hand_pts[:, 0], hand_pts[:, 1], hand_pts[:, 2])
            tr = flange_path[max(0, f - trail) : f + 1]
            path_line.set_data_3d(tr[:, 0], tr[:, 1], tr[:, 2])
            label.set_text(f"t = {times[f]:5.1f} s  (x{speedup:.1f})")
            fig.canvas.draw()
            rgba = np.asarray(fig.canvas.buffer_rgba())
            images.append(Image.fromarray(rgba[..., :3]).quantize(colors=32))
            if progress is not None:
                progress(f + 1, n_frames)
    finally:
        plt.close(fig)
    images[0].save(
        path,
        save_all=True,
        append_images=images[1:],
        duration=round(1000 / fps),
        loop=0,
        optimize=False,
    )
    return n_frames


def _joint_panel(ax: Axes, plan: Plan, cfg: RobotConfig, i: int) -> None:
    env = cfg.envelope[i]
    soft = SOFT_LIMITS_DEG[i]
    lim = cfg.position_limits[i]
    span = soft[1] - soft[0]
    lo_view, hi_view = soft[0] - 0.04 * span, soft[1] + 0.04 * span
    ax.axhspan(env[0], env[1], color=ENVELOPE_COLOUR, alpha=0.15, lw=0)
    ax.axhspan(lo_view, lim[0], color=LIMIT_COLOUR, alpha=0.18, lw=0)
    ax.axhspan(lim[1], hi_view, color=LIMIT_COLOUR, alpha=0.18, lw=0)
    for y in soft:
        ax.axhline(y, color=LIMIT_COLOUR, lw=0.8)
    for t in plan.keyframe_times:
        ax.axvline(t, color="0.8", lw=0.5, ls=":")
    ax.plot(plan.t, plan.q[:, i], color=PATH_COLOUR, lw=1.2)
    ax.set_ylim(lo_view, hi_view)
    ax.set_xlim(0.0, plan.duration)
    ax.set_ylabel(f"{AXES[i]} (deg)")
    ax.grid(alpha=0.3, lw=0.4)


def _write_png(plan: Plan, cfg: RobotConfig, verdict: Verdict, path: Path) -> None:
    from matplotlib.patches import Patch

    from choreo.robot.kr6 import forward_kinematics

    plt = _pyplot()
    fig = plt.figure(figsize=(15, 9), dpi=100)
    grid = fig.add_gridspec(3, 3, width_ratios=(1, 1, 1.25), hspace=0.3, wspace=0.28)
    for i in range(6):
        ax = fig.add_subplot(grid[i // 2, i % 2])
        _joint_panel(ax, plan, cfg, i)
        if i >= 4:
            ax.set_xlabel("time (s)")
    # Flange height against the floor.
    axz = fig.add_subplot(grid[2, 2])
    flange = forward_kinematics(plan.q)
    axz.plot(plan.t, flange[:, 2], color=PATH_COLOUR, lw=1.2, label="flange height")
    low = flange[:, 2] < cfg.floor_z_m
    if low.any():
        axz.plot(plan.t[low], flange[low, 2], ".", color=LIMIT_COLOUR, ms=2, label="below floor")
    axz.axhspan(-0.1, cfg.floor_z_m, color=LIMIT_COLOUR, alpha=0.18, lw=0)
    axz.axhline(cfg.floor_z_m, color=LIMIT_COLOUR, lw=0.8, label=f"floor {cfg.floor_z_m:g} m")
    axz.set_xlim(0.0, plan.duration)
    axz.set_ylim(-0.05, max(1.4, float(flange[:, 2].max()) + 0.05))
    axz.set_xlabel("time (s)")
    axz.set_ylabel("flange z (m)")
    axz.legend(loc="upper right", fontsize=8)
    axz.grid(alpha=0.3, lw=0.4)
    # A still of the arm at HOME (grey) and at every keyframe, with the flange path.
    ax3 = fig.add_subplot(grid[0:2, 2], projection="3d")
    _setup_3d(ax3, cfg)
    ax3.plot(flange[:, 0], flange[:, 1], flange[:, 2], color=PATH_COLOUR, lw=0.6, alpha=0.7)
    poses = joint_frames(plan.q[plan.keyframe_indices])
    for f in poses:
        pts, _ = _arm_lines(f)
        ax3.plot(pts[:, 0], pts[:, 1], pts[:, 2], "-", color=ARM_COLOUR, lw=1.5, alpha=0.35)
    pts, _hand = _arm_lines(joint_frames(HOME_DEG))
    ax3.plot(pts[:, 0], pts[:, 1], pts[:, 2], "-o", color="0.3", lw=3, ms=3)
    ax3.set_title("arm at HOME (grey) and at the keyframes", fontsize=9)
    title, colour = _title(verdict, plan)
    fig.suptitle(title, fontsize=12, color=colour)
    fig.legend(
        handles=[
            Patch(color=ENVELOPE_COLOUR, alpha=0.3, label="envelope (codec range)"),
            Patch(color=LIMIT_COLOUR, alpha=0.3, label="beyond software limit minus margin"),
        ],
        loc="lower left",
        ncol=2,
        fontsize=9,
        frameon=False,
    )
    try:
        fig.savefig(path)
    finally:
        plt.close(fig)


def render_to_file(
    out: str | os.PathLike[str],
    vector_file: str | os.PathLike[str] | None = None,
    seed: int | None = None,
    config: str | os.PathLike[str] | None = None,
    fps: int = 10,
    seconds: float = 8.0,
    progress: Callable[[int, int], None] | None = None,
) -> RenderResult:
    """Render the choreography in ``vector_file`` (or a random one from ``seed``).

    The vector file is a JSON list of 196 integers (or an object with a ``"vector"``
    key), a ``.npy`` array, or 196 integers separated by commas or whitespace (see
    :func:`choreo.robot.client.read_vector_file`); errors name the file.
    """
    from choreo.robot.client import read_vector_file
    from choreo.robot.codec import random_vector

    if (vector_file is None) == (seed is None):
        raise InputError("render: give either --vector FILE or --random SEED")
    vector = random_vector(seed) if seed is not None else read_vector_file(str(vector_file))
    cfg = load_robot_config(config)
    return render_choreography(vector, out, cfg, fps=fps, seconds=seconds, progress=progress)
