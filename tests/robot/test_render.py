"""Rendering: the PNG of the joint curves, the GIF of the arm, and `choreo render`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from choreo.errors import InputError
from choreo.robot.codec import random_vector
from choreo.robot.config import load_robot_config, robot_config_with
from choreo.robot.render import render_choreography, render_to_file
from choreo.robot.safety import UnsafeChoreography

CFG = load_robot_config()


def test_png_shows_joints_and_arm(tmp_path: Path) -> None:
    out = tmp_path / "plot.png"
    result = render_choreography(random_vector(1), out, CFG)
    assert result.verdict.ok
    assert result.frames == 1
    with Image.open(out) as im:
        assert im.size == (1500, 900)
        pixels = np.asarray(im.convert("RGB")).reshape(-1, 3)
    # Green envelope bands, red limit bands and blue curves are all drawn.
    colours = {tuple(int(c) for c in p) for p in pixels[::97]}
    assert len(colours) > 50


def test_gif_is_a_short_time_lapse_of_a_moving_arm(tmp_path: Path) -> None:
    out = tmp_path / "arm.gif"
    done: list[int] = []
    result = render_choreography(
        random_vector(2),
        out,
        CFG,
        fps=4,
        seconds=1.5,
        dpi=40,
        progress=lambda d, t: done.append(d),
    )
    assert result.frames == 6
    assert done == [1, 2, 3, 4, 5, 6]
    with Image.open(out) as im:
        assert im.n_frames == 6
        assert im.info["duration"] == 250
        first = np.asarray(im.convert("RGB"), dtype=np.int16)
        im.seek(5)
        last = np.asarray(im.convert("RGB"), dtype=np.int16)
    assert np.abs(first - last).sum() > 1000  # the arm moved (and the clock changed)


def test_a_rejected_choreography_is_drawn_with_its_reason(tmp_path: Path) -> None:
    high_floor = robot_config_with(CFG, floor_z_m=0.6)
    result = render_choreography(random_vector(1), tmp_path / "bad.png", high_floor)
    assert not result.verdict.ok
    assert "below the floor" in result.verdict.reason
    assert (tmp_path / "bad.png").stat().st_size > 10_000
    with pytest.raises(UnsafeChoreography, match="message: "):
        render_choreography([1, 2, 3], tmp_path / "none.png", CFG)


def test_vector_files_and_bad_arguments(tmp_path: Path) -> None:
    v = random_vector(9)
    as_json = tmp_path / "v.json"
    as_json.write_text(json.dumps(v.tolist()))
    as_text = tmp_path / "v.txt"
    as_text.write_text("\n".join(", ".join(map(str, row)) for row in v.reshape(28, 7)))
    a = render_to_file(tmp_path / "a.gif", vector_file=as_json, fps=1, seconds=2)
    b = render_to_file(tmp_path / "b.gif", vector_file=as_text, fps=1, seconds=2)
    assert a.frames == b.frames == 2
    assert a.duration_s == b.duration_s
    with pytest.raises(InputError, match="either --vector FILE or --random SEED"):
        render_to_file(tmp_path / "c.png")
    with pytest.raises(InputError, match=r"c\.jpg: output must end in \.gif or \.png"):
        render_to_file(tmp_path / "c.jpg", seed=1)
    bad = tmp_path / "bad.txt"
    bad.write_text(" ".join(["7"] * 195 + ["300"]))
    with pytest.raises(InputError, match=r"bad\.txt.*value 300 at index 195"):
        render_to_file(tmp_path / "c.png", vector_file=bad)


def test_cli_render_and_its_errors(tmp_path: Path) -> None:
    out = tmp_path / "r.gif"
    ok = subprocess.run(
        [sys.executable, "-m", "choreo", "render", "--random", "4", "--out", str(out),
         "--fps", "2", "--seconds", "1"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert "2 frame(s)" in ok.stdout
    assert "safe" in ok.stdout
    assert out.exists()
    missing = tmp_path / "missing.json"
    bad = subprocess.run(
        [sys.executable, "-m", "choreo", "render", "--vector", str(missing), "--out",
         str(tmp_path / "x.png")],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert bad.returncode == 2
    assert bad.stderr.strip() == f"choreo: error: {missing}: vector file not found"
