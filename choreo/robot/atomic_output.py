"""Write a set of output files so that none is ever left half written.

Every file is first written in full to a temporary name in its destination folder,
then renamed into place (a rename within one file system is atomic). A folder that
does not exist yet is built as a temporary sibling and renamed as a whole. Anything
that fails before the renames (a bad vector, a bad configuration, a full disk)
leaves the destination as it was.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

from choreo.errors import InputError


def _umask() -> int:
    # Temporary files are created private (0600/0700); the written ones get the modes a
    # plain open() would give them. Reading the umask means setting it for a moment.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _payload(data: str | bytes) -> bytes:
    return data.encode("utf-8") if isinstance(data, str) else data


def write_files(folder: str | os.PathLike[str], files: Mapping[str, str | bytes]) -> list[Path]:
    """Write ``files`` (name -> content) into ``folder``, each file complete or not at all.

    Parameters
    ----------
    folder : path
        Destination; created (with its parents) when missing. Existing files of the
        same names are replaced, others are left alone.
    files : mapping of str to str or bytes
        Plain file names (no folders) and their contents; text is written as UTF-8.

    Returns
    -------
    list of Path
        The written files, in the order given.

    Raises
    ------
    InputError
        When ``folder`` is a file or cannot be written.
    """
    out = Path(folder)
    for name in files:
        if Path(name).name != name or name in ("", ".", ".."):
            raise ValueError(f"not a plain file name: {name!r}")
    if out.exists() and not out.is_dir():
        raise InputError(f"{out}: exists and is not a folder")
    mask = _umask()
    try:
        if not out.exists():
            out.parent.mkdir(parents=True, exist_ok=True)
            tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
            try:
                for name, data in files.items():
                    (tmp / name).write_bytes(_payload(data))
                    (tmp / name).chmod(0o666 & ~mask)
                tmp.chmod(0o777 & ~mask)
                tmp.rename(out)
            except BaseException:
                shutil.rmtree(tmp, ignore_errors=True)
                raise
        else:
            staged: list[tuple[Path, Path]] = []
            try:
                for name, data in files.items():
                    fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", dir=out)
                    with os.fdopen(fd, "wb") as fh:
                        fh.write(_payload(data))
                    os.chmod(tmp_name, 0o666 & ~mask)
                    staged.append((Path(tmp_name), out / name))
                for tmp_path, final in staged:
                    os.replace(tmp_path, final)
            finally:
                for tmp_path, _ in staged:
                    with contextlib.suppress(FileNotFoundError):
                        tmp_path.unlink()
    except OSError as exc:
        raise InputError(f"{out}: cannot write: {exc.strerror or exc}") from None
    return [out / name for name in files]


def write_file(path: str | os.PathLike[str], data: str | bytes) -> Path:
    """Write one file complete or not at all (see :func:`write_files`)."""
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{p}: is a folder, expected a file name")
    return write_files(p.parent if str(p.parent) else Path("."), {p.name: data})[0]
