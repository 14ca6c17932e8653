"""kill -9 in the middle of a session, then --resume: nothing complete is lost, replay agrees."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from session_helpers import PausableEEG, fast_settings

from choreo.session.live import run_session
from choreo.session.replay import replay_session
from choreo.session.store import SessionStore

REPO = Path(__file__).resolve().parents[2]


def _children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            out += [int(x) for x in (task / "children").read_text().split()]
    return out


def test_kill_9_and_resume(tmp_path: Path, eeg: PausableEEG, bridge_process) -> None:  # type: ignore[no-untyped-def]
    bridge = bridge_process(speed=40.0)
    # The kill lands over a second after trial 2 ended (LabRecorder writes about twice a
    # second, so its samples are on disk) and before trial 3 can end.
    settings = fast_settings(tmp_path, eeg.src.info.name, bridge.port, trials=4, rest_s=0.6)
    code = (
        "import sys\n"
        "from choreo.session.live import run_session\n"
        "from choreo.session.settings import SessionSettings\n"
        "run_session(SessionSettings.model_validate_json(sys.argv[1]))\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, settings.model_dump_json()], cwd=REPO)
    try:
        deadline = time.monotonic() + 60
        store = None
        while time.monotonic() < deadline:
            dirs = list(tmp_path.glob("t-*"))
            if dirs:
                store = SessionStore(dirs[0])
                if len(store.scored_trials()) >= 2:
                    break
            assert proc.poll() is None, "the session ended before it could be killed"
            time.sleep(0.05)
        assert store is not None
        time.sleep(0.9)
        children = _children(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    before = store.scored_trials()
    assert len(before) >= 2

    result = run_session(resume=store.path)
    assert result.stopped == "completed"
    scored = store.scored_trials()
    assert [t["n"] for t in scored] == [1, 2, 3, 4]
    assert scored[: len(before)] == before  # nothing complete was lost or changed
    ids = [t["trial"] for t in store.trials()]
    assert ids == sorted(set(ids))
    runs = [r for r in store.records() if r.get("kind") == "run"]
    assert len(runs) == 2
    assert runs[1]["resumed"] is True
    assert len(store.recording_paths()) == 2

    rep = replay_session(store.path)
    assert rep.agrees, [c.problems for c in rep.trials] + rep.problems
    assert rep.n_proposals == rep.n_proposals_same == 4
    assert rep.max_score_diff <= 1e-6
    # The orphaned LabRecorder saw EOF on its stdin and closed part-001 by itself.
    assert not [c for c in children if Path(f"/proc/{c}").exists()]
