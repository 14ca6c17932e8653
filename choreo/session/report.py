"""``choreo report DIR``: pictures and a short HTML page of a session.

Figures (PNG, in ``DIR/report/``):

- ``scores.png``: every trial's score, the best so far, invalid trials marked;
- ``eeg.png``: the live feedback over the session as recorded in the XDF (score,
  frontal relative alpha and theta, signal quality), trials and baseline shaded;
- ``best.png`` and ``best.gif``: the best choreography (the learner's recommendation
  after the last trial): its six joint curves against their limits with a still of the
  arm at its keyframes, and a short time-lapse of the arm, drawn by the robot package's
  render functions.

``index.html`` gathers them with the trial table; ``report.json`` holds the numbers.
"""

from __future__ import annotations

import html
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from choreo.session.recording import load_xdf_streams, stream_field
from choreo.session.starts import recorded_sources, recorded_starts
from choreo.session.store import SessionStore, write_json_atomic


@dataclass
class Report:
    """Where the report went and its headline numbers."""

    folder: Path
    figures: list[Path]
    n_scored: int
    first_third_mean: float
    last_third_mean: float
    best_trial: int | None
    best_score: float
    table: list[dict[str, Any]]
    true_first_third: float = math.nan
    true_last_third: float = math.nan
    #: Slope of a line fitted through the scores (z per trial) and, for the demo, through
    #: the trials' hidden true values; the true value of the learner's recommendation
    #: after the first and the last trial; the median true value of prior draws.
    score_slope: float = math.nan
    true_slope: float = math.nan
    recommended_first: float = math.nan
    recommended_last: float = math.nan
    prior_median: float = math.nan
    #: Earlier session directories the learner started from (their favourites first).
    started_from: list[str] = field(default_factory=list)


