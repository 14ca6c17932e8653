"""A fake KUKA controller speaking Ethernet RSI XML over UDP, for tests and benchmarks.

It behaves like a KR C4 running an RSI context with an ``ETHERNET`` object and an
``AXISCORR`` object in absolute mode:

- every cycle (4 ms ``#IPO_FAST`` or 12 ms ``#IPO``) it sends a ``<Rob>`` telegram to
  the sensor PC with the actual axis positions, the setpoint, the count of late
  answers (``<Delay D=..>``) and the ``IPOC`` cycle counter (ms);
- an answer ``<Sen>`` carrying the same ``IPOC`` that arrives within the cycle sets
  the new setpoint ``start pose + AK``; the robot reaches it by the next cycle
  (ideal tracking); an answer that misses its cycle is discarded and the last
  setpoint is held (``HOLDON``);
- after ``max_late`` answers missed (late or never arrived; cumulative, like the
  ``Timeout`` parameter of the ETHERNET object), RSI stops: the controller says so
  and sends no more telegrams.

Answer latencies are measured from the send time to the kernel's receive timestamp
of the answer (``SO_TIMESTAMPNS``), so a busy test process delaying this thread
does not make an answer look late that arrived in time.
"""

from __future__ import annotations

import contextlib
import logging
import select
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from choreo.errors import InputError
from choreo.robot.realtime import RT_PRIORITY, make_current_thread_realtime
from choreo.robot.rsi_xml import format_rob, parse_sen
from choreo.robot.rx_stamps import ANCILLARY_BYTES, enable_rx_stamps, rx_stamp_ns

log = logging.getLogger(__name__)

#: Sensor cycles a KUKA controller offers (ms).
CYCLES_MS = (4, 12)
#: Missed answers after which a real controller stops RSI (``Timeout`` = 100).
DEFAULT_MAX_LATE = 100


