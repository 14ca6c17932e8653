"""The KUKA RSI backend: answers the controller's ``<Rob>`` telegrams with axis corrections.

The controller (an RSI context with an ETHERNET object and AXISCORR in absolute
mode) sends a ``<Rob>`` telegram every 4 ms (or 12 ms) to ``rsi_listen``; this
backend answers each within the cycle with ``<Sen><AK .../><IPOC>same</IPOC></Sen>``,
``AK`` being the setpoint minus the pose at the start of the RSI session
(:mod:`choreo.robot.rsi_xml`). While idle it answers with the correction that holds
the current setpoint.

The RSI thread does minimal work per telegram: parse, look up the precomputed
correction of the next sample, format, send. Planning happens elsewhere, before
:meth:`RsiBackend.begin`. The controller's clock paces the motion: one telegram,
one sample. Trajectories planned at another cycle are resampled to the
controller's (measured from the IPOC step).

A controller that goes silent for ``loss_timeout_s`` is lost: the running motion is
abandoned (the controller stops by itself when RSI stops) and :meth:`poll` reports
a fault once. When telegrams come again, a new RSI session starts from the pose the
controller then reports.
"""

from __future__ import annotations

import logging
import math
import socket
import sys
import threading

import numpy as np
from numpy.typing import NDArray
from pylsl import local_clock

from choreo.errors import InputError, StreamError
from choreo.robot.backends.base import Backend, Snapshot, Trajectory
from choreo.robot.realtime import make_current_thread_realtime
from choreo.robot.rsi_xml import DEFAULT_SEN_TYPE, format_sen, parse_rob

log = logging.getLogger(__name__)

#: Wall-clock time ahead of now at which a stop is spliced in (s).
SPLICE_AHEAD_S = 0.03
#: Python thread switch interval while RSI runs (s): a thread waiting for the GIL must
#: not miss a 4 ms cycle (the default is 5 ms).
SWITCH_INTERVAL_S = 0.0005


