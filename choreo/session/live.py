"""The live closed loop: EEG in, choreographies out, the learner in between.

This module is the trial state machine. What it drives lives elsewhere: the headset's
side in :mod:`choreo.session.eeg_link`, the robot's in :mod:`choreo.session.bridge_link`,
the learner in :mod:`choreo.learning` (built by :mod:`choreo.session.learner_setup`);
:mod:`choreo.session.links` names what it calls of each.

One thread drives everything, so the order of events is the order of the log:

1. connect: resolve the EEG stream (LSL), find the bridge (OSC) or start one on the
   simulator when none answers (and say so), open the marker stream, start LabRecorder
   on EEG + markers (+ the feedback and motion streams), *then* open the session's own
   EEG inlet, so that every sample the session scores is in the XDF;
2. stream check (rate, drops, clock, labels: into meta.json), then the signal check:
   per-channel quality until every frontal channel is good for a while (or the timeout,
   then continue or abort as configured);
3. baseline block: the pipeline's baseline from its windows in that block;
4. trials: the learner proposes, the bridge plays, the feedback samples whose windows
   end between ``/choreo/started`` and ``/choreo/done`` make the trial score, the learner
   updates, a checkpoint is written, the record appended (fsynced); then the rest.

Faults: EEG lost during a trial -> the trial is invalid (not scored) and replayed once
the stream is back; bridge silent -> the trial is invalid, the session waits for the
bridge; a rejected choreography is logged and another proposed. Ctrl-C: robot home,
end marker, recording closed; the learner's checkpoint is already on disk after every
trial, so ``--resume`` continues from the last complete trial.
"""

from __future__ import annotations

import math
import os
import platform
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pylsl

from choreo.dashboard.control import SKIPPED, hold_while_paused, skip_requested
from choreo.errors import ChoreoError, InputError, StreamError
from choreo.provenance import file_sha256, versions
from choreo.robot.osc_protocol import ABORTED, DONE, FAULT, REJECTED, STARTED
from choreo.session import scoring
from choreo.session.bridge_link import BridgeLink
from choreo.session.eeg_link import EegLink
from choreo.session.learner_setup import build_learner
from choreo.session.links import EegFeed, RobotLink, SessionLearner
from choreo.session.markers import MarkerOutlet
from choreo.session.recording import XdfRecording
from choreo.session.settings import SessionSettings
from choreo.session.store import SessionStore, fsync_path
from choreo.ui.session_view import SessionStatus, SessionView

#: The baseline block is extended at most this many times its length when too noisy.
MAX_BASELINE_EXTENSIONS = 4
#: Rejection reasons that say "not now" rather than "not this choreography".
TRANSIENT_REJECTIONS = ("busy", "stop latched", "fault", "not_ready", "not ready")


@dataclass
class SessionHooks:
    """Calls into whoever stands in for the person (the demo's synthetic participant)."""

    #: Called when ``/choreo/started`` arrives, with the trial id and the vector.
    on_trial_start: Callable[[int, np.ndarray], None] | None = None
    #: Called when ``/choreo/done`` arrives (or the trial ends otherwise).
    on_trial_end: Callable[[int], None] | None = None
    #: Called after each record is appended (tests use it to kill at chosen points).
    on_record: Callable[[dict[str, Any]], None] | None = None


@dataclass
class SessionResult:
    """What a finished (or stopped) session leaves."""

    path: Path
    n_scored: int
    n_invalid: int
    n_rejected: int
    stopped: str
    duration_s: float
    scores: list[float] = field(default_factory=list)


class TrialInvalid(Exception):
    """A trial that cannot be scored (EEG lost, bridge silent); carries the reason."""


