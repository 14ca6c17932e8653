"""The session directory: resolved config, append-only records, torn tails after a kill."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from choreo.errors import ConfigError, InputError
from choreo.session.settings import SessionSettings, load_demo_settings, load_session_settings
from choreo.session.store import SessionStore


def test_shipped_configs_load() -> None:
    s = load_session_settings()
    assert s.baseline.duration_s == 60.0
    demo = load_demo_settings()
    assert demo.session.trials.count >= 10
    assert demo.session.bridge.simulator_speed > 1


def test_unknown_key_is_named(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text("[trials]\ncount = 3\nrest = 1\n")
    with pytest.raises(ConfigError, match=r"s.toml: unknown key 'trials.rest'"):
        load_session_settings(f)


def test_create_writes_resolved_config_and_meta(tmp_path: Path) -> None:
    settings = SessionSettings(name="a b/c")
    store = SessionStore.create(settings, {"seeds": {"learner": 3}}, root=tmp_path)
    assert store.path.parent == tmp_path
    assert store.path.name.startswith("a-b-c-")
    assert store.settings() == settings
    assert json.loads((store.path / "config.json").read_text())["baseline"]["duration_s"] == 60.0
    assert store.meta()["seeds"] == {"learner": 3}
    assert store.new_recording_path().name == "part-001.xdf"
    assert store.checkpoint_path(7).name == "learner-0007.safetensors"


def test_records_are_appended_in_order(tmp_path: Path) -> None:
    store = SessionStore.create(SessionSettings(), {}, root=tmp_path)
    for i in range(5):
        store.append({"kind": "trial", "trial": i, "status": "scored", "score": i * 0.5})
    store.append({"kind": "trial", "trial": 5, "status": "invalid"})
    assert [r["trial"] for r in store.trials()] == [0, 1, 2, 3, 4, 5]
    assert [r["score"] for r in store.scored_trials()] == [0.0, 0.5, 1.0, 1.5, 2.0]


def test_torn_tail_is_skipped_and_repaired(tmp_path: Path) -> None:
    store = SessionStore.create(SessionSettings(), {}, root=tmp_path)
    store.append({"kind": "trial", "trial": 0})
    with store.trials_file.open("ab") as fh:
        fh.write(b'{"kind": "trial", "tri')
    assert len(store.records()) == 1
    assert store.repair() == len(b'{"kind": "trial", "tri')
    store.append({"kind": "trial", "trial": 1})
    assert [r["trial"] for r in store.records()] == [0, 1]


def test_corrupt_middle_line_is_an_error(tmp_path: Path) -> None:
    store = SessionStore.create(SessionSettings(), {}, root=tmp_path)
    with store.trials_file.open("ab") as fh:
        fh.write(b"garbage\n")
    store.append({"kind": "trial", "trial": 0})
    with pytest.raises(InputError, match="line 1 is not valid JSON"):
        store.records()


def test_open_refuses_other_folders(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not a session directory"):
        SessionStore.open(tmp_path)
    with pytest.raises(InputError, match="no such session directory"):
        SessionStore.open(tmp_path / "nope")


def test_kill_9_keeps_every_appended_line(tmp_path: Path) -> None:
    """A writer killed with SIGKILL mid-stream leaves only whole lines (plus a torn tail)."""
    store = SessionStore.create(SessionSettings(), {}, root=tmp_path)
    code = textwrap.dedent(
        f"""
        import sys
        from choreo.session.store import SessionStore
        s = SessionStore({str(store.path)!r})
        i = 0
        while True:
            s.append({{"kind": "trial", "trial": i, "pad": "x" * 3000}})
            if i == 20:
                print("ready", flush=True)
            i += 1
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    os.kill(proc.pid, 9)
    proc.wait()
    trials = [r["trial"] for r in store.records()]
    assert len(trials) >= 21
    assert trials == list(range(len(trials)))
