"""The live closed loop: EEG in, choreographies out, the learner in between.

One thread drives everything, so the order of events is the order of the log:

1. connect: resolve the EEG stream (LSL), find the bridge (OSC) or start one on the
   simulator when none answers (and say so), open the marker stream, start LabRecorder
   on EEG + markers (+ the feedback stream), *then* open the session's own EEG inlet, so
   that every sample the session scores is in the XDF;
2. signal check: per-channel quality until every frontal channel is good for a while
   (or the timeout, then continue or abort as configured);
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
from choreo.robot.osc_protocol import ABORTED, DONE, FAULT, HOME_TRIAL, REJECTED, STARTED
from choreo.session import scoring
from choreo.session.learner_setup import build_learner
from choreo.session.markers import FeedbackOutlet, MarkerOutlet
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
    feed
        The dashboard's feed: the view's values go there too, its commands come back.
    """

    def __init__(
        self,
        settings: SessionSettings,
        store: SessionStore,
        hooks: SessionHooks | None = None,
        view: SessionView | None = None,
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
        self.source: Any = None
        self.motion: Any = None
        self.observer: Any = None
        self.pipeline: Any = None
        self.client: Any = None
        self.bridge: Any = None
        self.learner: Any = None
        self.markers: MarkerOutlet | None = None
        self.feedback: Any = None
        self.recording: XdfRecording | None = None
        self.samples: list[Any] = []
        self.first_sample_t: float | None = None
        #: Clock segments read before the run record exists (they go into it).
        self._early_clock: list[Any] | None = []
        self._last_heartbeat = 0.0
        self._sim_speed = 1.0

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
                self._make_learner()
                self._trials()
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
        from choreo.eeg.sources.lsl import LslSource, describe_query, resolve_stream

        s = self.settings
        self.status.phase = "connecting"
        q = s.eeg
        try:
            resolved = resolve_stream(
                q.name or None, q.type or None, q.source_id or None, q.resolve_timeout_s
            )
        except StreamError:
            raise StreamError(
                f"no EEG stream with {describe_query(q.name, q.type, q.source_id)} on the network "
                f"within {q.resolve_timeout_s:g} s: start the headset's LSL app (muselsl stream, "
                "BlueMuse, NIC2) or `choreo synth`, or set [eeg] name in the session config"
            ) from None
        self.status.eeg = f"{resolved.name()} ({resolved.type()}, {resolved.nominal_srate():g} Hz)"
        self._connect_bridge()
        # Unique on the network: two sessions started in the same second (two studios on
        # one LAN, parallel test runs) would otherwise record each other's markers.
        run_tag = (
            f"{self.store.path.name}-{len(self.store.recording_paths()) + 1}-"
            f"{secrets.token_hex(3)}"
        )
        self.markers = MarkerOutlet(
            f"choreo-markers-{self.store.path.name}", f"choreo-markers-{run_tag}"
        )
        self.feedback = self._open_feedback(run_tag)
        if s.motion.enabled:
            from choreo.eeg.motion import MotionSource

            self.motion = MotionSource(s.motion.name or resolved.name(), s.motion)
            self.view.say(f"head movement gating on '{self.motion.name}' ({s.motion.type})")
        if s.recording.enabled:
            selectors = [
                {"name": resolved.name(), "source_id": resolved.source_id()},
                self.markers.selector,
            ]
            if self.motion is not None:
                selectors.append(self.motion.selector)
            if self.feedback is not None and getattr(self.feedback, "selector", None):
                selectors.append(self.feedback.selector)
            self.recording = XdfRecording(
                self.store.new_recording_path(), selectors, s.recording.start_timeout_s
            )
            self.recording.start()
            self.view.say(f"recording {len(selectors)} streams to {self.recording.path}")
        # The inlet opens after LabRecorder's, so every sample scored live is in the XDF.
        self.source = LslSource(
            stream=resolved,
            timeout=q.resolve_timeout_s,
            device=q.device or None,
            dropout_after=q.lost_after_s,
            clock=q.clock,
        )
        self.observer = self.source.observer()
        self.pipeline = scoring.build_pipeline(self.source.info, s.scoring, q.device)
        if self.motion is not None:
            self.pipeline.gate = self.motion.detector
        base = next((r for r in self.records if r.get("kind") == "baseline"), None)
        if base is not None:  # resume: the first run's baseline, before any sample is pushed
            scoring.restore_baseline(self.pipeline, base["baseline"])
            self.view.say("resumed: baseline restored from the first run")
        info = self.source.info
        self.status.channels = tuple(info.ch_names)
        deadline = time.monotonic() + q.resolve_timeout_s
        while self.first_sample_t is None:
            if time.monotonic() > deadline:
                raise StreamError(f"EEG stream '{info.name}' sends no samples")
            self._pump(0.2)
        run = {
            "kind": "run",
            "part": self.recording.path.name if self.recording else None,
            "first_sample_t": self.first_sample_t,
            # How the stream's stamps were put on the LSL clock; the XDF keeps them raw,
            # and replay maps them the same way (segments: here and in later "clock" records).
            "clock": {
                "domain": self.source.clock.domain,
                "first_raw": self.source.clock.first_raw,
                "segments": [seg.as_dict() for seg in self._early_clock or []],
            },
            "eeg": {
                "name": info.name,
                "type": info.type,
                "source_id": info.source_id,
                "sfreq": info.sfreq,
                "ch_names": list(info.ch_names),
                "device": info.device,
            },
            "markers": self.markers.selector,
            "feedback": getattr(self.feedback, "selector", None),
            "motion": self.motion.selector if self.motion is not None else None,
            "bridge": {
                "host": s.bridge.host,
                "port": s.bridge.port,
                "started_here": self.bridge is not None,
            },
            "resumed": any(r.get("kind") == "run" for r in self.records),
        }
        self._append(run)
        self._early_clock = None
        self.view.say(self.source.clock.report.describe(info.name))
        self.markers.push("run_start", part=run["part"])

    def _connect_bridge(self) -> None:
        from choreo.robot.client import BridgeClient

        b = self.settings.bridge
        self.client = BridgeClient(bridge=(b.host, b.port))
        if self._bridge_answers(b.connect_timeout_s):
            self.status.backend = f"bridge at {b.host}:{b.port} ({self._backend_name()})"
            self.view.say(f"bridge answers at {b.host}:{b.port}")
            return
        if not b.start_simulator:
            raise StreamError(
                f"no bridge answers at {b.host}:{b.port}: start one with `choreo bridge`, "
                "or set [bridge] start_simulator = true in the session config"
            )
        from choreo.robot.bridge import Bridge
        from choreo.robot.bridge_settings import BridgeSettings

        try:
            self.bridge = Bridge(
                BridgeSettings(
                    listen=(b.host, b.port), reply=None, backend="sim", speed=b.simulator_speed
                )
            )
            self.bridge.start()
        except OSError as exc:
            raise StreamError(
                f"no bridge answers at {b.host}:{b.port} and none can be started there "
                f"({exc.strerror}): "
                "free the port or point [bridge] port elsewhere"
            ) from None
        self._sim_speed = b.simulator_speed
        if not self._bridge_answers(max(b.connect_timeout_s, 2.0)):
            raise StreamError(f"the simulator bridge started at {b.host}:{b.port} does not answer")
        self.status.backend = (
            f"simulator started by the session at {b.host}:{b.port} (x{b.simulator_speed:g})"
        )
        self.view.say(f"no bridge answered at {b.host}:{b.port}: started one on the simulator")

    def _bridge_answers(self, timeout: float) -> bool:
        try:
            self.client.request_state(timeout=timeout)
        except StreamError:
            return False
        return True

    def _backend_name(self) -> str:
        st = self.client.latest_state
        return str(getattr(st, "backend", "") or "")

    def _take(self, address: str | tuple[str, ...], trial_id: int | None = None) -> Any:
        """The oldest waiting reply on ``address`` (for ``trial_id``), or None; never waits."""
        try:
            return self.client.wait_for(address, trial_id=trial_id, timeout=0)
        except StreamError:
            return None

    def _drain(self, address: str | tuple[str, ...]) -> int:
        """Drop waiting replies on ``address`` (stale faults of an earlier performance)."""
        n = 0
        while self._take(address) is not None:
            n += 1
        return n

    def _state_age(self) -> float:
        """Seconds since the last ``/choreo/state`` arrived (inf if none yet)."""
        st = self.client.latest_state
        return time.monotonic() - float(st.received) if st is not None else math.inf

    def _open_feedback(self, run_tag: str) -> Any:
        """The feedback publisher (OSC ``/choreo/feedback`` and LSL type ``Feedback``)."""
        f = self.settings.feedback
        return FeedbackOutlet(
            name=f"choreo-feedback-{self.store.path.name}",
            source_id=f"choreo-feedback-{run_tag}",
            osc=(f.osc_host, f.osc_port) if f.osc_port else None,
        )

    # ================================================================ EEG pump
    def _pump(self, timeout: float) -> int:
        """Read what EEG arrived (waiting up to ``timeout`` s), score it, publish it."""
        chunk = self.source.read(timeout=timeout)
        self._clock_segments()
        if self.motion is not None:
            self.motion.pump()  # before the EEG is scored: the gate sees the latest motion
        n = 0
        if chunk is not None and chunk.n_samples:
            self.observer.observe(chunk)
            if self.first_sample_t is None:
                self.first_sample_t = float(chunk.timestamps[0])
            new = self.pipeline.push(chunk)
            gated = self.pipeline.pop_gated()
            if gated:  # replay leaves out the same windows (RecordedGate)
                self._append({"kind": "motion", "gated_t": gated})
            n = len(new)
            if new:
                self.samples.extend(new)
                last = new[-1]
                self.status.score = float(last.score)
                self.status.rel_alpha = float(last.rel_alpha)
                self.status.rel_theta = float(last.rel_theta)
                if self.feedback is not None:
                    self.feedback.publish(new)
            self.status.quality = tuple(self.pipeline.channel_quality())
        self._heartbeat()
        self.view.refresh()
        if self.feed is not None:
            self.feed.publish_session(self, new if n else ())
            self.feed.check_stop()
        return n

    def _clock_segments(self) -> None:
        """Record changes of the clock mapping (replay applies them); say jumps."""
        segments = self.source.clock.pop_segments()
        if self._early_clock is not None:
            self._early_clock.extend(segments)
            return
        for seg in segments:
            self._append({"kind": "clock", **seg.as_dict(), "t": pylsl.local_clock()})
            if seg.reason == "jump":
                self.view.say(
                    f"[yellow]{self.source.clock.report.describe(self.source.info.name)}[/yellow]"
                )

    def _heartbeat(self) -> None:
        now = time.monotonic()
        if now - self._last_heartbeat >= self.settings.bridge.heartbeat_s:
            self._last_heartbeat = now
            self.client.heartbeat()

    def _eeg_lost(self) -> bool:
        return bool(self.source.status == "dropout")

    def _wait_for_eeg(self) -> None:
        """Wait for a lost EEG stream to come back (the session says so)."""
        limit = self.settings.eeg.wait_for_return_s
        self.status.phase = "paused"
        self.status.message = "EEG stream lost: waiting for it to return"
        self.view.say("[yellow]EEG stream lost: waiting for it to return[/yellow]")
        t0 = time.monotonic()
        self._append({"kind": "pause", "reason": "eeg_lost", "t": pylsl.local_clock()})
        while self._eeg_lost() or self.source.status == "connecting":
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
        while self.observer.seconds < need:
            self._pump(0.1)
            if self._eeg_lost():
                self._wait_for_eeg()
            self.status.progress = min(1.0, self.observer.seconds / need)
        diag = self.observer.diagnosis()
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
        frontal = list(self.pipeline.frontal)
        ok_since: float | None = None
        t0 = time.monotonic()
        rank = {"good": 2, "medium": 1, "bad": 0}
        need = rank[q.required]
        while True:
            self._pump(0.1)
            quality = self.pipeline.channel_quality()
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
        self.client.home()
        self.view.say(f"baseline block: {dur:g} s")
        start = pylsl.local_clock()
        end = start + dur
        assert self.markers is not None
        self.markers.push("baseline_start", start)
        while True:
            self._pump(0.1)
            if self._eeg_lost():
                self._wait_for_eeg()
                self.view.say("restarting the baseline block")
                start = pylsl.local_clock()
                end = start + dur
            self.status.progress = (pylsl.local_clock() - start) / (end - start)
            if not self.samples or self.samples[-1].t < end:
                continue
            try:
                baseline = scoring.calibrate(self.pipeline, start, end)
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
                "after_t": self.samples[-1].t,
            }
        )

    def _settle(self, after: float = -math.inf) -> None:
        """Wait until the pipeline scores again: a full window (2 s by default) after the
        first sample of a resumed run, or after the EEG came back from a gap (the band
        power starts a new segment there)."""
        deadline = time.monotonic() + self.settings.eeg.resolve_timeout_s + 5.0
        while not (
            self.samples and self.samples[-1].t > after and math.isfinite(self.samples[-1].score)
        ):
            if time.monotonic() > deadline:
                break  # the trials will be invalid and say why
            self._pump(0.1)
            if self._eeg_lost():
                self._wait_for_eeg()

    # ================================================================ learner
    def _make_learner(self) -> None:
        from choreo.learning.learner import Learner

        ls = self.settings.learner
        ckpt = self.store.last_checkpoint()
        if ckpt is not None:
            self.learner = Learner.load(ckpt, checkpoint=ls.checkpoint)
            self.view.say(
                f"resumed the learner from {ckpt.name} ({self.learner.n_observations} scores)"
            )
        else:
            self.learner = build_learner(self.store)

    def _save_learner(self, trial_id: int) -> str:
        path = self.store.checkpoint_path(trial_id)
        self.learner.save(path)
        fsync_path(path)
        return path.name

    # ================================================================ trials
    def _trials(self) -> None:
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
                vector = np.asarray(self.learner.propose(), dtype=np.uint8)
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
                reject = getattr(self.learner, "reject", None)
                if callable(reject):  # never propose it again (see ARCHITECTURE.md)
                    reject(vector)
                record["checkpoint"] = self._save_learner(trial_id)
                self._append(record)
                if rejections >= s.max_rejections:
                    raise StreamError(
                        f"{rejections} choreographies in a row rejected by the bridge: "
                        "session stopped"
                    )
                continue
            rejections = 0
            if outcome == "scored":
                self.learner.update(vector, record["score"])
                record["checkpoint"] = self._save_learner(trial_id)
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
                record["checkpoint"] = self._save_learner(trial_id)
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
        self._drain(FAULT)
        self.client.play(trial_id, vector)
        # ---- wait for started (or rejected)
        t_play = time.monotonic()
        started: float | None = None
        while started is None:
            self._pump(0.02)
            rej = self._take(REJECTED, trial_id)
            if rej is not None:
                reason = str(rej.args[1]) if len(rej.args) > 1 else "no reason given"
                if reason.startswith(TRANSIENT_REJECTIONS):
                    # Not about this choreography: the robot is still moving, or latched.
                    if not reason.startswith("busy"):
                        self.client.reset()
                    self._pump(0.3)
                    if time.monotonic() - t_play > s.trials.start_timeout_s:
                        record.update(
                            status="invalid", cause="bridge_busy", reason=f"bridge: {reason}"
                        )
                        return "invalid"
                    self.client.play(trial_id, vector)
                    continue
                record.update(status="rejected", reason=reason)
                self.markers.push("trial_rejected", trial=trial_id, reason=reason)
                self.view.say(
                    f"[yellow]choreography {trial_id} rejected by the bridge: {reason}[/yellow]"
                )
                return "rejected"
            got = self._take(STARTED, trial_id)
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
                self.client.stop()
                self.client.reset()
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
        while not self.samples or self.samples[-1].t < done:
            if time.monotonic() > deadline or self._eeg_lost():
                record.update(
                    status="invalid",
                    cause="eeg_lost",
                    reason="EEG stream lost at the end of the trial",
                )
                return "invalid"
            self._pump(0.05)
        out = scoring.score_trial(
            self.pipeline, self.samples, started, done, s.trials.min_windows, s.trials.settle_s
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
            got = self._take(DONE, trial_id)
            if got is not None:
                return float(got.args[1])
            bad = self._take((ABORTED, FAULT), trial_id)
            if bad is not None:
                reason = str(bad.args[1] if bad.address == ABORTED else bad.args[0])
                self.client.reset()
                raise TrialInvalid("bridge_fault", f"the bridge stopped the performance: {reason}")
            now = time.monotonic()
            self.status.progress = (now - t0) / expected if expected > 0 else 0.0
            if self._eeg_lost():
                raise TrialInvalid("eeg_lost", "EEG stream lost during the trial")
            if skip_requested(self.feed):
                raise TrialInvalid("skipped", SKIPPED)
            if now - t0 > b.silent_after_s and self._state_age() > b.silent_after_s:
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
            return float(plan.duration) / self._sim_speed
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
        while not self._bridge_answers(0.5):
            self._pump(0.05)
            if time.monotonic() - t0 > b.wait_for_return_s:
                raise StreamError(
                    f"bridge at {b.host}:{b.port} silent for more than {b.wait_for_return_s:g} s"
                )
        # Let the bridge report what happened while it was silent, then clear its latch.
        t1 = time.monotonic()
        while time.monotonic() - t1 < 0.5:
            self._pump(0.05)
        self._drain((FAULT, ABORTED))
        self.client.reset()
        self._append({"kind": "resume", "reason": "bridge_back", "t": pylsl.local_clock()})
        self.view.say("bridge answers again")

    # ================================================================ shutdown
    def _go_home(self, timeout: float = 20.0) -> None:
        """Stop what the robot does (smoothly), then move it home and wait until it is there."""
        c = self.client
        if c is None:
            return
        deadline = time.monotonic() + timeout
        status = c.request_status(timeout=1.0)
        if status["mode"] in ("play", "home"):
            c.stop()  # smooth stop, latched
        while time.monotonic() < deadline:
            c.heartbeat()  # the bridge stops a motion that loses its heartbeat
            status = c.request_status(timeout=1.0)
            if status["mode"] in ("idle", "latched", "fault"):
                break
            time.sleep(0.1)
        c.reset()
        self._drain((DONE, ABORTED, REJECTED, FAULT))
        c.home()
        while time.monotonic() < deadline:
            c.heartbeat()
            got = self._take((DONE, REJECTED), HOME_TRIAL)
            if got is not None:
                if got.address == REJECTED:
                    raise StreamError(f"the bridge refused to go home: {got.args[1]}")
                return
            time.sleep(0.05)
        raise StreamError(f"the robot did not reach home within {timeout:g} s")

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
            ("source", closer(self.source, "close")),
            ("motion", closer(self.motion, "close")),
            ("feedback", closer(self.feedback, "close")),
            ("markers", closer(self.markers, "close")),
            ("client", closer(self.client, "close")),
            ("bridge", closer(self.bridge, "close")),
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