class LiveSession:
    """One run of a session (a new one, or a resumed one) in a :class:`SessionStore`.

    Parameters
    ----------
    settings
        The session settings (on resume: those kept in the directory).
    store
        The session directory.
    hooks
        Optional callbacks (the demo's participant).
    view
        Draws progress; created from ``settings.view`` when not given.
    eeg, robot
        The person's and the robot's side (:class:`~choreo.session.links.EegFeed`,
        :class:`~choreo.session.links.RobotLink`); by default the headset over LSL
        (:class:`EegLink`) and the bridge over OSC (:class:`BridgeLink`).
    feed
        The dashboard's feed: the view's values go there too, its commands come back.
    """

    def __init__(
        self,
        settings: SessionSettings,
        store: SessionStore,
        hooks: SessionHooks | None = None,
        view: SessionView | None = None,
        eeg: EegFeed | None = None,
        robot: RobotLink | None = None,
        feed: Any = None,
    ) -> None:
        self.settings = settings
        #: The dashboard's :class:`choreo.dashboard.state.DashboardFeed` (None: no dashboard).
        self.feed = feed
        self.store = store
        self.hooks = hooks or SessionHooks()
        self.status = SessionStatus(session=store.path.name, n_trials=settings.trials.count)
        self.view = view or SessionView(self.status, enabled=settings.view)
        self.view.status = self.status
        self.records = store.records()
        self.eeg: EegFeed = eeg if eeg is not None else EegLink(settings, self._append)
        self.robot: RobotLink = robot if robot is not None else BridgeLink(settings.bridge)
        self.learner: SessionLearner | None = None
        self.markers: MarkerOutlet | None = None
        self.recording: XdfRecording | None = None

    @property
    def samples(self) -> list[Any]:
        """Every feedback sample of this run (see :class:`EegLink`)."""
        return self.eeg.samples

    # ================================================================ top level
    def run(self) -> SessionResult:
        """Run until the trial count is reached, Ctrl-C, or a fault that cannot wait."""
        t0 = time.monotonic()
        stopped = "completed"
        with self.view:
            try:
                self._connect()
                self._check_stream()
                if not any(r.get("kind") == "baseline" for r in self.records):
                    self._check_quality()
                    self._baseline()
                self._settle()
                self._trials(self._make_learner())
            except KeyboardInterrupt as exc:  # Ctrl-C, or Stop on the dashboard
                stopped = getattr(exc, "reason", "interrupted")
                self.view.say(f"{stopped}: homing the robot and closing the recording")
            except ChoreoError as exc:
                stopped = f"error: {exc}"
                self.view.say(f"[red]stopping: {exc}[/red]")
                raise
            except BaseException as exc:
                stopped = f"crash: {type(exc).__name__}: {exc}"
                raise
            finally:
                self._shutdown(stopped)
        scored = [r for r in self.store.trials() if r.get("status") == "scored"]
        return SessionResult(
            path=self.store.path,
            n_scored=len(scored),
            n_invalid=sum(r.get("status") == "invalid" for r in self.store.trials()),
            n_rejected=sum(r.get("status") == "rejected" for r in self.store.trials()),
            stopped=stopped,
            duration_s=time.monotonic() - t0,
            scores=[float(r["score"]) for r in scored],
        )

    def _append(self, record: dict[str, Any]) -> None:
        record.setdefault("wall", time.time())
        self.store.append(record)
        self.records.append(record)
        if self.hooks.on_record is not None:
            self.hooks.on_record(record)

    # ================================================================ connect
    def _connect(self) -> None:
        s = self.settings
        self.status.phase = "connecting"
        self.status.eeg = self.eeg.resolve()
        self.status.backend = self.robot.connect()
        self.view.say(
            f"no bridge answered at {s.bridge.host}:{s.bridge.port}: started one on the simulator"
            if self.robot.started_here
            else f"bridge answers at {s.bridge.host}:{s.bridge.port}"
        )
        # Unique on the network: two sessions started in the same second (two studios on
        # one LAN, parallel test runs) would otherwise record each other's markers.
        run_tag = (
            f"{self.store.path.name}-{len(self.store.recording_paths()) + 1}-"
            f"{secrets.token_hex(3)}"
        )
        self.markers = MarkerOutlet(
            f"choreo-markers-{self.store.path.name}", f"choreo-markers-{run_tag}"
        )
        for line in self.eeg.open_outputs(self.store.path.name, run_tag):
            self.view.say(line)
        if s.recording.enabled:
            selectors = self.eeg.selectors()
            selectors.insert(1, self.markers.selector)
            self.recording = XdfRecording(
                self.store.new_recording_path(), selectors, s.recording.start_timeout_s
            )
            self.recording.start()
            self.view.say(f"recording {len(selectors)} streams to {self.recording.path}")
        # The inlet opens after LabRecorder's, so every sample scored live is in the XDF.
        base = next((r for r in self.records if r.get("kind") == "baseline"), None)
        self.eeg.open(base["baseline"] if base is not None else None)
        if base is not None:  # resume: the first run's baseline, before any sample is pushed
            self.view.say("resumed: baseline restored from the first run")
        self.status.channels = tuple(self.eeg.info.ch_names)
        fields = self.eeg.run_fields()
        run = {
            "kind": "run",
            "part": self.recording.path.name if self.recording else None,
            "first_sample_t": fields.pop("first_sample_t"),
            "clock": fields.pop("clock"),
            "eeg": fields.pop("eeg"),
            "markers": self.markers.selector,
            **fields,
            "bridge": {
                "host": s.bridge.host,
                "port": s.bridge.port,
                "started_here": self.robot.started_here,
            },
            "resumed": any(r.get("kind") == "run" for r in self.records),
        }
        self._append(run)
        self.view.say(self.eeg.describe_clock())
        self.markers.push("run_start", part=run["part"])

    # ================================================================ EEG pump
    def _pump(self, timeout: float) -> int:
        """Read what EEG arrived (waiting up to ``timeout`` s), score it, publish it."""
        new = self.eeg.pump(timeout)
        if new:
            last = new[-1]
            self.status.score = float(last.score)
            self.status.rel_alpha = float(last.rel_alpha)
            self.status.rel_theta = float(last.rel_theta)
        if self.eeg.pipeline is not None:
            self.status.quality = self.eeg.quality()
        for line in self.eeg.pop_jumps():
            self.view.say(f"[yellow]{line}[/yellow]")
        self.robot.heartbeat()
        self.view.refresh()
        if self.feed is not None:
            self.feed.publish_session(self, new)
            self.feed.check_stop()
        return len(new)

    def _wait_for_eeg(self) -> None:
        """Wait for a lost EEG stream to come back (the session says so)."""
        limit = self.settings.eeg.wait_for_return_s
        self.status.phase = "paused"
        self.status.message = "EEG stream lost: waiting for it to return"
        self.view.say("[yellow]EEG stream lost: waiting for it to return[/yellow]")
        t0 = time.monotonic()
        self._append({"kind": "pause", "reason": "eeg_lost", "t": pylsl.local_clock()})
        while self.eeg.lost or self.eeg.connecting:
            if time.monotonic() - t0 > limit:
                raise StreamError(f"EEG stream lost for more than {limit:g} s: session stopped")
            self._pump(0.2)
        back = pylsl.local_clock()
        self._append({"kind": "resume", "reason": "eeg_back", "t": back})
        self.view.say("EEG stream is back")
        self.status.message = "EEG back: waiting for a full window"
        self._settle(after=back)
        self.status.message = ""

    # ================================================================ quality, baseline
    def _check_stream(self) -> None:
        """The stream's diagnosis (as ``choreo streams --check``) into meta.json and the log."""
        need = self.settings.eeg.check_s
        self.status.phase = "stream check"
        self.status.message = f"rate, drops, clock and labels over {need:g} s"
        while self.eeg.observer.seconds < need:
            self._pump(0.1)
            if self.eeg.lost:
                self._wait_for_eeg()
            self.status.progress = min(1.0, self.eeg.observer.seconds / need)
        diag = self.eeg.observer.diagnosis()
        self._append({"kind": "stream_check", **diag.as_dict()})
        self.store.update_meta(stream_check=diag.as_dict())
        colour = {"ok": "green", "warn": "yellow", "fail": "red"}[diag.verdict]
        self.view.say(f"[{colour}]{diag.summary()}[/{colour}]")
        for f in diag.problems():
            if f.advice:
                self.view.say(f"  {f.item}: {f.advice}")

    def _check_quality(self) -> None:
        q = self.settings.quality
        if not q.check:
            return
        self.status.phase = "signal check"
        self.status.message = f"every frontal channel {q.required} for {q.hold_s:g} s"
        frontal = list(self.eeg.pipeline.frontal)
        ok_since: float | None = None
        t0 = time.monotonic()
        rank = {"good": 2, "medium": 1, "bad": 0}
        need = rank[q.required]
        while True:
            self._pump(0.1)
            quality = self.eeg.pipeline.channel_quality()
            good = bool(quality) and all(rank.get(quality[i], 0) >= need for i in frontal)
            now = time.monotonic()
            ok_since = (ok_since or now) if good else None
            held = now - ok_since if ok_since is not None else 0.0
            self.status.progress = min(1.0, held / q.hold_s) if q.hold_s > 0 else 1.0
            if good and held >= q.hold_s:
                self.view.say("signal check passed")
                self._append({"kind": "quality", "passed": True, "quality": list(quality)})
                return
            if now - t0 > q.timeout_s:
                self._append({"kind": "quality", "passed": False, "quality": list(quality)})
                if q.on_timeout == "abort":
                    seen = dict(zip(self.status.channels, quality, strict=False))
                    raise StreamError(
                        f"signal check: frontal channels not {q.required} within "
                        f"{q.timeout_s:g} s ({seen}); refit the headset "
                        'or set [quality] on_timeout = "continue"'
                    )
                self.view.say("[yellow]signal check timed out: continuing anyway[/yellow]")
                return

    def _baseline(self) -> None:
        dur = self.settings.baseline.duration_s
        self.status.phase = "baseline"
        self.status.message = f"sit still and relax for {dur:g} s"
        self.robot.home()
        self.view.say(f"baseline block: {dur:g} s")
        start = pylsl.local_clock()
        end = start + dur
        assert self.markers is not None
        self.markers.push("baseline_start", start)
        while True:
            self._pump(0.1)
            if self.eeg.lost:
                self._wait_for_eeg()
                self.view.say("restarting the baseline block")
                start = pylsl.local_clock()
                end = start + dur
            self.status.progress = (pylsl.local_clock() - start) / (end - start)
            if not self.eeg.samples or self.eeg.samples[-1].t < end:
                continue
            try:
                baseline = scoring.calibrate(self.eeg.pipeline, start, end)
                break
            except InputError as exc:
                # Too many artefacts (blinks, movement): sit still a little longer.
                if end - start >= MAX_BASELINE_EXTENSIONS * dur:
                    raise StreamError(
                        f"baseline block: {exc}; check that the headset sits well"
                    ) from None
                end += dur
                self.view.say(f"[yellow]baseline: {exc}; extending it by {dur:g} s[/yellow]")
        self.markers.push("baseline_end", end)
        # The replay calibrates after the same window, so the pipelines stay identical.
        self._append(
            {
                "kind": "baseline",
                "start": start,
                "end": end,
                "baseline": baseline,
                "after_t": self.eeg.samples[-1].t,
            }
        )

    def _settle(self, after: float = -math.inf) -> None:
        """Wait until the pipeline scores again: a full window (2 s by default) after the
        first sample of a resumed run, or after the EEG came back from a gap (the band
        power starts a new segment there)."""
        deadline = time.monotonic() + self.settings.eeg.resolve_timeout_s + 5.0
        while not (
            self.eeg.samples
            and self.eeg.samples[-1].t > after
            and math.isfinite(self.eeg.samples[-1].score)
        ):
            if time.monotonic() > deadline:
                break  # the trials will be invalid and say why
            self._pump(0.1)
            if self.eeg.lost:
                self._wait_for_eeg()

    # ================================================================ learner
    def _make_learner(self) -> SessionLearner:
        from choreo.learning.learner import Learner

        ls = self.settings.learner
        ckpt = self.store.last_checkpoint()
        learner: SessionLearner
        if ckpt is not None:
            learner = Learner.load(ckpt, checkpoint=ls.checkpoint)
            self.view.say(
                f"resumed the learner from {ckpt.name} ({learner.n_observations} scores)"
            )
        else:
            learner = build_learner(self.store)
        self.learner = learner
        return learner

    def _save_learner(self, learner: SessionLearner, trial_id: int) -> str:
        path = self.store.checkpoint_path(trial_id)
        learner.save(path)
        fsync_path(path)
        return path.name

    # ================================================================ trials
    def _trials(self, learner: SessionLearner) -> None:
        s = self.settings.trials
        trials = [r for r in self.records if r.get("kind") == "trial"]
        next_id = max((int(r["trial"]) for r in trials), default=0) + 1
        n_scored = sum(r.get("status") == "scored" for r in trials)
        retry: np.ndarray | None = None
        if trials and trials[-1].get("status") == "invalid":
            retry = np.asarray(trials[-1]["vector"], dtype=np.uint8)
        self.status.scores = [
            r["score"] if r.get("status") == "scored" else None
            for r in trials
            if r.get("status") != "rejected"
        ]
        self._update_best()
        rejections = 0
        invalid_run = 0
        while n_scored < s.count:
            trial_id = next_id
            next_id += 1
            self.status.trial = n_scored + 1
            if retry is None:
                vector = np.asarray(learner.propose(), dtype=np.uint8)
                proposed = True
            else:
                vector, proposed = retry, False
            record: dict[str, Any] = {
                "kind": "trial",
                "trial": trial_id,
                "n": n_scored + 1,
                "vector": vector.tolist(),
                "proposed": proposed,
            }
            hold_while_paused(self, self.feed)
            outcome = self._perform(trial_id, vector, record)
            if outcome == "rejected":
                rejections += 1
                learner.reject(vector)  # never propose it again (see ARCHITECTURE.md)
                record["checkpoint"] = self._save_learner(learner, trial_id)
                self._append(record)
                if rejections >= s.max_rejections:
                    raise StreamError(
                        f"{rejections} choreographies in a row rejected by the bridge: "
                        "session stopped"
                    )
                continue
            rejections = 0
            if outcome == "scored":
                learner.update(vector, record["score"])
                record["checkpoint"] = self._save_learner(learner, trial_id)
                assert self.markers is not None
                self.markers.push(
                    "trial_score",
                    trial=trial_id,
                    score=record["score"],
                    n_windows=record["n_windows"],
                )
                self._append(record)
                n_scored += 1
                retry = None
                invalid_run = 0
                self.status.scores.append(record["score"])
                self._update_best()
                self.view.say(
                    f"trial {n_scored} (id {trial_id}): score {record['score']:+.2f} z "
                    f"({record['n_windows']} windows)"
                )
            else:  # invalid: perform the same choreography again once things are back
                invalid_run += 1
                record["checkpoint"] = self._save_learner(learner, trial_id)
                self._append(record)
                self.status.scores.append(None)
                retry = vector
                self.view.say(f"[yellow]trial {trial_id} invalid: {record['reason']}[/yellow]")
                if invalid_run >= s.max_invalid:
                    raise StreamError(
                        f"{invalid_run} trials in a row could not be scored (last: "
                        f"{record['reason']}): check the headset and the bridge, then --resume"
                    )
                if record.get("cause") == "eeg_lost":
                    self._wait_for_eeg()
                elif record.get("cause") == "bridge_silent":
                    self._wait_for_bridge()
            if n_scored < s.count:
                self._rest(s.rest_s)

    def _update_best(self) -> None:
        """The learner's recommendation, for the view (the trial, its score, its shape)."""
        if self.learner is None or not self.learner.n_observations:
            return
        best = self.learner.recommend()
        for r in self.records:
            if r.get("status") == "scored" and r["vector"] == best.tolist():
                if self.status.best_trial != int(r["n"]):
                    self.status.best_note = _describe(best)
                self.status.best_trial = int(r["n"])
                self.status.best_score = float(r["score"])

    def _rest(self, seconds: float) -> None:
        self.status.phase = "rest"
        self.status.message = f"{seconds:g} s"
        t0 = time.monotonic()
        while time.monotonic() - t0 < seconds:
            self._pump(min(0.1, seconds))
            self.status.progress = (time.monotonic() - t0) / seconds if seconds else 1.0

    def _perform(self, trial_id: int, vector: np.ndarray, record: dict[str, Any]) -> str:
        """Play one choreography and score it; fill ``record``; return scored/invalid/rejected."""
        s = self.settings
        assert self.markers is not None
        self.status.phase = "trial"
        self.status.message = f"id {trial_id}"
        self.status.progress = 0.0
        expected = self._expected_duration(vector)
        # A fault reported before this play is about an earlier performance.
        self.robot.drain(FAULT)
        self.robot.play(trial_id, vector)
        # ---- wait for started (or rejected)
        t_play = time.monotonic()
        started: float | None = None
        while started is None:
            self._pump(0.02)
            rej = self.robot.take(REJECTED, trial_id)
            if rej is not None:
                reason = str(rej.args[1]) if len(rej.args) > 1 else "no reason given"
                if reason.startswith(TRANSIENT_REJECTIONS):
                    # Not about this choreography: the robot is still moving, or latched.
                    if not reason.startswith("busy"):
                        self.robot.reset()
                    self._pump(0.3)
                    if time.monotonic() - t_play > s.trials.start_timeout_s:
                        record.update(
                            status="invalid", cause="bridge_busy", reason=f"bridge: {reason}"
                        )
                        return "invalid"
                    self.robot.play(trial_id, vector)
                    continue
                record.update(status="rejected", reason=reason)
                self.markers.push("trial_rejected", trial=trial_id, reason=reason)
                self.view.say(
                    f"[yellow]choreography {trial_id} rejected by the bridge: {reason}[/yellow]"
                )
                return "rejected"
            got = self.robot.take(STARTED, trial_id)
            if got is not None:
                started = float(got.args[1])
            elif time.monotonic() - t_play > s.trials.start_timeout_s:
                record.update(
                    status="invalid",
                    cause="bridge_silent",
                    reason="the bridge did not start the choreography",
                )
                return "invalid"
        record["started"] = started
        self.markers.push("trial_start", started, trial=trial_id, vector=record["vector"])
        if self.hooks.on_trial_start is not None:
            self.hooks.on_trial_start(trial_id, vector)
        try:
            done = self._follow(trial_id, started, expected)
        except TrialInvalid as exc:
            cause, reason = exc.args
            record.update(status="invalid", cause=cause, reason=reason)
            self.markers.push("trial_invalid", trial=trial_id, reason=reason)
            if cause == "eeg_lost":
                self.robot.stop()
                self.robot.reset()
            if cause == "skipped":  # unscored and never proposed again; from home on
                self.view.say(f"trial {trial_id} {SKIPPED}: robot home, not scored")
                self._go_home()
                record["status"] = "rejected"
                return "rejected"
            return "invalid"
        finally:
            if self.hooks.on_trial_end is not None:
                self.hooks.on_trial_end(trial_id)
        record["done"] = done
        self.markers.push("trial_end", done, trial=trial_id)
        # Windows end up to one hop after ``done``: wait until the pipeline has passed it.
        deadline = time.monotonic() + s.eeg.lost_after_s + 1.0
        while not self.eeg.samples or self.eeg.samples[-1].t < done:
            if time.monotonic() > deadline or self.eeg.lost:
                record.update(
                    status="invalid",
                    cause="eeg_lost",
                    reason="EEG stream lost at the end of the trial",
                )
                return "invalid"
            self._pump(0.05)
        out = scoring.score_trial(
            self.eeg.pipeline,
            self.eeg.samples,
            started,
            done,
            s.trials.min_windows,
            s.trials.settle_s,
        )
        record.update(
            score=out.score,
            rejected_share=out.rejected_share,
            n_windows=out.n_windows,
            window_t=list(out.window_t) if out.window_t else None,
        )
        if not out.valid:
            record.update(status="invalid", cause="artefacts", reason=out.reason)
            return "invalid"
        record["status"] = "scored"
        return "scored"

    def _follow(self, trial_id: int, started: float, expected: float) -> float:
        """Pump EEG until ``/choreo/done``; raise :class:`TrialInvalid` on a fault."""
        b = self.settings.bridge
        t0 = time.monotonic()
        while True:
            self._pump(0.02)
            got = self.robot.take(DONE, trial_id)
            if got is not None:
                return float(got.args[1])
            bad = self.robot.take((ABORTED, FAULT), trial_id)
            if bad is not None:
                reason = str(bad.args[1] if bad.address == ABORTED else bad.args[0])
                self.robot.reset()
                raise TrialInvalid("bridge_fault", f"the bridge stopped the performance: {reason}")
            now = time.monotonic()
            self.status.progress = (now - t0) / expected if expected > 0 else 0.0
            if self.eeg.lost:
                raise TrialInvalid("eeg_lost", "EEG stream lost during the trial")
            if skip_requested(self.feed):
                raise TrialInvalid("skipped", SKIPPED)
            if now - t0 > b.silent_after_s and self.robot.state_age() > b.silent_after_s:
                raise TrialInvalid(
                    "bridge_silent", f"no state from the bridge for {b.silent_after_s:g} s"
                )
            if now - t0 > self.settings.trials.done_timeout_s:
                raise TrialInvalid(
                    "bridge_silent", "the bridge did not finish the choreography in time"
                )

    def _expected_duration(self, vector: np.ndarray) -> float:
        try:
            from choreo.robot.config import load_robot_config
            from choreo.robot.trajectory import plan_choreography

            plan = plan_choreography(vector, load_robot_config())
            return float(plan.duration) / self.robot.sim_speed
        except Exception:  # progress display only
            return math.nan

    def _wait_for_bridge(self) -> None:
        b = self.settings.bridge
        self.status.phase = "paused"
        self.status.message = "bridge silent: waiting for it"
        self.view.say(
            f"[yellow]bridge at {b.host}:{b.port} silent: session paused until it answers[/yellow]"
        )
        self._append({"kind": "pause", "reason": "bridge_silent", "t": pylsl.local_clock()})
        t0 = time.monotonic()
        while not self.robot.answers(0.5):
            self._pump(0.05)
            if time.monotonic() - t0 > b.wait_for_return_s:
                raise StreamError(
                    f"bridge at {b.host}:{b.port} silent for more than {b.wait_for_return_s:g} s"
                )
        # Let the bridge report what happened while it was silent, then clear its latch.
        t1 = time.monotonic()
        while time.monotonic() - t1 < 0.5:
            self._pump(0.05)
        self.robot.drain((FAULT, ABORTED))
        self.robot.reset()
        self._append({"kind": "resume", "reason": "bridge_back", "t": pylsl.local_clock()})
        self.view.say("bridge answers again")

    # ================================================================ shutdown
    def _go_home(self, timeout: float = 20.0) -> None:
        """Stop what the robot does (smoothly), then move it home and wait until it is there."""
        self.robot.go_home(timeout)

    def _shutdown(self, reason: str) -> None:
        """Home the robot, mark the end, close the recording; never raises."""
        self.status.phase = "stopping"

        def closer(obj: Any, method: str) -> Callable[[], None]:
            return lambda: None if obj is None else getattr(obj, method)()

        steps: list[tuple[str, Callable[[], Any]]] = [
            ("home", self._go_home),
            ("marker", lambda: self.markers and self.markers.push("session_end", reason=reason)),
            ("record", lambda: self._append({"kind": "end", "reason": reason})),
            ("recording", closer(self.recording, "stop")),
            ("eeg", self.eeg.close),
            ("markers", closer(self.markers, "close")),
            ("bridge", self.robot.close),
        ]
        for what, step in steps:
            try:
                step()
            except Exception as exc:  # a broken part must not keep the others open
                self.view.say(f"[red]while stopping ({what}): {exc}[/red]")
        self.status.phase = "stopped"
        self.status.message = reason


