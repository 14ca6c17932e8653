"""Pieces of KUKA Robot Language (KRL) programs: names, axis points, and reading them back.

A KRL program is two files: ``NAME.src`` (``DEF NAME( ) ... END``, the motions) and
``NAME.dat`` (``DEFDAT NAME PUBLIC ... ENDDAT``, the points as ``E6AXIS`` aggregates).
Both are written with CRLF line ends, as the controller's editor writes them. Axis
values are deg; KRL stores them as REAL, so 4 decimals (1e-4 deg) are written.

The readers here (:func:`read_axis_points`, :func:`read_statements`) understand what
choreo writes, not the whole language; tests use them to check a program against the
plan it came from.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
from numpy.typing import ArrayLike, NDArray

from choreo.errors import InputError

#: KRL names: a letter or _, then letters, digits, _ (the controller allows 24 for a module).
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,23}$")
_E6AXIS = re.compile(r"^\s*DECL\s+E6AXIS\s+(\w+)\s*=\s*\{([^}]*)\}\s*$", re.IGNORECASE)
_FIELD = re.compile(r"\s*([AE][1-6])\s+(-?\d+(?:\.\d+)?(?:[Ee][-+]?\d+)?)\s*")


def program_name(name: str, what: str = "program name") -> str:
    """Check that ``name`` can name a KRL module (file stem, ``DEF`` and ``DEFDAT``)."""
    if not _NAME.match(name):
        raise InputError(
            f"{what} {name!r}: a KRL module name is a letter or _, then letters, digits"
            " or _, at most 24 characters"
        )
    return name


def e6axis(name: str, q_deg: ArrayLike) -> str:
    """``DECL E6AXIS name={A1 ..,A6 ..,E1 0.0,..,E6 0.0}`` for axis values ``q_deg`` (deg)."""
    q = np.asarray(q_deg, dtype=np.float64).reshape(6)
    axes = ",".join(f"A{i + 1} {v:.4f}" for i, v in enumerate(q))
    ext = ",".join(f"E{i} 0.0" for i in range(1, 7))
    return f"DECL E6AXIS {name}={{{axes},{ext}}}"


def percent(scale: float) -> int:
    """A KRL percentage (1..100, e.g. ``$VEL_AXIS``) not above ``scale`` x 100."""
    return max(1, min(100, int(np.floor(scale * 100.0 + 1e-9))))


def krl_file(lines: Iterable[str]) -> str:
    """Join KRL lines with CRLF and a final CRLF."""
    return "\r\n".join(lines) + "\r\n"


def read_axis_points(dat_text: str, where: str = ".dat") -> dict[str, NDArray[np.float64]]:
    """Every ``DECL E6AXIS`` of a ``.dat``: name (upper case) -> A1..A6, deg.

    Raises
    ------
    InputError
        When a declaration lacks an axis, naming the line.
    """
    points: dict[str, NDArray[np.float64]] = {}
    for n, line in enumerate(dat_text.splitlines(), start=1):
        match = _E6AXIS.match(line)
        if match is None:
            continue
        fields: dict[str, str] = {}
        for part in match.group(2).split(","):
            field = _FIELD.fullmatch(part)
            if field is None:
                raise InputError(f"{where}: line {n}: cannot read {part.strip()!r}")
            fields[field.group(1)] = field.group(2)
        try:
            points[match.group(1).upper()] = np.array(
                [float(fields[f"A{i}"]) for i in range(1, 7)], dtype=np.float64
            )
        except KeyError as exc:
            raise InputError(f"{where}: line {n}: {match.group(1)} lacks {exc.args[0]}") from None
    return points


def read_statements(src_text: str) -> list[str]:
    """The statements of a ``.src`` in order: comments, ``&`` lines and blanks removed."""
    out = []
    for line in src_text.splitlines():
        code = line.split(";", 1)[0].strip()
        if code and not code.startswith("&"):
            out.append(code)
    return out