@dataclass
class FakeKukaStats:
    """Counters of the RSI exchange, as the controller sees it.

    Attributes
    ----------
    sent : int
        Telegrams sent.
    answered : int
        Answers with the right IPOC that arrived within their cycle.
    missed : int
        Cycles whose answer did not arrive within the cycle (late or never).
    late : int
        Answers that arrived after their cycle ended (a subset of ``missed``).
    foreign : int
        Datagrams that were not a valid answer to any telegram sent.
    overruns : int
        Cycles this fake controller itself sent late by more than one cycle
        (its own scheduling, not the sensor PC's fault).
    latencies_s : list of float
        Latency of each in-time answer (s).
    missed_at : list of int
        Telegram numbers (0 = first sent) whose answer missed its cycle.
    overrun_at : list of int
        Telegram numbers sent more than one cycle late (this fake's own scheduling).
    max_speed_deg_s, max_accel_deg_s2 : ndarray (6,)
        Largest setpoint speed and acceleration per axis seen from the corrections.
    stopped_reason : str or None
        Why RSI stopped, if it did.
    """

    sent: int = 0
    answered: int = 0
    missed: int = 0
    late: int = 0
    foreign: int = 0
    overruns: int = 0
    latencies_s: list[float] = field(default_factory=list)
    missed_at: list[int] = field(default_factory=list)
    overrun_at: list[int] = field(default_factory=list)
    max_speed_deg_s: NDArray[np.float64] = field(default_factory=lambda: np.zeros(6))
    max_accel_deg_s2: NDArray[np.float64] = field(default_factory=lambda: np.zeros(6))
    stopped_reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Summary for JSON: counters and latency percentiles (ms)."""
        lat = np.asarray(self.latencies_s) * 1e3
        pct = {f"p{p}": float(np.percentile(lat, p)) if lat.size else None for p in (50, 90, 99)}
        return {
            "sent": self.sent,
            "answered": self.answered,
            "missed": self.missed,
            "late": self.late,
            "foreign": self.foreign,
            "overruns": self.overruns,
            "latency_ms": {**pct, "max": float(lat.max()) if lat.size else None},
            "max_speed_deg_s": self.max_speed_deg_s.round(3).tolist(),
            "max_accel_deg_s2": self.max_accel_deg_s2.round(1).tolist(),
            "stopped_reason": self.stopped_reason,
            "missed_at": self.missed_at[:50],
            "overrun_at": self.overrun_at[:50],
        }


def _flange_pose_mm_deg(q_deg: NDArray[np.float64]) -> tuple[float, ...] | None:
    """Flange X, Y, Z (mm) and Z-Y-X Euler A, B, C (deg) of the URDF chain, if kr6 is there."""
    try:
        from choreo.robot.kr6 import joint_frames
    except ImportError:  # the robot model is optional for the exchange itself
        return None
    frame = joint_frames(q_deg)[6]
    rot = frame[:3, :3]
    a = np.degrees(np.arctan2(rot[1, 0], rot[0, 0]))
    b = np.degrees(np.arcsin(-np.clip(rot[2, 0], -1.0, 1.0)))
    c = np.degrees(np.arctan2(rot[2, 1], rot[2, 2]))
    x, y, z = frame[:3, 3] * 1e3
    return (float(x), float(y), float(z), float(a), float(b), float(c))


class FakeKukaController:
    """A simulated KUKA controller running RSI against a sensor PC at ``target``.

    Parameters
    ----------
    target : (host, port)
        Where the RSI configuration sends its telegrams (the bridge's ``--rsi-listen``).
    start_deg : array_like (6,), optional
        Axis positions when RSI starts (deg); HOME by default.
    cycle_ms : int
        Sensor cycle, 4 or 12 ms.
    max_late : int
        Missed answers after which RSI stops.
    bind : (host, port)
        Local address of the controller's socket.
    record : bool
        Keep every cycle's setpoint in :attr:`setpoints` (for tests).
    with_cartesian : bool
        Send ``<RIst>`` computed from the KR6 forward kinematics.
    realtime : bool
        Ask for real-time scheduling of the cycle thread, as a real controller has.
    """

    def __init__(
        self,
        target: tuple[str, int],
        start_deg: ArrayLike | None = None,
        cycle_ms: int = 4,
        max_late: int = DEFAULT_MAX_LATE,
        bind: tuple[str, int] = ("127.0.0.1", 0),
        record: bool = False,
        with_cartesian: bool = False,
        realtime: bool = True,
    ) -> None:
        if cycle_ms not in CYCLES_MS:
            raise InputError(f"fake-kuka: --cycle-ms must be 4 or 12, got {cycle_ms}")
        if start_deg is None:
            from choreo.robot.kr6 import HOME_DEG

            start_deg = HOME_DEG
        self.target = target
        self.cycle_ms = cycle_ms
        self.max_late = max_late
        self.record = record
        self.with_cartesian = with_cartesian
        self.realtime = realtime
        self.start_deg = np.array(start_deg, dtype=np.float64).reshape(6)
        if with_cartesian:
            # Import now: an import inside the cycle thread would stall its first cycles.
            _flange_pose_mm_deg(self.start_deg)
        self.stats = FakeKukaStats()
        self.setpoints: list[NDArray[np.float64]] = []
        self._setpoint = self.start_deg.copy()
        self._actual = self.start_deg.copy()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._finished = threading.Event()
        self._thread: threading.Thread | None = None
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(bind)
        self._sock.setblocking(False)
        enable_rx_stamps(self._sock)

    # -- public -----------------------------------------------------------------------
    @property
    def address(self) -> tuple[str, int]:
        """Local (host, port) the telegrams come from."""
        host, port = self._sock.getsockname()[:2]
        return str(host), int(port)

    @property
    def position(self) -> NDArray[np.float64]:
        """Actual axis positions A1..A6 (deg)."""
        with self._lock:
            return self._actual.copy()

    @property
    def running(self) -> bool:
        """True while RSI runs (telegrams are being sent)."""
        return self._thread is not None and not self._finished.is_set()

    def start(self) -> FakeKukaController:
        """Start RSI in a background thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="fake-kuka", daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        """Stop RSI (no more telegrams) and close the socket."""
        self._stop.set()
        if self._thread is not None:
            # An Event, not join(): a join interrupted by Ctrl-C can return early.
            self._finished.wait(timeout=2.0)
        self._sock.close()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until RSI stops by itself; True if it did."""
        if self._thread is None:
            return True
        return self._finished.wait(timeout)

    def __enter__(self) -> FakeKukaController:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- the cycle --------------------------------------------------------------------
    def _receive(self) -> tuple[bytes, int] | None:
        """One datagram and its arrival time (ns, CLOCK_REALTIME), or None when none waits."""
        try:
            data, anc, _flags, _addr = self._sock.recvmsg(4096, ANCILLARY_BYTES)
        except (BlockingIOError, InterruptedError):
            return None
        except OSError:  # e.g. ICMP port unreachable reported on the socket
            if self._stop.is_set():
                return None
            return b"", time.time_ns()
        stamp = rx_stamp_ns(anc)
        return data, stamp if stamp is not None else time.time_ns()

    def _run(self) -> None:
        try:
            self._cycle()
        finally:
            self._finished.set()

    def _cycle(self) -> None:
        if self.realtime:
            self.realtime = make_current_thread_realtime()
        cycle_ns = self.cycle_ms * 1_000_000
        ipoc = int(time.time() * 1000) % 1_000_000_000
        pending: tuple[int, int] | None = None  # (ipoc, sent ns) awaiting its answer
        answered_pending = False
        next_ak: NDArray[np.float64] | None = None
        prev_cmd = self.start_deg.copy()
        prev_vel = np.zeros(6)
        have_vel = False
        next_ns = time.time_ns()
        stats = self.stats
        try:
            while not self._stop.is_set():
                # Wait for the next cycle, taking answers as they come; drain once more
                # at the cycle's end in case this thread woke late.
                while True:
                    remaining = next_ns - time.time_ns()
                    if remaining > 0:
                        select.select([self._sock], [], [], remaining / 1e9)
                    while (got := self._receive()) is not None:
                        data, stamp = got
                        try:
                            sen = parse_sen(data)
                        except InputError:
                            stats.foreign += 1
                            continue
                        if pending is not None and sen.ipoc == pending[0] and not answered_pending:
                            if stamp - pending[1] <= cycle_ns:
                                answered_pending = True
                                stats.answered += 1
                                stats.latencies_s.append(max(stamp - pending[1], 0) / 1e9)
                                next_ak = np.array(sen.ak)
                            else:
                                stats.late += 1
                        elif sen.ipoc < ipoc:
                            stats.late += 1
                        else:
                            stats.foreign += 1
                    if remaining <= 0 or self._stop.is_set():
                        break
                now_ns = time.time_ns()
                if now_ns - next_ns > cycle_ns:
                    stats.overruns += 1
                    stats.overrun_at.append(stats.sent)
                    next_ns = now_ns
                # Close the cycle of the telegram sent last.
                if pending is not None and not answered_pending:
                    stats.missed += 1
                    stats.missed_at.append(stats.sent - 1)
                    if stats.missed >= self.max_late:
                        stats.stopped_reason = (
                            f"RSI stopped: {stats.missed} answers missed "
                            f"their {self.cycle_ms} ms cycle"
                        )
                        log.warning("fake-kuka: %s", stats.stopped_reason)
                        return
                # The robot reached the last accepted setpoint; apply the newest correction.
                with self._lock:
                    self._actual = self._setpoint.copy()
                    if next_ak is not None:
                        self._setpoint = self.start_deg + next_ak
                        next_ak = None
                    cmd = self._setpoint.copy()
                    actual = self._actual.copy()
                vel = (cmd - prev_cmd) / (self.cycle_ms / 1000.0)
                np.maximum(stats.max_speed_deg_s, np.abs(vel), out=stats.max_speed_deg_s)
                if have_vel:
                    acc = np.abs(vel - prev_vel) / (self.cycle_ms / 1000.0)
                    np.maximum(stats.max_accel_deg_s2, acc, out=stats.max_accel_deg_s2)
                prev_cmd, prev_vel, have_vel = cmd, vel, True
                if self.record:
                    self.setpoints.append(cmd)
                rist = _flange_pose_mm_deg(actual) if self.with_cartesian else None
                telegram = format_rob(ipoc, actual.tolist(), cmd.tolist(), rist, stats.missed)
                sent_ns = time.time_ns()
                # A controller keeps its cycle even when the network is down.
                with contextlib.suppress(OSError):
                    self._sock.sendto(telegram, self.target)
                stats.sent += 1
                pending, answered_pending = (ipoc, sent_ns), False
                ipoc += self.cycle_ms
                next_ns += cycle_ns
        except OSError as exc:  # socket closed under us by stop()
            if not self._stop.is_set():
                stats.stopped_reason = f"RSI stopped: socket error {exc}"


def run_fake_kuka(
    target: tuple[str, int],
    cycle_ms: int = 4,
    duration_s: float | None = None,
    start_deg: ArrayLike | None = None,
    bind: tuple[str, int] = ("127.0.0.1", 0),
    json_path: str | None = None,
) -> FakeKukaStats:
    """Run a fake controller until ``duration_s``, Ctrl-C or RSI stops (``choreo fake-kuka``).

    Prints the axis positions and counters once a second, and a summary at the end;
    writes the summary as JSON to ``json_path`` when given.
    """
    import json
    from pathlib import Path

    from choreo.ui.console import make_console

    console = make_console(stderr=True)
    # Everything the main thread does later is imported and rendered once before the
    # cycle thread starts, and thread switches are quick: the cycle must not wait.
    sys.setswitchinterval(0.0005)
    # The main thread prints once a second; holding the GIL it must not be preempted by
    # ordinary processes while the cycle thread waits for it (priority inversion).
    make_current_thread_realtime(RT_PRIORITY - 10)
    fake = FakeKukaController(target, start_deg, cycle_ms, bind=bind, with_cartesian=True)
    console.print(
        f"fake-kuka: RSI telegrams every {cycle_ms} ms from {fake.address[0]}:{fake.address[1]} "
        f"to {target[0]}:{target[1]}"
    )
    s = fake.stats
    pose = " ".join(f"A{i + 1}={v:8.3f}" for i, v in enumerate(fake.position))
    console.print(f"{pose}  answered={s.answered} missed={s.missed} late={s.late}")
    fake.start()
    t_end = None if not duration_s else time.monotonic() + duration_s
    try:
        while fake.running and (t_end is None or time.monotonic() < t_end):
            fake.wait(1.0 if t_end is None else max(0.0, min(1.0, t_end - time.monotonic())))
            s = fake.stats
            pose = " ".join(f"A{i + 1}={v:8.3f}" for i, v in enumerate(fake.position))
            console.print(f"{pose}  answered={s.answered} missed={s.missed} late={s.late}")
    except KeyboardInterrupt:
        console.print("fake-kuka: interrupted")
    finally:
        fake.stop()
    stats = fake.stats
    summary = {
        "target": f"{target[0]}:{target[1]}",
        "cycle_ms": cycle_ms,
        **stats.as_dict(),
        "position_deg": fake.position.round(4).tolist(),
    }
    if stats.stopped_reason:
        console.print(f"fake-kuka: {stats.stopped_reason}")
    lat = summary["latency_ms"]
    console.print(
        f"fake-kuka: {stats.sent} telegrams, {stats.answered} answered in time, "
        f"{stats.missed} missed, latency p50 {lat['p50'] or 0:.3f} ms p99 {lat['p99'] or 0:.3f} ms"
    )
    if json_path:
        Path(json_path).write_text(json.dumps(summary, indent=2) + "\n")
    return stats
