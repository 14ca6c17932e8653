"""The KUKA RSI backend: answers the controller's ``<Rob>`` telegrams with axis corrections.

The controller (an RSI context with an ETHERNET object and AXISCORR in absolute
mode) sends a ``<Rob>`` telegram every 4 ms (or 12 ms) to ``rsi_listen``; the
backend answers each within the cycle with ``<Sen><AK .../><IPOC>same</IPOC></Sen>``,
``AK`` being the setpoint minus the pose at the start of the RSI session
(:mod:`choreo.robot.rsi_xml`). While idle it answers with the correction that holds
the current setpoint.

Process layout: the exchange runs in its own process (``python -m
choreo.robot.rsi_process``), one thread, with real-time scheduling where permitted
(:mod:`choreo.robot.realtime`). Measured reason: planning and checking a choreography
in the bridge holds Python's GIL for up to ~10 ms at a stretch, longer than a 4 ms
cycle, and even short holds by other threads become long when the OS preempts
them. In its own process the loop never waits for another thread. Per telegram it
parses, looks up the precomputed correction of the next sample, formats and sends.

The bridge talks to it through :class:`RsiBackend` over pipes (pickle frames, see
:mod:`choreo.robot.pipe_frames`): trajectories and stop requests in; poses (every
~10 ms), session starts, finished motions and faults out. A stop is planned inside
the RSI process (``plan_stop`` from the sample about to be sent, ~0.5 ms), so the
switch is continuous and never races the cycle.

A controller that goes silent for ``loss_timeout_s`` is lost: the motion is
abandoned (the controller stops by itself when RSI stops) and a fault is reported
once. When telegrams come again, a new RSI session starts from the pose the
controller then reports. The controller's clock paces the motion: one telegram,
one sample; trajectories planned at another cycle are resampled to the
controller's (measured from the IPOC step).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import queue
import select
import socket
import subprocess
import sys
import threading
import time
from array import array
from typing import IO, Any

import numpy as np
from numpy.typing import NDArray
from pylsl import local_clock

from choreo.errors import InputError, StreamError
from choreo.robot.backends.base import Backend, Snapshot, Trajectory
from choreo.robot.pipe_frames import read_frame, write_frame
from choreo.robot.realtime import make_current_thread_realtime
from choreo.robot.rsi_xml import DEFAULT_SEN_TYPE, format_sen, parse_rob
from choreo.robot.rx_stamps import ANCILLARY_BYTES, enable_rx_stamps, rx_stamp_ns
from choreo.runtime import configure_process

log = logging.getLogger(__name__)

#: Seconds between pose reports of the RSI process.
POSE_PERIOD_S = 0.01


class RsiLoop:
    """The exchange with the controller (runs inside the RSI process).

    Parameters
    ----------
    sock : socket
        Bound UDP socket the controller sends to.
    out : binary stream
        Where events go (the pipe to the bridge).
    cfg : RobotConfig
        For planning smooth stops.
    controller_ip, loss_timeout_s, sen_type :
        As for :class:`RsiBackend`.
    """

    def __init__(
        self,
        sock: socket.socket,
        out: IO[bytes],
        cfg: Any,
        controller_ip: str | None,
        loss_timeout_s: float,
        sen_type: str,
    ) -> None:
        self.sock = sock
        self.out = out
        self.cfg = cfg
        self.controller_ip = controller_ip
        self.loss_timeout_s = loss_timeout_s
        self.sen_type = sen_type
        self.peer: tuple[str, int] | None = None
        self.ref: NDArray[np.float64] | None = None
        self.hold_ak = np.zeros(6)
        self.actual = np.zeros(6)
        self.last_rx = 0.0
        self.last_ipoc: int | None = None
        self.cycle_s: float | None = None
        self.traj_id: int | None = None
        self.q: NDArray[np.float64] | None = None
        self.qd: NDArray[np.float64] | None = None
        self.corr: NDArray[np.float64] | None = None
        self.idx = 0
        self.announce = False
        self.next_pose = 0.0
        self.counters = {"rsi_telegrams": 0, "rsi_bad_telegrams": 0, "rsi_foreign": 0}
        #: Per answer: kernel arrival of the telegram -> answer sent, us.
        self.latencies_us = array("f")
        enable_rx_stamps(sock)

    def emit(self, *event: Any) -> None:
        write_frame(self.out, event)

    # -- telegrams --------------------------------------------------------------------
    def on_datagram(self, data: bytes, addr: tuple[str, int], t_rx: float) -> None:
        counters = self.counters
        if self.controller_ip is not None and addr[0] != self.controller_ip:
            counters["rsi_foreign"] += 1
            return
        try:
            tel = parse_rob(data)
        except InputError:
            counters["rsi_bad_telegrams"] += 1
            return
        live = self.ref is not None and t_rx - self.last_rx <= self.loss_timeout_s
        if live and addr != self.peer:
            counters["rsi_foreign"] += 1
            return
        if not live:
            self.lose(t_rx)
            self.ref = np.array(tel.aspos if tel.aspos is not None else tel.aipos)
            self.hold_ak = np.zeros(6)
            self.peer = addr
            self.last_ipoc = None
            self.cycle_s = None
        if self.last_ipoc is not None and self.cycle_s is None:
            # The session is announced once the cycle is known (second telegram), so
            # that every motion is resampled to the controller's cycle.
            step = tel.ipoc - self.last_ipoc
            self.cycle_s = step / 1000.0 if step in (4, 12) else 0.004
            assert self.ref is not None
            self.emit("session", self.ref.copy(), addr, self.cycle_s)
        self.last_ipoc = tel.ipoc
        self.last_rx = t_rx
        self.actual = np.array(tel.aipos)
        counters["rsi_telegrams"] += 1
        ak = self.next_correction(t_rx)
        self.sock.sendto(format_sen(ak, tel.ipoc, self.sen_type), addr)
        if t_rx >= self.next_pose:
            self.report_pose(t_rx)

    def next_correction(self, t_rx: float) -> tuple[float, ...]:
        """The correction to send now: the next sample of the motion, or the hold."""
        corr = self.corr
        if corr is None:
            return tuple(self.hold_ak.tolist())
        i = self.idx
        ak = corr[i]
        if self.announce:
            self.announce = False
            self.emit("started", self.traj_id, t_rx)
        if i >= corr.shape[0] - 1:
            self.hold_ak = ak.copy()
            assert self.ref is not None
            self.emit("finished", self.traj_id, t_rx, self.ref + ak)
            self.corr = self.q = self.qd = None
            self.traj_id = None
        else:
            self.idx = i + 1
        return tuple(ak.tolist())

    def record_latency(self, anc: list[tuple[int, int, bytes]]) -> None:
        """Kernel arrival of the telegram -> answer sent (us), when the kernel stamped it."""
        stamp = rx_stamp_ns(anc)
        if stamp is not None:
            self.latencies_us.append((time.time_ns() - stamp) / 1e3)

    def report_pose(self, now: float) -> None:
        self.next_pose = now + POSE_PERIOD_S
        cmd = self.commanded()
        self.emit("pose", self.actual.copy(), cmd, self.traj_id, self.cycle_s, dict(self.counters))

    def commanded(self) -> NDArray[np.float64]:
        if self.ref is None:
            return self.actual.copy()
        if self.corr is not None:
            return self.ref + self.corr[max(self.idx - 1, 0)]
        return self.ref + self.hold_ak

    def lose(self, now: float) -> None:
        """End the session (if any): abandon the motion, report a fault."""
        if self.ref is None or self.peer is None:
            return
        reason = (
            f"RSI controller {self.peer[0]}:{self.peer[1]} lost: "
            f"no telegram for {now - self.last_rx:.2f} s"
        )
        if self.corr is not None:
            reason += " during a motion"
        self.ref = None
        self.corr = self.q = self.qd = None
        self.traj_id = None
        self.emit("fault", reason)

    # -- commands from the bridge -----------------------------------------------------
    def _at_cycle(self, traj: Trajectory) -> Trajectory:
        return traj.resampled(self.cycle_s) if self.cycle_s is not None else traj

    def on_command(self, cmd: tuple[Any, ...]) -> bool:
        """Handle one command; False on "close"."""
        kind = cmd[0]
        if kind == "close":
            return False
        if kind == "begin":
            _, traj_id, traj = cmd
            if self.ref is None:
                self.emit("refused", traj_id, "no RSI session")
                return True
            traj = self._at_cycle(traj)
            self.q, self.qd = traj.q, traj.qd
            self.corr = traj.q - self.ref
            self.idx, self.traj_id, self.announce = 0, traj_id, True
        elif kind == "latencies":
            self.emit("latencies", self.latencies_us.tobytes())
        elif kind == "stop":
            self.stop(cmd[1])
        return True

    def stop(self, traj_id: int) -> None:
        """Replace the rest of the motion by a smooth stop from the sample about to be sent."""
        from choreo.robot.safety import plan_stop

        if self.corr is None or self.traj_id != traj_id or self.q is None or self.qd is None:
            return
        assert self.ref is not None
        i = self.idx
        if i >= self.q.shape[0] - 1:
            return  # it ends at rest now anyway
        stop = Trajectory.from_plan(plan_stop(self.q[i], self.qd[i], self.cfg), "stop")
        stop = self._at_cycle(stop)
        # Sample 0 of the stop is sample i of the motion: continuous.
        self.q, self.qd = stop.q, stop.qd
        self.corr = stop.q - self.ref
        self.idx = 0

    # -- the loop ---------------------------------------------------------------------
    def run(self, commands: IO[bytes]) -> None:
        # Commands are read by a helper thread: a 60 s trajectory is ~1.4 MB, and reading
        # it in this loop would block while the bridge writes it (measured: 5 cycles
        # missed). The helper wakes the loop through a socket pair.
        inbox: queue.SimpleQueue[tuple[Any, ...] | None] = queue.SimpleQueue()
        wake_r, wake_w = socket.socketpair()
        wake_r.setblocking(False)

        def read_commands() -> None:
            while True:
                try:
                    cmd = read_frame(commands)
                except (EOFError, OSError, ValueError):
                    cmd = None
                inbox.put(cmd)
                with contextlib.suppress(OSError):
                    wake_w.send(b"x")
                if cmd is None or cmd[0] == "close":
                    return

        threading.Thread(target=read_commands, name="rsi-commands", daemon=True).start()
        sock = self.sock
        sock.setblocking(False)
        sock_fd = sock.fileno()
        wake_fd = wake_r.fileno()
        while True:
            ready, _, _ = select.select([sock_fd, wake_fd], [], [], 0.02)
            if sock_fd in ready:
                while True:
                    try:
                        data, anc, _flags, addr = sock.recvmsg(4096, ANCILLARY_BYTES)
                    except (BlockingIOError, InterruptedError):
                        break
                    except OSError:
                        break
                    self.on_datagram(data, addr, local_clock())
                    self.record_latency(anc)
            if wake_fd in ready:
                with contextlib.suppress(OSError):
                    wake_r.recv(64)
            while not inbox.empty():
                cmd = inbox.get()
                if cmd is None or not self.on_command(cmd):
                    return
            now = local_clock()
            if self.ref is not None and now - self.last_rx > self.loss_timeout_s:
                self.lose(now)
            if now >= self.next_pose:
                self.report_pose(now)


def _warm_up(cfg: Any) -> None:
    """Run once what the first motion and the first stop will run: first calls import
    helpers and allocate (measured: the first play's hand-over took ~23 ms against
    5-9 ms later), and inside the loop that time would come out of a 4 ms cycle."""
    import pickle

    from choreo.robot.kr6 import HOME_DEG
    from choreo.robot.safety import plan_stop

    stop = Trajectory.from_plan(plan_stop(HOME_DEG, np.full(6, 10.0), cfg), "stop")
    pickle.loads(pickle.dumps(stop, protocol=pickle.HIGHEST_PROTOCOL)).resampled(0.012)


def child_main() -> None:
    """Entry of the RSI process: read the settings frame, bind, run the loop."""
    commands = os.fdopen(sys.stdin.fileno(), "rb", buffering=0)
    out = sys.stdout.buffer
    init = read_frame(commands)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind(init["listen"])
    except OSError as exc:
        host, port = init["listen"]
        write_frame(out, ("error", f"RSI: cannot listen on {host}:{port}: {exc.strerror}"))
        return
    realtime = make_current_thread_realtime() if init["realtime"] else False
    # The entry point of this process: stops are planned and trajectories unpickled
    # inside the cycle, so freed memory is kept (no page faults per plan).
    configure_process(quiet_lsl=False)
    sys.setswitchinterval(0.0005)  # the command reader thread must yield the GIL quickly
    _warm_up(init["cfg"])
    host, port = sock.getsockname()[:2]
    write_frame(out, ("bound", str(host), int(port), realtime))
    loop = RsiLoop(
        sock, out, init["cfg"], init["controller_ip"], init["loss_timeout_s"], init["sen_type"]
    )
    try:
        loop.run(commands)
    except (BrokenPipeError, EOFError):
        pass  # the bridge went away
    finally:
        sock.close()


class RsiBackend(Backend):
    """Perform trajectories on a KUKA controller through Ethernet RSI (bridge side).

    Parameters
    ----------
    cfg : RobotConfig
        Limits for the smooth stop planned in the RSI process.
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
        Ask for real-time scheduling of the RSI process.
    """

    def __init__(
        self,
        cfg: Any,
        listen: tuple[str, int],
        controller_ip: str | None = None,
        loss_timeout_s: float = 0.25,
        sen_type: str = DEFAULT_SEN_TYPE,
        name: str = "rsi",
        realtime: bool = True,
    ) -> None:
        super().__init__()
        self.cfg = cfg
        self.name = name
        self.listen = listen
        self.controller_ip = controller_ip
        self.loss_timeout_s = float(loss_timeout_s)
        self.sen_type = sen_type
        self.realtime = realtime
        self._proc: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None
        self._address = listen
        self._send_lock = threading.Lock()
        self._ids = itertools.count(1)
        self._session = threading.Event()
        self._live = False
        self._lost: str | None = None
        self._actual = np.zeros(6)
        self._cmd = np.zeros(6)
        self._moving: tuple[int, Trajectory] | None = None
        self._finished: list[tuple[Trajectory, float]] = []
        self._faults: list[str] = []
        self._counters: dict[str, int] = {}
        self.cycle_s: float | None = None
        #: LSL time of the first answer of the last motion begun (for latency figures).
        self.first_answer_t: float | None = None
        self._latencies = threading.Event()
        self._latency_us: NDArray[np.float32] = np.zeros(0, dtype=np.float32)

    # -- lifecycle --------------------------------------------------------------------
    @property
    def address(self) -> tuple[str, int]:
        """The bound (host, port) of the RSI socket."""
        return self._address

    def start(self) -> None:
        """Start the RSI process and wait until its socket is bound."""
        proc = subprocess.Popen(
            [sys.executable, "-m", "choreo.robot.rsi_process"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        assert proc.stdin is not None
        assert proc.stdout is not None
        self._proc = proc
        # A 60 s trajectory is ~1.4 MB: a larger pipe lets the bridge hand it over in one
        # write instead of ~22 round trips through the default 64 KB (Linux only).
        with contextlib.suppress(OSError, AttributeError):
            import fcntl

            fcntl.fcntl(proc.stdin.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
        write_frame(
            proc.stdin,
            {
                "listen": self.listen,
                "controller_ip": self.controller_ip,
                "loss_timeout_s": self.loss_timeout_s,
                "sen_type": self.sen_type,
                "cfg": self.cfg,
                "realtime": self.realtime,
            },
        )
        try:
            reply = read_frame(proc.stdout)
        except EOFError:
            reply = ("error", "RSI process did not start")
        if reply[0] != "bound":
            self.close()
            raise StreamError(reply[1])
        self._address = (reply[1], reply[2])
        self.realtime = bool(reply[3])
        # The first pickling of a trajectory is slow too (see _warm_up): do it now.
        import pickle

        pickle.dumps(Trajectory(np.zeros((2, 6)), np.zeros((2, 6)), 0.004, "play"), protocol=5)
        self._reader = threading.Thread(target=self._read_events, name="rsi-events", daemon=True)
        self._reader.start()

    def close(self) -> None:
        """Stop the RSI process (the controller then stops RSI by its timeout)."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        try:
            with self._send_lock:
                assert proc.stdin is not None
                write_frame(proc.stdin, ("close",))
                proc.stdin.close()
        except (BrokenPipeError, OSError, ValueError):
            pass
        try:
            proc.wait(timeout=2.0)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if self._reader is not None:
            self._reader.join(timeout=1.0)
        if proc.stdout is not None:
            proc.stdout.close()

    def wait_for_controller(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s for a first telegram; True if one came."""
        return self._session.wait(timeout)

    def _send(self, *cmd: Any) -> None:
        proc = self._proc
        if proc is None or proc.stdin is None:
            raise StreamError("RSI process is not running")
        with self._send_lock:
            try:
                write_frame(proc.stdin, cmd)
            except (BrokenPipeError, OSError) as exc:
                raise StreamError(f"RSI process is gone: {exc}") from None

    def _read_events(self) -> None:
        proc = self._proc
        assert proc is not None
        assert proc.stdout is not None
        stream = proc.stdout
        while True:
            try:
                event = read_frame(stream)
            except (EOFError, OSError, ValueError):
                if self._proc is not None:  # not closed by us: the process died
                    with self._lock:
                        self._faults.append("RSI process ended unexpectedly")
                        self._live = False
                        self._moving = None
                return
            self._on_event(event)

    def _on_event(self, event: tuple[Any, ...]) -> None:
        kind = event[0]
        with self._lock:
            if kind == "pose":
                _, self._actual, self._cmd, _traj_id, self.cycle_s, self._counters = event
            elif kind == "session":
                self._live, self._lost = True, None
                self._cmd = event[1]
                self._actual = event[1]
                log.info("RSI session from %s:%d at %s", *event[2], np.round(event[1], 3).tolist())
                self._session.set()
            elif kind == "started":
                if self._moving is not None and self._moving[0] == event[1]:
                    self.first_answer_t = event[2]
            elif kind == "finished":
                self._cmd = event[3]
                if self._moving is not None and self._moving[0] == event[1]:
                    self._finished.append((self._moving[1], event[2]))
                    self._moving = None
            elif kind == "fault":
                log.warning(event[1])
                self._faults.append(event[1])
                self._live, self._lost, self._moving = False, event[1], None
            elif kind == "latencies":
                self._latency_us = np.frombuffer(event[1], dtype=np.float32)
                self._latencies.set()
            elif kind == "refused" and self._moving is not None and self._moving[0] == event[1]:
                self._faults.append(f"RSI refused the motion: {event[2]}")
                self._moving = None

    # -- the bridge's side ------------------------------------------------------------
    def not_ready(self) -> str | None:
        """Why no motion can start: no controller yet, or it was lost."""
        with self._lock:
            if self._live:
                return None
            if self._lost is not None:
                return self._lost
        host, port = self.address
        return f"no RSI controller has sent telegrams to {host}:{port}"

    def commanded(self) -> NDArray[np.float64]:
        """Setpoint (deg) last reported by the RSI process."""
        with self._lock:
            return np.array(self._cmd, dtype=np.float64)

    def begin(self, traj: Trajectory, t: float) -> None:
        """Send ``traj`` to the RSI process; its setpoints go out from the next telegram."""
        traj_id = next(self._ids)
        with self._lock:
            if not self._live:
                raise StreamError(self._lost or "no RSI controller")
            self._moving = (traj_id, traj)
        self._send("begin", traj_id, traj)

    def stop_smoothly(self) -> None:
        """Ask the RSI process to stop the motion smoothly from its next sample."""
        with self._lock:
            moving = self._moving
        if moving is not None:
            self._send("stop", moving[0])

    def pose(self, now: float) -> NDArray[np.float64]:
        """Actual pose from the latest telegram (deg), as last reported."""
        with self._lock:
            return np.array(self._actual, dtype=np.float64)

    def answer_latencies_us(self, timeout: float = 2.0) -> NDArray[np.float32]:
        """Per answer so far: kernel arrival of the telegram -> answer sent (us)."""
        self._latencies.clear()
        self._send("latencies")
        if not self._latencies.wait(timeout):
            raise StreamError("RSI process did not report its latencies")
        with self._lock:
            return self._latency_us.copy()

    def counters(self) -> dict[str, int]:
        """Telegrams answered, unreadable, and from other senders."""
        with self._lock:
            return dict(self._counters)

    def poll(self, now: float) -> Snapshot:
        """Actual pose, finished motions and faults since the last poll."""
        with self._lock:
            finished, self._finished = self._finished, []
            fault = "; ".join(self._faults) if self._faults else None
            self._faults = []
            moving = self._moving[1] if self._moving is not None else None
            q = np.array(self._actual, dtype=np.float64)
        return Snapshot(q=q, moving=moving, finished=finished, fault=fault)
