"""choreo.runtime: process-wide settings made by entry points only, threads limited for a
block and given back."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from threadpoolctl import threadpool_info

import choreo
from choreo import runtime

PACKAGE = Path(choreo.__file__).resolve().parent


def _blas_threads() -> list[int]:
    return [p["num_threads"] for p in threadpool_info() if p["user_api"] == "blas"]


def test_limited_threads_sets_and_gives_back_torch_and_blas() -> None:
    np.ones((4, 4)) @ np.ones((4, 4))  # the BLAS is loaded
    torch_before, blas_before = torch.get_num_threads(), _blas_threads()
    with runtime.limited_threads(1):
        assert torch.get_num_threads() == 1
        assert set(_blas_threads()) <= {1}
    assert torch.get_num_threads() == torch_before
    assert _blas_threads() == blas_before
    seen: list[list[int]] = []

    def fail_inside() -> None:
        with runtime.limited_threads(1, blas=False):
            seen.append(_blas_threads())
            raise RuntimeError("given back on an error too")

    with pytest.raises(RuntimeError):
        fail_inside()
    assert seen == [blas_before]  # the BLAS left alone
    assert torch.get_num_threads() == torch_before
    with pytest.raises(ValueError, match="at least 1"), runtime.limited_threads(0):
        pass


def test_quiet_liblsl_writes_a_config_and_leaves_a_users_own(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(runtime.LSL_CONFIG_ENV, raising=False)
    monkeypatch.setattr(runtime.tempfile, "gettempdir", lambda: str(tmp_path))
    cfg = runtime.quiet_liblsl()
    assert cfg is not None
    assert Path(cfg).parent == tmp_path
    assert "level = -2" in Path(cfg).read_text()
    assert runtime.os.environ[runtime.LSL_CONFIG_ENV] == cfg
    monkeypatch.setenv(runtime.LSL_CONFIG_ENV, "/my/lsl_api.cfg")
    assert runtime.configure_process(keep_memory=False).lsl_config == "/my/lsl_api.cfg"


def test_keep_freed_memory_yields_to_the_users_malloc_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MALLOC_TRIM_THRESHOLD_", "131072")
    assert runtime.keep_freed_memory() is False
    monkeypatch.delenv("MALLOC_TRIM_THRESHOLD_")
    if sys.platform.startswith("linux"):
        assert runtime.keep_freed_memory() is True


def _in_fresh_python(code: str) -> dict[str, object]:
    env = {k: v for k, v in runtime.os.environ.items() if k != runtime.LSL_CONFIG_ENV}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_configure_process_sets_threads_in_a_fresh_process() -> None:
    got = _in_fresh_python(
        "import json, os, numpy as np, torch\n"
        "from threadpoolctl import threadpool_info\n"
        "from choreo.runtime import configure_process\n"
        "s = configure_process(threads=1, pool_threads=1)\n"
        "print(json.dumps({'torch': torch.get_num_threads(),"
        " 'pools': sorted({p['num_threads'] for p in threadpool_info()}),"
        " 'lsl': os.environ.get('LSLAPICFG'), 'kept': s.freed_memory_kept}))\n"
    )
    assert got["torch"] == 1
    assert got["pools"] == [1]
    assert got["lsl"]
    assert got["kept"] is True


def test_using_the_library_changes_nothing_process_wide() -> None:
    """A learner proposes, the LSL sources load: torch's threads, the environment stay."""
    got = _in_fresh_python(
        "import json, os, torch\n"
        "before = torch.get_num_threads()\n"
        "import choreo.eeg.sources.lsl, choreo.robot.bridge\n"
        "from choreo.learning.learner import Learner\n"
        "Learner(seed=0).propose()\n"
        "print(json.dumps({'before': before, 'after': torch.get_num_threads(),"
        " 'lsl': os.environ.get('LSLAPICFG')}))\n"
    )
    assert got["after"] == got["before"]
    assert got["lsl"] is None


def _process_wide_calls(path: Path) -> list[str]:
    """Calls that change the whole process, and writes to ``os.environ``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
            if name in ("set_num_threads", "threadpool_limits", "mallopt", "putenv"):
                found.append(f"{path.name}:{node.lineno} {name}")
        targets = node.targets if isinstance(node, ast.Assign) else []
        for t in targets:
            if isinstance(t, ast.Subscript) and ast.unparse(t.value) == "os.environ":
                found.append(f"{path.name}:{node.lineno} os.environ[...] =")
    return found


def test_only_runtime_changes_the_process() -> None:
    modules = [p for p in PACKAGE.rglob("*.py") if p.name != "runtime.py"]
    assert [hit for p in modules for hit in _process_wide_calls(p)] == []
    assert len(_process_wide_calls(PACKAGE / "runtime.py")) >= 4  # the walk sees them
