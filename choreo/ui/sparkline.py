"""A one-line chart of a series, in block characters (what the live views draw)."""

from __future__ import annotations

import math
from collections.abc import Sequence

#: From the lowest to the highest value.
BARS = "▁▂▃▄▅▆▇█"


def sparkline(values: Sequence[float | None], width: int | None = None, gap: str = "·") -> str:
    """The last ``width`` values as bars scaled between their minimum and maximum.

    Parameters
    ----------
    values
        The series (any unit); ``None``, NaN and inf are drawn as ``gap``.
    width
        How many of the last values to draw (all when None).
    gap
        The character of a missing value.

    Returns
    -------
    str
        One character per value drawn; empty when no value is finite.
    """
    vals = list(values)[-width:] if width else list(values)
    finite = [v for v in vals if v is not None and math.isfinite(v)]
    if not finite:
        return ""
    lo, hi = min(finite), max(finite)
    span = hi - lo or 1.0
    top = len(BARS) - 1
    return "".join(
        gap if v is None or not math.isfinite(v) else BARS[round((v - lo) / span * top)]
        for v in vals
    )
