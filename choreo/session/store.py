"""The session directory: everything needed to replay a session, written so a kill loses little.

Layout of ``sessions/<name>-<UTC timestamp>/``::

    config.json        the resolved settings (every value, defaults included)
    meta.json          versions, seeds, the EEG stream and the bridge that were used
    trials.jsonl       append-only, one JSON object per line, flushed and fsynced per line:
                       the baseline block, every trial (scored, invalid or rejected), pauses
    recordings/part-001.xdf ...   LabRecorder's XDF, one part per run (a resume adds one)
    checkpoints/learner-0001...   the learner after each update
    report/            plots and index.html (``choreo report``)

A line of ``trials.jsonl`` is written whole with one ``write`` and then fsynced, so a
``kill -9`` leaves at most one torn last line, which :meth:`SessionStore.records`
skips and :meth:`SessionStore.repair` cuts off before appending again.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
from pathlib import Path
from typing import Any

from choreo.config import validate
from choreo.errors import InputError
from choreo.session.settings import SessionSettings

#: Version of the directory layout, kept in ``meta.json``.
SESSION_FORMAT = 1

CONFIG_FILE = "config.json"
META_FILE = "meta.json"
TRIALS_FILE = "trials.jsonl"
RECORDINGS_DIR = "recordings"
CHECKPOINTS_DIR = "checkpoints"
REPORT_DIR = "report"


def write_json_atomic(path: Path, obj: Any) -> None:
    """Write ``obj`` as JSON to ``path`` through a temporary file, fsync and rename."""
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        json.dump(obj, fh, indent=2, sort_keys=True, default=_json_default)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    fsync_path(path.parent)


def fsync_path(path: Path) -> None:
    """Flush a file, or a folder's entries, to disk (a rename is durable only then)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _json_default(obj: Any) -> Any:
    # numpy scalars and arrays, Paths: what records commonly carry.
    if hasattr(obj, "tolist"):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


