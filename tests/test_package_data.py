"""The wheel carries what choreo needs: installed outside the checkout, the demo runs.

The wheel is built from a copy of the source (no ``build/`` left in the checkout) and
installed without its dependencies into a fresh venv that borrows them from the venv
running the tests (a path line in a ``.pth`` file), so nothing is downloaded. The demo
then runs from an empty folder, where no ``configs/`` or ``models/`` exists: it can only
find the shipped configurations and the prior inside the installed package.
"""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.slow


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=150, check=False
    )
    assert proc.returncode == 0, f"{cmd[:4]} exited {proc.returncode}:\n{proc.stderr[-3000:]}"
    return proc.stdout


def _build_wheel(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    shutil.copytree(REPO / "choreo", src / "choreo", ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path / "dist"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "-q", "-w", str(dist), str(src)],
        cwd=tmp_path,
    )  # fmt: skip
    (wheel,) = dist.glob("choreo-*.whl")
    return wheel


def _fresh_venv(tmp_path: Path, wheel: Path) -> Path:
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
         "--no-index", "-q", str(wheel)],
        cwd=tmp_path,
    )  # fmt: skip
    # The dependencies, borrowed: a plain path line puts the test venv's site-packages
    # after the new venv's own, and (unlike a site dir) runs none of its .pth files, so
    # the checkout's editable install stays out.
    own = Path(
        _run(
            [str(python), "-c", "import site; print(site.getsitepackages()[0])"], tmp_path
        ).strip()
    )
    (own / "borrowed-deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    return python


def test_installed_wheel_runs_the_demo_outside_the_checkout(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
    for shipped in (
        "choreo/configs/demo.toml",
        "choreo/configs/demo-real-pace.toml",
        "choreo/configs/session.toml",
        "choreo/configs/eeg.toml",
        "choreo/configs/gan.toml",
        "choreo/configs/robot/kr6r900sixx.toml",
        "choreo/configs/devices/muse2016.toml",
        "choreo/models/prior.safetensors",
    ):
        assert shipped in names, f"{shipped} missing from {wheel.name}"

    python = _fresh_venv(tmp_path, wheel)
    env = {k: v for k, v in os.environ.items() if k not in ("CHOREO_CONFIG_DIR", "PYTHONPATH")}
    work = tmp_path / "elsewhere"
    work.mkdir()
    package = Path(_run([str(python), "-c", "import choreo; print(choreo.__file__)"], work, env))
    assert package.resolve().is_relative_to(tmp_path / "venv"), package

    out = _run([str(python), "-m", "choreo", "demo", "--trials", "1"], work, env)
    assert "1 trials scored" in out
    (session,) = (work / "sessions").iterdir()
    for made in (
        "config.json",
        "meta.json",
        "trials.jsonl",
        "participant.json",
        "recordings/part-001.xdf",
        "checkpoints/learner-0001.safetensors",
        "report/index.html",
    ):
        assert (session / made).is_file(), f"{made} not in {session}"
    records = [json.loads(line) for line in (session / "trials.jsonl").read_text().splitlines()]
    assert [r["status"] for r in records if r["kind"] == "trial"] == ["scored"]
    # The run records name the prior that was used: the installed one, absolute.
    shipped_prior = package.resolve().parent / "models" / "prior.safetensors"
    config = json.loads((session / "config.json").read_text())
    assert config["learner"]["checkpoint"] == str(shipped_prior)
    assert json.loads((session / "meta.json").read_text())["prior_checkpoint"] == str(
        shipped_prior
    )