def _thirds(scores: list[float]) -> tuple[float, float]:
    if not scores:
        return math.nan, math.nan
    k = max(1, len(scores) // 3)
    return float(np.mean(scores[:k])), float(np.mean(scores[-k:]))


def trial_table(store: SessionStore) -> list[dict[str, Any]]:
    """One row per performed trial: n, id, status, score, windows, rejected share,
    duration, why it is invalid, whether it showed an earlier people's favourite (a
    session started from earlier sessions), and a note for people saying both."""
    starts = recorded_starts(store.meta(), str(store.path / "meta.json"))
    favourites = {v.tobytes() for v in starts} if starts is not None else set()
    rows = []
    for r in store.trials():
        try:
            favourite = bytes(r.get("vector") or []) in favourites
        except (TypeError, ValueError):  # not a list of bytes: not a favourite either
            favourite = False
        reason = r.get("reason", "")
        note = "; ".join(t for t in (reason, "earlier favourite" if favourite else "") if t)
        rows.append(
            {
                "n": r.get("n"),
                "trial": r.get("trial"),
                "status": r.get("status"),
                "score": r.get("score"),
                "n_windows": r.get("n_windows"),
                "rejected_share": r.get("rejected_share"),
                "duration_s": (r["done"] - r["started"])
                if r.get("done") and r.get("started")
                else None,
                "reason": reason,
                "earlier_favourite": favourite,
                "note": note,
            }
        )
    return rows


#: What each figure shows, under it on the page.
CAPTIONS = {
    "scores.png": "Score of every trial (z against the baseline), its trailing mean and the best"
    " so far; red lines: trials that could not be scored.",
    "eeg.png": "The live feedback as recorded: score, frontal relative alpha and theta power,"
    " signal quality; gold: the baseline block, blue: the trials.",
    "best.png": "The best choreography: the six joint curves against their limits, and the arm"
    " at its keyframes.",
    "best.gif": "The best choreography played by the arm (time-lapse).",
}

#: Trials in the trailing mean drawn beside the scores.
ROLLING = 5


def rolling_mean(values: list[float] | np.ndarray, k: int = ROLLING) -> np.ndarray:
    """Trailing mean of the last ``k`` values (fewer at the start), same length as ``values``."""
    x = np.asarray(values, dtype=np.float64)
    c = np.concatenate([[0.0], np.cumsum(x)])
    i = np.arange(1, len(x) + 1)
    lo = np.maximum(i - k, 0)
    return np.asarray((c[i] - c[lo]) / (i - lo))


def slope_per_trial(values: list[float] | np.ndarray) -> float:
    """Slope of a least-squares line through ``values`` against 0, 1, 2, ... (units per trial)."""
    y = np.asarray(values, dtype=np.float64)
    if len(y) < 2:
        return math.nan
    return float(np.polyfit(np.arange(len(y)), y, 1)[0])


def plot_scores(store: SessionStore, out: Path) -> Path:
    """Trial scores with their trailing mean and the best so far (invalid trials as red
    ticks); for the demo, a second panel with what the synthetic participant hid."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    trials = [r for r in store.trials() if r.get("status") in ("scored", "invalid")]
    evidence = _participant_evidence(store)
    rows = evidence.get("trials", [])
    if rows:
        fig, (ax, ax2) = plt.subplots(
            2, 1, figsize=(8, 7), dpi=110, sharex=True, height_ratios=[1, 1]
        )
    else:
        fig, ax = plt.subplots(figsize=(8, 4), dpi=110)
    xs, ys = [], []
    for i, r in enumerate(trials, 1):
        if r["status"] == "scored":
            xs.append(i)
            ys.append(float(r["score"]))
        else:
            ax.axvline(i, color="tab:red", alpha=0.3, lw=1)
    if ys:
        ax.plot(xs, ys, "o-", color="tab:blue", ms=4, lw=1, label="trial score")
        ax.plot(xs, rolling_mean(ys), "-", color="navy", lw=2, label=f"mean of the last {ROLLING}")
        ax.plot(xs, np.maximum.accumulate(ys), "-", color="tab:green", lw=2, label="best so far")
        k = max(1, len(ys) // 3)
        ax.hlines(np.mean(ys[:k]), xs[0], xs[k - 1], color="gray", ls="--", lw=1)
        ax.hlines(
            np.mean(ys[-k:]),
            xs[-k],
            xs[-1],
            color="gray",
            ls="--",
            lw=1,
            label=f"mean of first / last third (slope {slope_per_trial(ys):+.3f} z/trial)",
        )
    ax.axhline(0, color="black", lw=0.5)
    ax.set_ylabel("score (z against baseline)")
    ax.set_title(f"{store.path.name}: trial scores")
    ax.legend(loc="lower right", fontsize=8)
    if rows:
        _plot_participant(ax2, trials, evidence)
        ax2.set_xlabel("trial (performed)")
    else:
        ax.set_xlabel("trial (performed)")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def _plot_participant(ax: Any, trials: list[dict[str, Any]], evidence: dict[str, Any]) -> None:
    """Demo only: what the synthetic participant felt, hidden from the learner (z units)."""
    by_id = {int(r["trial"]): i for i, r in enumerate(trials, 1)}
    rows = sorted(
        (by_id[int(w["trial"])], w) for w in evidence["trials"] if int(w["trial"]) in by_id
    )
    if not rows:
        return
    x = [i for i, _ in rows]

    def col(key: str) -> np.ndarray:
        return np.array([_num(w.get(key)) for _, w in rows])

    true = col("true_value")
    ax.plot(x, true, "s:", color="tab:orange", ms=3, lw=1, label="true value of the trial")
    ax.plot(
        x, rolling_mean(true), "-", color="tab:orange", lw=2, label=f"its mean of last {ROLLING}"
    )
    rec = col("recommended_true_value")
    if np.isfinite(rec).any():
        ax.plot(
            x,
            rec,
            "-",
            color="tab:green",
            lw=2,
            drawstyle="steps-post",
            label="true value of the learner's recommendation",
        )
    ax.plot(
        x,
        col("response_z"),
        ".",
        color="gray",
        ms=5,
        label="response (true - habituation + drift + noise)",
    )
    hab = col("habituation_z")
    if np.isfinite(hab).any():
        ax.bar(x, -hab, width=0.6, color="tab:red", alpha=0.3, label="habituation cost")
    prior = evidence.get("prior") or {}
    if "median" in prior:
        ax.axhline(
            prior["median"],
            color="black",
            ls="--",
            lw=1,
            label=f"median of {prior.get('n', '?')} prior draws",
        )
        ax.axhline(prior["max"], color="black", ls=":", lw=1, label="best of the prior draws")
    ax.axhline(0, color="black", lw=0.5)
    ax.set_ylabel("participant (z, hidden)")
    ax.set_title("synthetic participant (demo): what the learner does not see", fontsize=10)
    ax.legend(loc="lower left", fontsize=7, ncol=2)


def _num(v: Any) -> float:
    return float(v) if isinstance(v, int | float) else math.nan


def _participant_evidence(store: SessionStore) -> dict[str, Any]:
    """What the demo's synthetic participant wrote (``participant.json``), or ``{}``.

    ``{"trials": [{trial, response_z, true_value, habituation_z, relaxation,
    recommended_true_value}], "prior": {n, median, p90, max}}``; older demos wrote the
    list of trials only.
    """
    import json

    f = store.path / "participant.json"
    if not f.is_file():
        return {}
    try:
        data = json.loads(f.read_text())
    except ValueError:
        return {}
    if isinstance(data, list):
        data = {"trials": data}
    if not isinstance(data, dict) or not isinstance(data.get("trials"), list):
        return {}
    data["trials"] = [w for w in data["trials"] if isinstance(w, dict) and "trial" in w]
    return data


def _participant_truth(store: SessionStore) -> dict[int, float]:
    """{trial id: hidden true value} written by the demo's synthetic participant, if any."""
    try:
        return {
            int(w["trial"]): float(w["true_value"])
            for w in _participant_evidence(store).get("trials", [])
        }
    except (ValueError, KeyError, TypeError):
        return {}


def _feedback_series(store: SessionStore) -> list[dict[str, Any]]:
    """The recorded feedback stream of every run (type Feedback, the run's source id)."""
    runs = [r for r in store.records() if r.get("kind") == "run" and r.get("part")]
    out = []
    for run in runs:
        part = store.path / "recordings" / run["part"]
        if not part.is_file():
            continue
        try:
            streams = load_xdf_streams(part)
        except Exception:  # a torn file still gives the other parts
            continue
        want = (run.get("feedback") or {}).get("source_id")
        for s in streams:
            if (
                stream_field(s, "type") == "Feedback"
                and (not want or stream_field(s, "source_id") == want)
                and len(s["time_stamps"])
            ):
                out.append(
                    {
                        "t": np.asarray(s["time_stamps"]),
                        "x": np.asarray(s["time_series"], dtype=float),
                    }
                )
    return out


def plot_eeg(store: SessionStore, out: Path) -> Path:
    """Feedback score, relative alpha/theta and quality over time, trials shaded."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = _feedback_series(store)
    records = store.records()
    t0 = min((float(s["t"][0]) for s in series), default=0.0)
    fig, axes = plt.subplots(3, 1, figsize=(9, 6.5), dpi=110, sharex=True)
    for s in series:
        t = s["t"] - t0
        x = s["x"]
        axes[0].plot(t, x[:, 0], color="tab:blue", lw=0.8)
        axes[1].plot(t, x[:, 1], color="tab:orange", lw=0.8, label="alpha")
        axes[1].plot(t, x[:, 2], color="tab:purple", lw=0.8, label="theta")
        axes[2].plot(t, x[:, 3], color="tab:green", lw=0.8, label="quality")
        rej = x[:, 4] < 0.5
        axes[2].plot(
            t[rej], np.zeros(int(rej.sum())), "|", color="tab:red", ms=6, label="rejected window"
        )
    for r in records:
        if r.get("kind") == "baseline":
            for ax in axes:
                ax.axvspan(r["start"] - t0, r["end"] - t0, color="gold", alpha=0.25, lw=0)
        if r.get("kind") == "trial" and r.get("started") and r.get("done"):
            color = "tab:blue" if r.get("status") == "scored" else "tab:red"
            for ax in axes:
                ax.axvspan(r["started"] - t0, r["done"] - t0, color=color, alpha=0.08, lw=0)
    axes[0].set_ylabel("score (z)")
    axes[1].set_ylabel("relative power")
    axes[2].set_ylabel("quality")
    axes[2].set_xlabel("time since recording start (s); gold: baseline, blue: trials")
    handles, labels = axes[1].get_legend_handles_labels()
    if handles:
        axes[1].legend(handles[:2], labels[:2], fontsize=8, loc="upper right")
    if not series:
        axes[0].text(
            0.5, 0.5, "no feedback stream recorded", transform=axes[0].transAxes, ha="center"
        )
    axes[0].set_title(f"{store.path.name}: live feedback (from the XDF)")
    fig.tight_layout()
    fig.savefig(out)
    plt.close(fig)
    return out


def best_vector(store: SessionStore) -> tuple[np.ndarray | None, int | None, float]:
    """The learner's recommendation after the last trial, its trial number and score."""
    scored = store.scored_trials()
    if not scored:
        return None, None, math.nan
    vector: np.ndarray | None = None
    last = store.last_checkpoint()
    if last is not None:
        try:
            from choreo.learning.learner import Learner

            learner = Learner.load(last, checkpoint=store.settings().learner.checkpoint)
            vector = np.asarray(learner.recommend(), dtype=np.uint8)
        except Exception:  # fall back to the best observed score
            vector = None
    if vector is not None:
        for r in scored:
            if r["vector"] == vector.tolist():
                return vector, int(r["n"]), float(r["score"])
    best = max(scored, key=lambda r: float(r["score"]))
    return np.asarray(best["vector"], dtype=np.uint8), int(best["n"]), float(best["score"])


def plot_best(vector: np.ndarray, folder: Path, gif: bool = True) -> list[Path]:
    """The best choreography drawn by the robot package: joint curves against the limits
    with a still of the arm at its keyframes (PNG), and a short time-lapse (GIF)."""
    from choreo.robot.render import render_choreography

    out = [render_choreography(vector, folder / "best.png").path]
    if gif:
        out.append(
            render_choreography(vector, folder / "best.gif", fps=6, seconds=5.0, dpi=60).path
        )
    return out


def make_report(path: str | os.PathLike[str], gif: bool = True) -> Report:
    """Write the report of the session in ``path`` (figures, index.html, report.json)."""
    store = SessionStore.open(path)
    folder = store.report_dir
    folder.mkdir(exist_ok=True)
    figures = [plot_scores(store, folder / "scores.png"), plot_eeg(store, folder / "eeg.png")]
    vector, best_n, best_score = best_vector(store)
    notes: list[str] = []
    if vector is not None:
        try:
            figures += plot_best(vector, folder, gif)
        except Exception as exc:  # the robot drawings are a bonus, never lose the rest
            notes.append(f"robot figures not drawn: {type(exc).__name__}: {exc}")
    scores = [float(r["score"]) for r in store.scored_trials()]
    first, last = _thirds(scores)
    truth = _participant_truth(store)
    true_scored = [
        truth[int(r["trial"])] for r in store.scored_trials() if int(r["trial"]) in truth
    ]
    true_first, true_last = _thirds(true_scored)
    evidence = _participant_evidence(store)
    scored_ids = {int(r["trial"]) for r in store.scored_trials()}
    recommended = [
        _num(w.get("recommended_true_value"))
        for w in evidence.get("trials", [])
        if int(w["trial"]) in scored_ids
    ]
    recommended = [v for v in recommended if math.isfinite(v)]
    table = trial_table(store)
    report = Report(
        folder,
        figures,
        len(scores),
        first,
        last,
        best_n,
        best_score,
        table,
        true_first,
        true_last,
        score_slope=slope_per_trial(scores),
        true_slope=slope_per_trial(true_scored) if true_scored else math.nan,
        recommended_first=recommended[0] if recommended else math.nan,
        recommended_last=recommended[-1] if recommended else math.nan,
        prior_median=_num((evidence.get("prior") or {}).get("median")),
        started_from=recorded_sources(store.meta()),
    )
    write_json_atomic(
        folder / "report.json",
        {
            "session": store.path.name,
            "n_scored": len(scores),
            "scores": scores,
            "first_third_mean": first,
            "last_third_mean": last,
            "score_slope_per_trial": _finite(report.score_slope),
            "rolling_mean": rolling_mean(scores).tolist() if scores else [],
            "best_trial": best_n,
            "best_score": best_score,
            "best_vector": vector.tolist() if vector is not None else None,
            "participant_true_values": true_scored or None,
            "participant_true_first_third": true_first if true_scored else None,
            "participant_true_last_third": true_last if true_scored else None,
            "participant_true_slope_per_trial": _finite(report.true_slope),
            "participant_recommended_true_values": recommended or None,
            "participant_prior": evidence.get("prior"),
            "started_from": report.started_from,
            "trials": table,
            "notes": notes,
        },
    )
    from choreo.dashboard.report_page import report_data, write_report_page

    data = report_data(store, table, (vector, best_n, best_score))
    write_report_page(store, data, folder / "dashboard.html")
    _write_html(store, report, notes)
    return report


def _finite(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _cell(v: Any) -> str:
    if v is None:
        return ""
    return f"{v:+.3f}" if isinstance(v, float) else str(v)


def _truth_paragraph(report: Report) -> str:
    if not math.isfinite(report.true_first_third):
        return ""
    text = (
        "Demo: the synthetic participant's hidden true value of the trials, first third "
        f"{report.true_first_third:+.2f}, last third {report.true_last_third:+.2f} "
        f"({_cell(_finite(report.true_slope))} per trial)"
    )
    if math.isfinite(report.recommended_first):
        text += (
            "; of the learner's recommendation, after the first trial "
            f"{report.recommended_first:+.2f}, after the last {report.recommended_last:+.2f}"
        )
    if math.isfinite(report.prior_median):
        text += f"; median of choreographies drawn from the prior {report.prior_median:+.2f}"
    return f"<p>{html.escape(text)} (participant z units).</p>"


def _started_from_paragraph(report: Report) -> str:
    if not report.started_from:
        return ""
    shown = [str(r["n"]) for r in report.table if r["earlier_favourite"]]
    text = (
        f"The learner started from {len(report.started_from)} earlier session(s) "
        f"({', '.join(report.started_from)}): trial(s) {', '.join(shown) or 'none'} "
        "showed the favourites of those sessions' people."
    )
    return f"<p>{html.escape(text)}</p>"


def _write_html(store: SessionStore, report: Report, notes: list[str]) -> None:
    rows = "\n".join(
        "<tr>"
        + "".join(
            f"<td>{html.escape(_cell(v))}</td>"
            for v in (
                r["n"],
                r["trial"],
                r["status"],
                r["score"],
                r["n_windows"],
                r["rejected_share"],
                r["note"],
            )
        )
        + "</tr>"
        for r in report.table
    )
    imgs = "\n".join(
        f'<figure><img src="{p.name}" alt="{p.stem}">'
        f"<figcaption>{html.escape(CAPTIONS.get(p.name, p.stem))}</figcaption></figure>"
        for p in report.figures
        if p.suffix != ".html"
    )
    meta = store.meta()
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>choreo session {html.escape(store.path.name)}</title>
<style>body{{font-family:sans-serif;max-width:1000px;margin:2em auto}} img{{max-width:100%}}
table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 6px;font-size:90%}}</style></head>
<body>
<h1>choreo session {html.escape(store.path.name)}</h1>
<p><a href="dashboard.html">The session's dashboard: interactive plots, the arm, all trials,
the seeds.</a></p>
<p>{report.n_scored} scored trials; mean score of the first third {report.first_third_mean:+.2f} z,
of the last third {report.last_third_mean:+.2f} z; best choreography: trial {report.best_trial}
({report.best_score:+.2f} z); a line through the scores rises
{_cell(_finite(report.score_slope))} z per trial.</p>
{_truth_paragraph(report)}
{_started_from_paragraph(report)}
<p>choreo {html.escape(str(meta.get("versions", {}).get("choreo", "?")))}; seeds:
{html.escape(", ".join(f"{k} {v}" for k, v in (meta.get("seeds") or {}).items()) or "none")}.</p>
{"".join(f"<p><em>{html.escape(n)}</em></p>" for n in notes)}
{imgs}
<h2>Trials</h2>
<table><tr><th>n</th><th>id</th><th>status</th><th>score (z)</th><th>windows</th>
<th>rejected share</th><th>note</th></tr>
{rows}
</table>
</body></html>
"""
    (report.folder / "index.html").write_text(page, encoding="utf-8")
