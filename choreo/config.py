"""Typed configuration: TOML files validated by strict pydantic models.

Every model derives from :class:`StrictModel`, so an unknown key is an error.
:func:`load_toml` turns a validation failure into a :class:`~choreo.errors.ConfigError`
that names the file and the dotted key.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from choreo.errors import ConfigError
from choreo.resources import config_dir, locate


class StrictModel(BaseModel):
    """Base of every configuration model: unknown keys are refused, values are frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


M = TypeVar("M", bound=BaseModel)


def format_validation_error(exc: ValidationError, where: str) -> str:
    """Return a one-line message naming ``where`` and the first offending key."""
    err = exc.errors()[0]
    key = ".".join(str(p) for p in err["loc"]) or "<root>"
    if err["type"] == "extra_forbidden":
        return f"{where}: unknown key '{key}'"
    if err["type"] == "missing":
        return f"{where}: missing key '{key}'"
    more = f" (and {len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
    return f"{where}: key '{key}': {err['msg']}{more}"


def validate(model: type[M], data: dict[str, Any], where: str) -> M:
    """Validate ``data`` against ``model``; raise :class:`ConfigError` naming ``where``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, where)) from None


def read_toml(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a TOML file; a missing or malformed file raises :class:`ConfigError`."""
    p = Path(path)
    try:
        with p.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{p}: configuration file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{p}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{p}: cannot read: {exc.strerror}") from None


def load_toml(path: str | os.PathLike[str], model: type[M]) -> M:
    """Load a TOML file into ``model``; errors name the file and the key."""
    return validate(model, read_toml(path), str(path))


def resolve_config(name_or_path: str | os.PathLike[str], folder: str) -> Path:
    """Find a configuration by path, or by name inside ``config_dir()/folder``.

    ``resolve_config("muse2016", "devices")`` finds ``choreo/configs/devices/muse2016.toml``;
    a path is found by :func:`choreo.resources.locate` (``configs/...`` = the shipped file).
    """
    p = Path(name_or_path)
    if p.suffix == ".toml" or p.exists():
        return locate(p)
    where = config_dir() / folder
    candidate = where / f"{p.name}.toml"
    if candidate.exists():
        return candidate
    known = sorted(f.stem for f in where.glob("*.toml"))
    raise ConfigError(f"no configuration '{name_or_path}' in {where} (known: {', '.join(known)})")