def _describe(vector: np.ndarray) -> str:
    """A few words on a choreography: duration and the flange's reach (display only)."""
    try:
        from choreo.robot.config import load_robot_config
        from choreo.robot.kr6 import forward_kinematics
        from choreo.robot.trajectory import plan_choreography

        plan = plan_choreography(vector, load_robot_config())
        xyz = forward_kinematics(plan.q[:: max(1, len(plan.q) // 400)])
        span = float(np.linalg.norm(xyz.max(axis=0) - xyz.min(axis=0)))
        return f"({plan.duration:.0f} s, flange moves within {span:.2f} m)"
    except Exception:  # display only
        return ""


def session_meta(settings: SessionSettings) -> dict[str, Any]:
    """``meta.json`` of a new session: versions, seeds, the prior's checksum, host."""
    return {
        "versions": versions(),
        "seeds": {"learner": settings.learner.seed},
        "prior_checkpoint": settings.learner.checkpoint,
        "prior_sha256": file_sha256(settings.learner.checkpoint),
        "host": platform.node(),
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


def resolve_learner_settings(settings: SessionSettings) -> SessionSettings:
    """``settings`` with every learner setting spelled out (defaults included), so that
    the session's config.json replays with the same learner even after defaults change.

    Raises
    ------
    ConfigError
        A learner setting is unknown or out of range (named).
    """
    from choreo.config import validate
    from choreo.learning.learner import LearnerSettings

    ls = settings.learner
    full = validate(LearnerSettings, ls.settings, "session settings [learner.settings]")
    learner = ls.model_copy(update={"settings": full.model_dump(mode="json")})
    return settings.model_copy(update={"learner": learner})


def run_session(
    settings: SessionSettings | None = None,
    name: str | None = None,
    resume: str | os.PathLike[str] | None = None,
    hooks: SessionHooks | None = None,
    view: SessionView | None = None,
    meta: dict[str, Any] | None = None,
    feed: Any = None,
) -> SessionResult:
    """Run a live session (new, or resumed from ``resume``); see the module docstring.

    Parameters
    ----------
    settings
        Session settings (ignored on resume: the directory's own are used).
    name
        Session directory name prefix (default ``settings.name``).
    resume
        An existing session directory to continue from its last complete trial.
    hooks
        Callbacks for a synthetic participant (the demo).
    meta
        Extra items for ``meta.json`` (the demo's seeds and participant).
    feed
        A :class:`choreo.dashboard.state.DashboardFeed` to publish into and take the
        artist's commands from.
    """
    if resume is not None:
        store = SessionStore.open(resume)
        removed = store.repair()
        settings = store.settings()
        done = len(store.scored_trials())
        if done >= settings.trials.count:
            raise InputError(
                f"{store.path}: all {settings.trials.count} trials are scored already; nothing "
                "to resume (raise trials.count in its config.json to go on)"
            )
        if removed:
            store.append(
                {"kind": "note", "text": f"cut {removed} bytes of a torn last line on resume"}
            )
    else:
        settings = resolve_learner_settings(settings or SessionSettings())
        ls = settings.learner
        starts: dict[str, Any] = {}
        if ls.starts_from:  # before the directory exists: a bad path leaves nothing behind
            from choreo.session.starts import META_KEY, starts_from_sessions

            starts[META_KEY] = starts_from_sessions(ls.starts_from, ls.n_starts, ls.checkpoint)
        store = SessionStore.create(
            settings, {**session_meta(settings), **starts, **(meta or {})}, name=name
        )
    return LiveSession(settings, store, hooks=hooks, view=view, feed=feed).run()