class RsiBackend(Backend):
    """Perform trajectories on a KUKA controller through Ethernet RSI.

    Parameters
    ----------
    listen : (host, port)
        Where the controller sends its telegrams.
    controller_ip : str, optional
        Accept telegrams only from this address; by default the first sender of a
        session is the controller and others are ignored (and counted).
    loss_timeout_s : float
        Silence after which the controller counts as lost.
    sen_type : str
        ``Type`` of ``<Sen>`` (the ``SENTYPE`` of the controller's RSI configuration).
    realtime : bool
        Ask for real-time scheduling of the RSI thread (:mod:`choreo.robot.realtime`).
    """

    def __init__(
        self,
        listen: tuple[str, int],
        controller_ip: str | None = None,
        loss_timeout_s: float = 0.25,
        sen_type: str = DEFAULT_SEN_TYPE,
        name: str = "rsi",
        realtime: bool = True,
    ) -> None:
        super().__init__()
        self.name = name
        self.listen = listen
        self.controller_ip = controller_ip
        self.loss_timeout_s = float(loss_timeout_s)
        self.sen_type = sen_type
        #: Ask for SCHED_FIFO for the RSI thread (True after start if it was granted).
        self.realtime = realtime
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._first_telegram = threading.Event()
        self._old_switch: float | None = None
        # Session state (under self._lock).
        self._peer: tuple[str, int] | None = None
        self._ref: NDArray[np.float64] | None = None  # pose at the session's start (deg)
        self._hold_ak = np.zeros(6)
        self._actual = np.zeros(6)
        self._last_rx = 0.0
        self._last_ipoc: int | None = None
        self.cycle_s: float | None = None
        self._traj: Trajectory | None = None
        self._corr: NDArray[np.float64] | None = None
        self._idx = 0
        self._splice: tuple[Trajectory, int, Trajectory, NDArray[np.float64]] | None = None
        self._finished: list[tuple[Trajectory, float]] = []
        self._faults: list[str] = []
        self._lost: str | None = None
        #: LSL time of the first answer of the last trajectory begun (for latency figures).
        self.first_answer_t: float | None = None
        #: Per-telegram answer work time (s) of the last answers, for the benchmark.
        self.answer_work_s: list[float] = []
        self.record_work = False
        self._counters = {"rsi_telegrams": 0, "rsi_bad_telegrams": 0, "rsi_foreign": 0}

    # -- lifecycle --------------------------------------------------------------------
    @property
    def address(self) -> tuple[str, int]:
        """The bound (host, port) of the RSI socket."""
        if self._sock is None:
            return self.listen
        host, port = self._sock.getsockname()[:2]
        return str(host), int(port)

    def start(self) -> None:
        """Bind the RSI socket and start answering telegrams."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind(self.listen)
        except OSError as exc:
            sock.close()
            raise StreamError(
                f"RSI: cannot listen on {self.listen[0]}:{self.listen[1]}: {exc.strerror}"
            ) from None
        sock.settimeout(0.05)
        self._sock = sock
        self._old_switch = sys.getswitchinterval()
        sys.setswitchinterval(min(self._old_switch, SWITCH_INTERVAL_S))
        self._thread = threading.Thread(target=self._run, name="rsi", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop answering (the controller then stops RSI by its timeout) and close."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        if self._sock is not None:
            self._sock.close()
        if self._old_switch is not None:
            sys.setswitchinterval(self._old_switch)
            self._old_switch = None

    def wait_for_controller(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for a first telegram; True if one came."""
        return self._first_telegram.wait(timeout)

    # -- the RSI thread ---------------------------------------------------------------
    def _run(self) -> None:
        assert self._sock is not None
        sock = self._sock
        if self.realtime:
            self.realtime = make_current_thread_realtime()
        while not self._stop.is_set():
            try:
                data, addr = sock.recvfrom(4096)
            except TimeoutError:
                continue
            except OSError:
                if self._stop.is_set():
                    return
                continue
            t_rx = local_clock()
            self._answer(sock, data, addr, t_rx)

    def _answer(
        self, sock: socket.socket, data: bytes, addr: tuple[str, int], t_rx: float
    ) -> None:
        counters = self._counters
        if self.controller_ip is not None and addr[0] != self.controller_ip:
            counters["rsi_foreign"] += 1
            return
        try:
            tel = parse_rob(data)
        except InputError:
            counters["rsi_bad_telegrams"] += 1
            return
        with self._lock:
            live = t_rx - self._last_rx <= self.loss_timeout_s
            if self._peer is not None and addr != self._peer and live:
                counters["rsi_foreign"] += 1
                return
            if self._ref is None or t_rx - self._last_rx > self.loss_timeout_s:
                self._lose_session(t_rx)  # no-op without a session
                self._ref = np.array(tel.aspos if tel.aspos is not None else tel.aipos)
                self._hold_ak = np.zeros(6)
                self._peer = addr
                self._last_ipoc = None
                self._lost = None
                log.info(
                    "RSI session from %s:%d at %s", addr[0], addr[1], self._ref.round(3).tolist()
                )
            if self._last_ipoc is not None and self.cycle_s is None:
                step = tel.ipoc - self._last_ipoc
                if step in (4, 12):
                    self.cycle_s = step / 1000.0
            self._last_ipoc = tel.ipoc
            self._last_rx = t_rx
            self._actual = np.array(tel.aipos)
            counters["rsi_telegrams"] += 1
            ak = self._next_correction(t_rx)
        sock.sendto(format_sen(ak, tel.ipoc, self.sen_type), addr)
        self._first_telegram.set()
        if self.record_work:
            self.answer_work_s.append(local_clock() - t_rx)

    def _next_correction(self, t_rx: float) -> tuple[float, ...]:
        """Correction to send now: the next sample of the running trajectory or the hold."""
        traj, corr = self._traj, self._corr
        if traj is None or corr is None:
            return tuple(self._hold_ak.tolist())
        if self._splice is not None and self._splice[1] == self._idx and self._splice[0] is traj:
            _, _, traj, corr = self._splice
            self._traj, self._corr, self._idx, self._splice = traj, corr, 0, None
        i = self._idx
        if i == 0 and traj.kind != "stop":
            self.first_answer_t = t_rx
        ak = corr[i]
        if i >= traj.n - 1:
            self._hold_ak = ak.copy()
            self._finished.append((traj, t_rx))
            self._traj = self._corr = None
            self._splice = None
        else:
            self._idx = i + 1
        return tuple(ak.tolist())

    def _lose_session(self, now: float) -> None:
        """End the session (under the lock): abandon the motion, report a fault once."""
        if self._ref is None or self._peer is None:
            return
        reason = (
            f"RSI controller {self._peer[0]}:{self._peer[1]} lost: "
            f"no telegram for {now - self._last_rx:.2f} s"
        )
        if self._traj is not None:
            reason += " during a motion"
        self._faults.append(reason)
        self._lost = reason
        log.warning(reason)
        self._ref = None
        self._traj = self._corr = None
        self._splice = None

    # -- the bridge's side ------------------------------------------------------------
    def not_ready(self) -> str | None:
        """Why no motion can start: no controller yet, or it was lost."""
        with self._lock:
            if self._ref is not None:
                return None
            if self._lost is not None:
                return self._lost
        host, port = self.address
        return f"no RSI controller has sent telegrams to {host}:{port}"

    def commanded(self) -> NDArray[np.float64]:
        """Current setpoint (deg): session start pose plus the correction last sent."""
        with self._lock:
            if self._ref is None:
                return self._actual.copy()
            if self._traj is not None and self._corr is not None:
                return self._ref + self._corr[max(self._idx - 1, 0)]
            return self._ref + self._hold_ak

    def _at_cycle(self, traj: Trajectory) -> Trajectory:
        return traj.resampled(self.cycle_s) if self.cycle_s is not None else traj

    def begin(self, traj: Trajectory, t: float) -> None:
        """Send ``traj``'s setpoints from the next telegram on."""
        traj = self._at_cycle(traj)
        with self._lock:
            if self._ref is None:
                raise StreamError(self._lost or "no RSI controller")
            self._corr = traj.q - self._ref
            self._traj, self._idx, self._splice = traj, 0, None

    def progress(self) -> tuple[Trajectory | None, float]:
        """Running trajectory (at the controller's cycle) and the next sample index."""
        with self._lock:
            return self._traj, float(self._idx)

    def splice(self, current: Trajectory, at: int, new: Trajectory) -> bool:
        """Switch to ``new`` when sample ``at`` of ``current`` is due."""
        new = self._at_cycle(new)
        with self._lock:
            if self._traj is not current or self._idx > at or self._ref is None:
                return False
            self._splice = (current, at, new, new.q - self._ref)
            return True

    def pose(self, now: float) -> NDArray[np.float64]:
        """Actual pose from the last telegram (deg)."""
        with self._lock:
            return self._actual.copy()

    def counters(self) -> dict[str, int]:
        """Telegrams answered, unreadable, and from other senders."""
        return dict(self._counters)

    def poll(self, now: float) -> Snapshot:
        """Actual pose (from the last telegram), finished trajectories and faults."""
        with self._lock:
            if self._ref is not None and now - self._last_rx > self.loss_timeout_s:
                self._lose_session(now)
            finished, self._finished = self._finished, []
            fault = "; ".join(self._faults) if self._faults else None
            self._faults = []
            return Snapshot(
                q=self._actual.copy(), moving=self._traj, finished=finished, fault=fault
            )

    @property
    def lookahead_samples(self) -> int:
        """Samples covering :data:`SPLICE_AHEAD_S` at the controller's cycle."""
        return max(2, math.ceil(SPLICE_AHEAD_S / (self.cycle_s or 0.004)))
