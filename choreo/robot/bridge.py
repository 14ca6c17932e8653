"""The OSC bridge: choreographies in over UDP, checked, planned and performed by a backend.

Threads
-------
- ``osc``: receives datagrams on ``settings.listen``, decodes them strictly
  (:mod:`choreo.robot.osc_protocol`), rejects and counts what is bad, and executes
  commands. A play is planned here (``plan_choreography`` from the current
  setpoint) and handed to the backend, which only performs precomputed setpoints.
- ``supervisor``: every ``1 / state_rate_hz`` s polls the backend, publishes
  ``/choreo/state`` while moving, sends ``/choreo/done`` when a motion ends,
  watches the heartbeat and turns a lost controller into ``/choreo/fault``.
- the backend's own thread (RSI only), answering the controller every cycle.

Behaviour (documented in ARCHITECTURE.md)
-----------------------------------------
- A play while a motion runs is rejected with reason ``busy``; never queued.
- ``/choreo/stop`` latches: a running motion is stopped smoothly (``plan_stop``
  spliced in continuously in position and velocity), its trial is reported on
  ``/choreo/aborted``, and every play or home is rejected until ``/choreo/reset``.
- Heartbeat: supervision is armed by the first ``/choreo/heartbeat`` (or always,
  with ``require_heartbeat``) and disarmed by ``/choreo/reset``. While armed, a
  motion with no heartbeat for ``heartbeat_timeout_s`` stops smoothly, reports
  ``/choreo/fault`` and ``/choreo/aborted``, and latches like a stop.
- A controller lost during a motion (RSI silent) is a fault: ``/choreo/fault``,
  ``/choreo/aborted``; plays are rejected until ``/choreo/reset`` and a controller
  that sends telegrams again. The bridge never switches backend by itself.
- Replies go to the fixed ``reply`` address and to the most recent senders of
  well-formed commands (so a client on an ephemeral port hears its answers).
  ``/choreo/state`` and ``/choreo/status`` requests are answered to the requester.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
from pylsl import local_clock

from choreo.errors import ChoreoError, ConfigError
from choreo.robot import osc_protocol as osc
from choreo.robot.backends.base import Backend, Trajectory
from choreo.robot.backends.rsi import RsiBackend
from choreo.robot.backends.sim import SimulatorBackend
from choreo.robot.bridge_settings import BridgeSettings

log = logging.getLogger(__name__)

#: Counters of the status reply, in order. Decode kinds come from osc_protocol.
COUNTERS = (
    "packets",
    "commands",
    "rejected",
    *osc.DECODE_KINDS,
    "sender_not_allowed",
    "unsafe",
    "busy",
    "latched",
    "fault",
    "not_ready",
    "internal_error",
    "played",
    "done",
    "aborted",
    "heartbeats",
    "heartbeat_lost",
)
#: Rejections logged one by one before the log only shows every 1000th of a kind.
_LOG_FIRST = 20


@dataclass
class _Motion:
    kind: str
    trial: int | None
    started: float
    aborted: bool = False


class Bridge:
    """The OSC bridge with its backend, running in background threads.

    Parameters
    ----------
    settings : BridgeSettings
        Addresses, backend choice and safety timers.
    robot_config : RobotConfig, optional
        Envelope and limits for planning; loaded from ``settings.robot_config`` by default.
    backend : Backend, optional
        Use this backend instead of building one from the settings (tests).

    Examples
    --------
    >>> with Bridge(BridgeSettings(listen=("127.0.0.1", 0), reply=None)) as bridge:
    ...     host, port = bridge.address
    """

    def __init__(
        self, settings: BridgeSettings, robot_config: Any = None, backend: Backend | None = None
    ) -> None:
        from choreo.robot.config import load_robot_config

        if settings.backend == "rsi" and settings.speed != 1.0 and backend is None:
            raise ConfigError(
                "bridge: --speed applies to the simulator only; the RSI controller sets the pace"
            )
        self.settings = settings
        self.cfg = (
            robot_config if robot_config is not None else load_robot_config(settings.robot_config)
        )
        self.backend: Backend | None = backend
        self._counts = dict.fromkeys(COUNTERS, 0)
        self._peers: OrderedDict[tuple[str, int], None] = OrderedDict()
        self._allow = set(settings.allow)
        self._lock = threading.RLock()
        self._send_lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._sock: socket.socket | None = None
        self._motion: _Motion | None = None
        self._latched = False
        self._fault: str | None = None
        self._hb_armed = settings.require_heartbeat
        self._last_hb = 0.0
        #: LSL time the last /choreo/play datagram was received, and when its motion began.
        self.play_received_t: float | None = None
        self.play_begun_t: float | None = None

    # -- lifecycle --------------------------------------------------------------------
    def start(self) -> Bridge:
        """Bind the OSC socket, start the backend and the threads."""
        if self.backend is None:
            self.backend = self._make_backend()
        else:
            self.backend.start()
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind(self.settings.listen)
        except OSError as exc:
            sock.close()
            self.backend.close()
            host, port = self.settings.listen
            raise ConfigError(f"bridge: cannot listen on {host}:{port}: {exc.strerror}") from None
        sock.setblocking(False)
        self._sock = sock
        self._warm_up()
        for name, target in (("osc", self._receive_loop), ("supervisor", self._supervise_loop)):
            thread = threading.Thread(target=target, name=f"bridge-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)
        host, port = self.address
        log.info("bridge listening on %s:%d, backend %s", host, port, self.backend.name)
        return self

    def _warm_up(self) -> None:
        """Plan one choreography now: the first plan of a process is several times slower
        (measured 15-47 ms against 3-7 ms), and that cost belongs to start-up, not to a
        participant's first trial."""
        from choreo.robot.codec import random_vector
        from choreo.robot.safety import check_choreography

        try:
            check_choreography(random_vector(0), self.cfg)
        except Exception:  # only a warm-up: the real plays report their own errors
            log.debug("bridge: planner warm-up failed", exc_info=True)

    def _make_backend(self) -> Backend:
        s = self.settings
        if s.backend == "sim":
            backend: Backend = SimulatorBackend(self.cfg, speed=s.speed)
            backend.start()
            return backend
        listen = s.rsi_endpoint(self.cfg.rsi.sensor_port)
        if listen[1] not in (0, self.cfg.rsi.sensor_port):
            # The controller sends to the configuration's port (choreo kuka-files).
            log.warning(
                "RSI: listening on port %d, but the robot configuration's controller files"
                " send to rsi.sensor_port = %d",
                listen[1],
                self.cfg.rsi.sensor_port,
            )
        rsi = RsiBackend(self.cfg, listen, s.rsi_controller, s.rsi_loss_timeout_s)
        rsi.start()
        if s.backend == "rsi" or rsi.wait_for_controller(s.rsi_connect_timeout_s):
            return rsi
        host, port = rsi.address
        rsi.close()
        log.warning(
            "no RSI controller at %s:%d within %.1f s: using the simulator",
            host,
            port,
            s.rsi_connect_timeout_s,
        )
        sim = SimulatorBackend(
            self.cfg, speed=s.speed, name=f"sim (fallback: no RSI controller at {host}:{port})"
        )
        sim.start()
        return sim

    def close(self) -> None:
        """Stop the threads and the backend, close the socket."""
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=2.0)
        self._threads.clear()
        if self.backend is not None:
            self.backend.close()
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._log_counters(force=True)

    def __enter__(self) -> Bridge:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def address(self) -> tuple[str, int]:
        """The bound OSC (host, port)."""
        if self._sock is None:
            return self.settings.listen
        host, port = self._sock.getsockname()[:2]
        return str(host), int(port)

    @property
    def backend_name(self) -> str:
        """What state messages call the backend."""
        return self.backend.name if self.backend is not None else "none"

    def counters(self) -> dict[str, int]:
        """A copy of the counters (bridge and backend)."""
        with self._lock:
            out = dict(self._counts)
        if self.backend is not None:
            out.update(self.backend.counters())
        return out

    @property
    def mode(self) -> str:
        """idle, play, home, stop, latched or fault."""
        with self._lock:
            if self._fault is not None:
                return "fault"
            if self._motion is not None:
                return "stop" if self._motion.aborted else self._motion.kind
            return "latched" if self._latched else "idle"

    # -- sending ----------------------------------------------------------------------
    def _send(self, data: bytes, targets: list[tuple[str, int]]) -> None:
        sock = self._sock
        if sock is None:
            return
        with self._send_lock:
            for target in targets:
                with contextlib.suppress(OSError):  # a peer gone away must not stop the bridge
                    sock.sendto(data, target)

    def _targets(self) -> list[tuple[str, int]]:
        with self._lock:
            targets = list(self._peers)
        reply = self.settings.reply
        if reply is not None and reply not in targets:
            targets.append(reply)
        return targets

    def _broadcast(self, data: bytes) -> None:
        self._send(data, self._targets())

    def _count(self, name: str) -> None:
        with self._lock:
            self._counts[name] = self._counts.get(name, 0) + 1

    # -- receiving --------------------------------------------------------------------
    def _receive_loop(self) -> None:
        sock = self._sock
        assert sock is not None
        while not self._stop.is_set():
            ready, _, _ = select.select([sock], [], [], 0.1)
            if not ready:
                continue
            while True:
                try:
                    data, sender = sock.recvfrom(65535)
                except (BlockingIOError, InterruptedError):
                    break
                except OSError:
                    break  # e.g. an ICMP error from an earlier reply; keep serving
                try:
                    self.handle_datagram(data, sender, local_clock())
                except Exception:  # a bug must not stop the bridge; it is counted and logged
                    self._count("internal_error")
                    log.exception("bridge: error handling a datagram from %s:%d", *sender[:2])

    def handle_datagram(self, data: bytes, sender: tuple[str, int], t_rx: float) -> None:
        """Decode, check and execute one datagram from ``sender`` received at LSL time ``t_rx``."""
        self._count("packets")
        if self._allow and sender[0] not in self._allow:
            self._reject(
                "sender_not_allowed", f"sender {sender[0]} is not in the allow-list", None, sender
            )
            return
        for item in osc.decode_packet(data):
            if isinstance(item, osc.Rejection):
                self._reject(item.kind, item.reason, item.trial, sender)
                continue
            self._count("commands")
            with self._lock:
                self._peers[sender] = None
                self._peers.move_to_end(sender)
                while len(self._peers) > self.settings.max_peers:
                    self._peers.popitem(last=False)
            self._execute(item, sender, t_rx)

    def _reject(self, kind: str, reason: str, trial: int | None, sender: tuple[str, int]) -> None:
        with self._lock:
            self._counts["rejected"] += 1
            self._counts[kind] = self._counts.get(kind, 0) + 1
            n = self._counts[kind]
        if n <= _LOG_FIRST or n % 1000 == 0:
            log.warning("rejected (%s #%d) from %s:%d: %s", kind, n, sender[0], sender[1], reason)
        if trial is not None:
            msg = osc.encode(osc.REJECTED, ("i", trial), ("s", reason))
            targets = self._targets()
            if sender not in targets and kind != "sender_not_allowed":
                targets.append(sender)
            self._send(msg, targets)

    # -- commands ---------------------------------------------------------------------
    def _execute(self, cmd: osc.Command, sender: tuple[str, int], t_rx: float) -> None:
        address = cmd.address
        if address == osc.PLAY:
            assert cmd.trial is not None
            assert cmd.vector is not None
            self.play_received_t = t_rx
            self._play(cmd.trial, cmd.vector, sender)
        elif address == osc.HEARTBEAT:
            with self._lock:
                self._counts["heartbeats"] += 1
                self._hb_armed = True
                self._last_hb = t_rx
        elif address == osc.STOP:
            self._stop_motion("stopped by /choreo/stop", latch=True)
        elif address == osc.RESET:
            self._reset()
        elif address == osc.HOME:
            self._home(sender)
        elif address == osc.STATE:
            assert self.backend is not None
            now = local_clock()
            self._send(osc.encode_state(self.backend.pose(now), now, self.backend.name), [sender])
        elif address == osc.STATUS:
            self._send(
                osc.encode_status(self.mode, self.backend_name, self._latched, self.counters()),
                [sender],
            )

    def _why_not(self) -> tuple[str, str] | None:
        """(counter, reason) why no motion may start now, or None (under the lock)."""
        assert self.backend is not None
        if self._fault is not None:
            return "fault", f"fault: {self._fault}; send /choreo/reset"
        if self._latched:
            return "latched", "stop latched: send /choreo/reset first"
        if self._motion is not None:
            m = self._motion
            what = (
                f"trial {m.trial}" if m.kind == "play" else m.kind if not m.aborted else "a stop"
            )
            return "busy", f"busy: {what} is in motion"
        not_ready = self.backend.not_ready()
        if not_ready is not None:
            return "not_ready", f"not ready: {not_ready}"
        return None

    def _play(self, trial: int, vector: np.ndarray, sender: tuple[str, int]) -> None:
        from choreo.robot.safety import check_choreography

        with self._lock:
            why = self._why_not()
        if why is not None:
            self._reject(why[0], why[1], trial, sender)
            return
        assert self.backend is not None
        try:
            verdict = check_choreography(vector, self.cfg, start_deg=self.backend.commanded())
        except Exception as exc:  # a planner bug must not stop the bridge
            log.exception("bridge: planning trial %d failed", trial)
            self._reject(
                "internal_error",
                f"internal error while planning: {type(exc).__name__}: {exc}",
                trial,
                sender,
            )
            return
        if not verdict.ok or verdict.plan is None:
            self._reject("unsafe", verdict.reason or "no plan", trial, sender)
            return
        self._begin(Trajectory.from_plan(verdict.plan, "play", trial), sender)

    def _home(self, sender: tuple[str, int]) -> None:
        from choreo.robot.kr6 import HOME_DEG
        from choreo.robot.safety import check_plan, plan_move

        with self._lock:
            why = self._why_not()
        if why is not None:
            self._reject(why[0], f"/choreo/home: {why[1]}", osc.HOME_TRIAL, sender)
            return
        assert self.backend is not None
        try:
            plan = plan_move(self.backend.commanded(), HOME_DEG, self.cfg)
            reason = check_plan(plan, self.cfg)
        except Exception as exc:  # a planner bug must not stop the bridge
            log.exception("bridge: planning the move home failed")
            reason = f"internal error while planning: {type(exc).__name__}: {exc}"
        if reason or plan is None:
            self._reject("unsafe", f"/choreo/home: {reason or 'no plan'}", osc.HOME_TRIAL, sender)
            return
        self._begin(Trajectory.from_plan(plan, "home", osc.HOME_TRIAL), sender)

    def _begin(self, traj: Trajectory, sender: tuple[str, int]) -> None:
        assert self.backend is not None
        with self._lock:
            why = self._why_not()  # a stop or fault may have come while planning
            if why is not None:
                self._reject(why[0], why[1], traj.trial, sender)
                return
            now = local_clock()
            try:
                self.backend.begin(traj, now)
            except ChoreoError as exc:
                self._reject("not_ready", f"not ready: {exc}", traj.trial, sender)
                return
            self._motion = _Motion(traj.kind, traj.trial, now)
            self.play_begun_t = now
            if traj.kind == "play":
                self._counts["played"] += 1
        self._broadcast(osc.encode(osc.STARTED, ("i", traj.trial), ("d", now)))

    def _stop_motion(self, reason: str, latch: bool) -> None:
        """Stop smoothly (the backend splices plan_stop in) and report the abort."""
        assert self.backend is not None
        with self._lock:
            if latch:
                self._latched = True
            motion = self._motion
            if motion is None or motion.aborted:
                return
            motion.aborted = True
            self._counts["aborted"] += 1
            try:
                self.backend.stop_smoothly()
            except ChoreoError as exc:  # the RSI process is gone: a fault follows
                log.error("bridge: could not stop smoothly: %s", exc)
            now = local_clock()
        log.warning("bridge: %s (trial %s)", reason, motion.trial)
        self._broadcast(osc.encode(osc.ABORTED, ("i", motion.trial), ("s", reason), ("d", now)))

    def _reset(self) -> None:
        with self._lock:
            self._latched = False
            self._fault = None
            self._hb_armed = self.settings.require_heartbeat

    # -- supervision ------------------------------------------------------------------
    def _supervise_loop(self) -> None:
        period = 1.0 / self.settings.state_rate_hz
        next_tick = time.perf_counter()
        last_log = time.perf_counter()
        while not self._stop.is_set():
            try:
                self._tick()
            except Exception:
                self._count("internal_error")
                log.exception("bridge: supervisor error")
            next_tick += period
            delay = next_tick - time.perf_counter()
            if delay < 0:
                next_tick = time.perf_counter()  # fell behind: do not burst
                delay = 0.0
            self._stop.wait(delay)
            if time.perf_counter() - last_log > 5.0:
                last_log = time.perf_counter()
                self._log_counters()

    def _tick(self) -> None:
        assert self.backend is not None
        now = local_clock()
        messages: list[bytes] = []
        lost_heartbeat = False
        with self._lock:
            snap = self.backend.poll(now)
            motion = self._motion
            if snap.fault is not None:
                self._counts["fault"] += 1
                self._fault = snap.fault
                messages.append(osc.encode(osc.FAULT, ("s", snap.fault)))
                if motion is not None:
                    if not motion.aborted:
                        self._counts["aborted"] += 1
                        messages.append(
                            osc.encode(
                                osc.ABORTED, ("i", motion.trial), ("s", snap.fault), ("d", now)
                            )
                        )
                    self._motion = None
            elif motion is not None and snap.moving is None and snap.finished:
                t_end = snap.finished[-1][1]
                if not motion.aborted:
                    self._counts["done"] += 1
                    messages.append(osc.encode(osc.DONE, ("i", motion.trial), ("d", t_end)))
                self._motion = None
            if motion is not None:
                messages.insert(0, osc.encode_state(snap.q, now, self.backend.name))
            if (
                self._motion is not None
                and not self._motion.aborted
                and self._hb_armed
                and now - max(self._last_hb, self._motion.started)
                > self.settings.heartbeat_timeout_s
            ):
                lost_heartbeat = True
                age = now - self._last_hb
        for msg in messages:
            self._broadcast(msg)
        if lost_heartbeat:
            reason = (
                f"heartbeat lost: none for {age:.2f} s "
                f"(timeout {self.settings.heartbeat_timeout_s:g} s); "
                "smooth stop, latched until /choreo/reset"
            )
            self._count("heartbeat_lost")
            self._broadcast(osc.encode(osc.FAULT, ("s", reason)))
            self._stop_motion(reason, latch=True)

    def _log_counters(self, force: bool = False) -> None:
        counts = self.counters()
        shown = {k: v for k, v in counts.items() if v}
        last = getattr(self, "_last_logged", {})
        if force or shown != last:
            self._last_logged = shown
            if shown:
                # New rejections are worth a warning; routine counts (plays, telegrams) are info.
                level = (
                    logging.WARNING
                    if shown.get("rejected", 0) != last.get("rejected", 0)
                    else logging.INFO
                )
                log.log(
                    level, "bridge counters: %s", ", ".join(f"{k}={v}" for k, v in shown.items())
                )


def run_bridge(settings: BridgeSettings, robot_config: Any = None, feed: Any = None) -> None:
    """Run a bridge until Ctrl-C (the ``choreo bridge`` command); ``feed`` (a
    :class:`choreo.dashboard.state.DashboardFeed`) gets its mode and pose 20 times a second."""
    import signal

    from choreo.ui.console import make_console

    def _terminate(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # SIGTERM closes like Ctrl-C: the RSI process ends too

    signal.signal(signal.SIGTERM, _terminate)
    console = make_console(stderr=True)
    bridge = Bridge(settings, robot_config).start()
    host, port = bridge.address
    reply = f"{settings.reply[0]}:{settings.reply[1]} and senders" if settings.reply else "senders"
    console.print(
        f"choreo bridge: OSC on {host}:{port}, replies to {reply}; "
        f"backend [bold]{bridge.backend_name}[/]"
        + (f", speed x{settings.speed:g}" if settings.speed != 1.0 else "")
    )
    try:
        while True:
            time.sleep(0.5 if feed is None else 0.05)
            if feed is not None:
                feed.publish_bridge(bridge)
    except KeyboardInterrupt:
        console.print("choreo bridge: stopping")
    finally:
        bridge.close()
