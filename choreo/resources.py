"""Where choreo's shipped files are: the TOML configurations and the pretrained prior.

Both folders are package data (``choreo/configs/``, ``choreo/models/``), so an installed
wheel finds them without a source checkout. ``CHOREO_CONFIG_DIR`` points the
configurations elsewhere (read at each call, so a test or a wrapper can set it late).

:func:`locate` is how every default and every path a user writes in a settings file is
found: an existing path wins; otherwise ``configs/...`` and ``models/...`` (as written in
the shipped TOML files and the docs, relative to the old repository root) name the
shipped file, wherever the package is installed.
"""

from __future__ import annotations

import os
from pathlib import Path

#: The folder of the installed ``choreo`` package.
PACKAGE_DIR = Path(__file__).resolve().parent

#: Environment variable that replaces the shipped configuration folder.
CONFIG_DIR_ENV = "CHOREO_CONFIG_DIR"


def config_dir() -> Path:
    """The folder of the TOML configurations (``CHOREO_CONFIG_DIR``, else the shipped one)."""
    override = os.environ.get(CONFIG_DIR_ENV)
    return Path(override) if override else PACKAGE_DIR / "configs"


def model_dir() -> Path:
    """The folder of the shipped model files (the pretrained GAN prior)."""
    return PACKAGE_DIR / "models"


def locate(path: str | os.PathLike[str]) -> Path:
    """Find a configuration or model file given as a user would write it.

    Parameters
    ----------
    path : str or path
        A file path. When it exists it is returned (absolute). Otherwise a relative path
        starting with ``configs/`` (or ``choreo/configs/``) maps into :func:`config_dir`
        and one starting with ``models/`` (or ``choreo/models/``) into :func:`model_dir`.

    Returns
    -------
    Path
        The absolute path of the file found, or ``path`` unchanged when there is none (so
        the caller's error names the path as the user wrote it).
    """
    p = Path(path).expanduser()
    if p.exists():
        return p.resolve()
    if p.is_absolute():
        return p
    parts = p.parts
    if parts[:1] == ("choreo",):
        parts = parts[1:]
    folders = {"configs": config_dir, "models": model_dir}
    if len(parts) > 1 and parts[0] in folders:
        candidate = folders[parts[0]]().joinpath(*parts[1:])
        if candidate.exists():
            return candidate.resolve()
    return p
