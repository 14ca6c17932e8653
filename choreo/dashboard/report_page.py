"""The dashboard page of a finished session, static: one HTML file with the data inside
(``DIR/report/dashboard.html``, written by ``choreo report``).

The same page as live (``static/index.html``, its script and uPlot inlined), given a
snapshot of the session's end instead of a websocket: every recorded feedback window
(zoomable plots), the scores of all trials, the trials table, the seeds and settings,
the best choreography, its keyframes shown by the arm in turn.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np

from choreo.dashboard.recorded import read_recorded_session, settings_rows
from choreo.dashboard.server import STATIC_DIR
from choreo.dashboard.state import arm_points, choreography_path, record_intervals
from choreo.session.store import SessionStore


def _clean(x: Any) -> Any:
    """JSON-ready: NaN/inf as None, numpy scalars as Python numbers, floats rounded."""
    if isinstance(x, dict):
        return {k: _clean(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_clean(v) for v in x]
    if isinstance(x, np.generic):
        x = x.item()
    if isinstance(x, float):
        return round(x, 4) if math.isfinite(x) else None
    return x


def report_data(
    store: SessionStore,
    table: list[dict[str, Any]],
    best: tuple[Any, int | None, float] = (None, None, math.nan),
) -> dict[str, Any]:
    """What the static page shows: a final snapshot, the trials table, the settings.

    ``table`` is :func:`choreo.session.report.trial_table`'s rows and ``best`` what
    :func:`choreo.session.report.best_vector` gives (vector, trial number, score).
    """
    rec = read_recorded_session(store)
    trials = rec.trials
    scores = [
        float(r["score"]) if r.get("status") == "scored" else None
        for r in trials
        if r.get("status") != "rejected"
    ]
    quality: dict[str, Any] = next(
        (r for r in reversed(rec.records) if r.get("kind") == "quality"), {}
    )
    end: dict[str, Any] = next((r for r in reversed(rec.records) if r.get("kind") == "end"), {})
    n_scored = sum(v is not None for v in scores)
    snap: dict[str, Any] = {
        "source": "report",
        "session": rec.name,
        "phase": "finished",
        "message": f"{n_scored} scored trials; ended: {end.get('reason', 'not recorded')}",
        "eeg": rec.eeg,
        "backend": "",
        "channels": rec.channels,
        "quality": list(quality.get("quality") or []),
        "scores": scores,
        "trial": n_scored,
        "n_trials": store.settings().trials.count,
        "progress": 1.0,
        "points": rec.points(),
        "intervals": record_intervals(rec.records),
        "events": [],
    }
    last = rec.points()[-1] if len(rec.t) else None
    if last is not None:
        snap.update(score=last[3], rel_alpha=last[4], rel_theta=last[5])
    vector, best_n, best_score = best
    if vector is not None:
        path = choreography_path(vector)
        path["arm_keyframes"] = [arm_points(q) for q in path["keyframes_deg"]]
        snap.update(
            best_trial=best_n,
            best_score=best_score,
            best_vector=[int(v) for v in vector],
            best_path=path,
            arm=path["arm_keyframes"][0],
            joints=path["keyframes_deg"][0],
        )
    rows = [
        {
            "trial": r["trial"],
            "n": r["n"] if r["status"] == "scored" else None,
            "status": "skipped" if "skipped" in str(r.get("reason", "")) else r["status"],
            "score": round(float(r["score"]), 3) if r.get("score") is not None else None,
            "n_windows": r.get("n_windows"),
            "duration_s": round(float(r["duration_s"]), 1) if r.get("duration_s") else None,
            "reason": r.get("note") or "",
        }
        for r in table
    ]
    return _clean({"snapshot": snap, "trials": rows, "settings": settings_rows(store)})


def _inline(page: str) -> str:
    """``page`` with its stylesheets and scripts from ``static/`` put inside it."""

    def css(m: re.Match[str]) -> str:
        return "<style>\n" + (STATIC_DIR / m.group(1)).read_text(encoding="utf-8") + "\n</style>"

    def js(m: re.Match[str]) -> str:
        code = (STATIC_DIR / m.group(1)).read_text(encoding="utf-8")
        return "<script>\n" + code.replace("</script", "<\\/script") + "\n</script>"

    page = re.sub(r'<link rel="stylesheet" href="static/([^"]+)">', css, page)
    return re.sub(r'<script src="static/([^"]+)"></script>', js, page)


def write_report_page(store: SessionStore, data: dict[str, Any], out: Path) -> Path:
    """Write the static dashboard of ``store`` with ``data`` (:func:`report_data`) to ``out``."""
    page = (STATIC_DIR / "index.html").read_text(encoding="utf-8")
    blob = json.dumps(data, allow_nan=False, separators=(",", ":")).replace("</", "<\\/")
    page = page.replace(
        '<script src="static/dashboard.js"></script>',
        f"<script>window.CHOREO_REPORT = {blob};</script>\n"
        '<script src="static/dashboard.js"></script>',
    )
    page = page.replace(
        "<title>choreo dashboard</title>", f"<title>choreo {store.path.name}</title>"
    )
    out.write_text(_inline(page), encoding="utf-8")
    return out