class SessionStore:
    """One session directory.

    Parameters
    ----------
    path
        The directory; use :meth:`create` for a new one and :meth:`open` for an existing one.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    # ----------------------------------------------------------------- creation
    @classmethod
    def create(
        cls,
        settings: SessionSettings,
        meta: dict[str, Any],
        name: str | None = None,
        root: str | os.PathLike[str] | None = None,
    ) -> SessionStore:
        """Make a new session directory ``<root>/<name>-<UTC time>`` and write config and meta."""
        base = Path(root if root is not None else settings.root)
        stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%d-%H%M%S")
        label = re.sub(r"[^A-Za-z0-9_.-]+", "-", name or settings.name).strip("-") or "session"
        path = base / f"{label}-{stamp}"
        n = 1
        while path.exists():
            n += 1
            path = base / f"{label}-{stamp}-{n}"
        path.mkdir(parents=True)
        (path / RECORDINGS_DIR).mkdir()
        (path / CHECKPOINTS_DIR).mkdir()
        store = cls(path)
        write_json_atomic(path / CONFIG_FILE, settings.model_dump(mode="json"))
        store.write_meta({"format": SESSION_FORMAT, **meta})
        (path / TRIALS_FILE).touch()
        fsync_path(path)
        return store

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> SessionStore:
        """Open an existing session directory; :class:`InputError` when it is not one."""
        p = Path(path)
        if not p.is_dir():
            raise InputError(f"{p}: no such session directory")
        for needed in (CONFIG_FILE, META_FILE):
            if not (p / needed).is_file():
                raise InputError(f"{p}: not a session directory (no {needed})")
        return cls(p)

    # ----------------------------------------------------------------- config, meta
    def settings(self) -> SessionSettings:
        """The resolved settings the session ran with."""
        return validate(
            SessionSettings, self._read_json(CONFIG_FILE), str(self.path / CONFIG_FILE)
        )

    def meta(self) -> dict[str, Any]:
        """Versions, seeds, stream and bridge descriptions."""
        data = self._read_json(META_FILE)
        if not isinstance(data, dict):
            raise InputError(f"{self.path / META_FILE}: not a JSON object")
        return data

    def write_meta(self, meta: dict[str, Any]) -> None:
        """Replace ``meta.json`` atomically."""
        write_json_atomic(self.path / META_FILE, meta)

    def update_meta(self, **items: Any) -> None:
        """Add or replace top-level items of ``meta.json``."""
        meta = self.meta()
        meta.update(items)
        self.write_meta(meta)

    def _read_json(self, name: str) -> Any:
        f = self.path / name
        try:
            return json.loads(f.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"{f}: missing") from None
        except json.JSONDecodeError as exc:
            raise InputError(f"{f}: not valid JSON (line {exc.lineno}): {exc.msg}") from None

    # ----------------------------------------------------------------- records
    @property
    def trials_file(self) -> Path:
        """Path of the append-only record file."""
        return self.path / TRIALS_FILE

    def append(self, record: dict[str, Any]) -> None:
        """Append one record as a line; flushed and fsynced before returning."""
        line = json.dumps(record, sort_keys=True, default=_json_default, allow_nan=True)
        if "\n" in line:  # json.dumps never emits raw newlines; guard the invariant anyway
            raise ValueError("record serialised with a newline")
        data = (line + "\n").encode("utf-8")
        fd = os.open(self.trials_file, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)

    def records(self) -> list[dict[str, Any]]:
        """Every complete record, in order; a torn last line (kill during a write) is skipped."""
        try:
            raw = self.trials_file.read_bytes()
        except FileNotFoundError:
            return []
        out: list[dict[str, Any]] = []
        lines = raw.split(b"\n")
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                if i == len(lines) - 1:  # the torn tail of a killed write
                    break
                raise InputError(f"{self.trials_file}: line {i + 1} is not valid JSON") from None
            out.append(rec)
        return out

    def repair(self) -> int:
        """Cut a torn last line off ``trials.jsonl``; return the number of bytes removed."""
        raw = self.trials_file.read_bytes()
        keep = raw.rfind(b"\n") + 1
        if keep == len(raw):
            return 0
        with self.trials_file.open("r+b") as fh:
            fh.truncate(keep)
            fh.flush()
            os.fsync(fh.fileno())
        return len(raw) - keep

    def trials(self) -> list[dict[str, Any]]:
        """The trial records (``kind == "trial"``), scored, invalid and rejected."""
        return [r for r in self.records() if r.get("kind") == "trial"]

    def scored_trials(self) -> list[dict[str, Any]]:
        """The trials that have a score."""
        return [r for r in self.trials() if r.get("status") == "scored"]

    # ----------------------------------------------------------------- files
    def new_recording_path(self) -> Path:
        """Path of the next XDF part (``recordings/part-NNN.xdf``)."""
        folder = self.path / RECORDINGS_DIR
        folder.mkdir(exist_ok=True)
        n = len(self.recording_paths()) + 1
        return folder / f"part-{n:03d}.xdf"

    def recording_paths(self) -> list[Path]:
        """The XDF parts, in order."""
        return sorted((self.path / RECORDINGS_DIR).glob("part-*.xdf"))

    def checkpoint_path(self, step: int) -> Path:
        """Path of the learner checkpoint after ``step`` updates."""
        folder = self.path / CHECKPOINTS_DIR
        folder.mkdir(exist_ok=True)
        return folder / f"learner-{step:04d}.safetensors"

    def last_checkpoint(self) -> Path | None:
        """The learner checkpoint of the last trial that saved one (None: no trial did)."""
        saved = [r for r in self.trials() if r.get("checkpoint")]
        return self.path / CHECKPOINTS_DIR / saved[-1]["checkpoint"] if saved else None

    @property
    def report_dir(self) -> Path:
        """Folder of the report's files."""
        return self.path / REPORT_DIR
