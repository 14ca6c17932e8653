"""A client of the OSC bridge: send commands, hear the replies, follow a choreography.

The client sends from the same UDP socket it listens on, so the bridge (which
answers the senders of well-formed commands) reaches it on an ephemeral port.
Replies are kept in order until a :meth:`BridgeClient.wait_for` takes them, so a
reply that arrives before the wait is not lost; state messages are kept apart
(:attr:`BridgeClient.states`, :attr:`BridgeClient.latest_state`).
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import socket
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pythonosc.osc_packet import OscPacket, ParseError

from choreo.errors import StreamError
from choreo.robot import osc_protocol as osc

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class State:
    """One ``/choreo/state``: pose A1..A6 (deg), LSL time (s), backend, and local receive time."""

    q: NDArray[np.float64]
    t: float
    backend: str
    received: float


@dataclass(frozen=True)
class Reply:
    """One reply other than a state: its address and arguments."""

    address: str
    args: tuple[Any, ...]

    @property
    def trial(self) -> int | None:
        """The trial id of started, done, rejected and aborted replies."""
        if self.address in (osc.STARTED, osc.DONE, osc.REJECTED, osc.ABORTED) and self.args:
            return int(self.args[0])
        return None


class BridgeClient:
    """Talk to a bridge over OSC/UDP.

    Parameters
    ----------
    bridge : (host, port)
        The bridge's OSC address.
    listen : (host, port)
        Local address to send from and receive replies on (port 0: any free port).
    keep_states : int
        How many state messages :attr:`states` keeps.
    """

    def __init__(
        self,
        bridge: tuple[str, int] = ("127.0.0.1", 9000),
        listen: tuple[str, int] = ("127.0.0.1", 0),
        keep_states: int = 200_000,
    ) -> None:
        self.bridge = bridge
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(listen)
        self._sock.settimeout(0.1)
        self._cond = threading.Condition()
        self._replies: list[Reply] = []
        self.states: deque[State] = deque(maxlen=keep_states)
        self.latest_state: State | None = None
        #: State messages received so far.
        self.n_states = 0
        self._seq = itertools.count()
        self._closed = threading.Event()
        self._hb_stop: threading.Event | None = None
        self._thread = threading.Thread(target=self._receive, name="bridge-client", daemon=True)
        self._thread.start()

    # -- plumbing ---------------------------------------------------------------------
    @property
    def address(self) -> tuple[str, int]:
        """The local (host, port) replies come to."""
        host, port = self._sock.getsockname()[:2]
        return str(host), int(port)

    def send_raw(self, data: bytes) -> None:
        """Send any datagram to the bridge (tests send malformed ones)."""
        self._sock.sendto(data, self.bridge)

    def _send(self, address: str, *args: tuple[str, Any]) -> None:
        self.send_raw(osc.encode(address, *args))

    def _receive(self) -> None:
        while not self._closed.is_set():
            try:
                data, _ = self._sock.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                if self._closed.is_set():
                    return
                continue
            now = time.monotonic()
            try:
                messages = [m.message for m in OscPacket(data).messages]
            except ParseError:
                log.warning("client: unreadable datagram from the bridge")
                continue
            with self._cond:
                for msg in messages:
                    args = tuple(msg.params)
                    if msg.address == osc.STATE and len(args) == 8:
                        state = State(
                            np.array(args[:6], dtype=np.float64), float(args[6]), str(args[7]), now
                        )
                        self.latest_state = state
                        self.states.append(state)
                        self.n_states += 1
                    else:
                        self._replies.append(Reply(msg.address, args))
                self._cond.notify_all()

    def close(self) -> None:
        """Stop the heartbeat and the receiver; close the socket."""
        self.stop_heartbeat()
        self._closed.set()
        self._thread.join(timeout=1.0)
        self._sock.close()

    def __enter__(self) -> BridgeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- commands ---------------------------------------------------------------------
    def play(self, trial_id: int, vector: ArrayLike) -> None:
        """Send ``/choreo/play``: the trial id and the 196 values (validated here first)."""
        from choreo.robot.codec import as_vector

        self.send_raw(osc.encode_play(trial_id, as_vector(vector, f"trial {trial_id}")))

    def stop(self) -> None:
        """Send ``/choreo/stop`` (smooth stop, latched)."""
        self._send(osc.STOP)

    def reset(self) -> None:
        """Send ``/choreo/reset`` (release the latch and a fault)."""
        self._send(osc.RESET)

    def home(self) -> None:
        """Send ``/choreo/home`` (replies use trial id -1)."""
        self._send(osc.HOME)

    def heartbeat(self) -> None:
        """Send one ``/choreo/heartbeat`` with the next sequence number."""
        self._send(osc.HEARTBEAT, ("i", next(self._seq) & 0x7FFFFFFF))

    def start_heartbeat(self, period_s: float = 0.2) -> None:
        """Send heartbeats every ``period_s`` from a background thread."""
        if self._hb_stop is not None:
            return
        stop = threading.Event()
        self._hb_stop = stop

        def beat() -> None:
            while not stop.is_set() and not self._closed.is_set():
                with contextlib.suppress(OSError):
                    self.heartbeat()
                stop.wait(period_s)

        threading.Thread(target=beat, name="bridge-heartbeat", daemon=True).start()

    def stop_heartbeat(self) -> None:
        """Stop the heartbeat thread (the bridge then stops a motion after its timeout)."""
        if self._hb_stop is not None:
            self._hb_stop.set()
            self._hb_stop = None

    def request_state(self, timeout: float = 1.0) -> State:
        """Ask for ``/choreo/state`` now and return it."""
        with self._cond:
            before = self.n_states
        self._send(osc.STATE)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                state = self.latest_state
                if self.n_states > before and state is not None:
                    return state
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StreamError(
                        f"bridge at {self._where}: no /choreo/state within {timeout:g} s"
                    )
                self._cond.wait(left)

    def request_status(self, timeout: float = 1.0) -> dict[str, Any]:
        """Ask for ``/choreo/status``: mode, backend, latched and the counters."""
        self._send(osc.STATUS)
        reply = self.wait_for(osc.STATUS, timeout=timeout)
        return osc.parse_status(reply.args)

    @property
    def _where(self) -> str:
        return f"{self.bridge[0]}:{self.bridge[1]}"

    # -- replies ----------------------------------------------------------------------
    def wait_for(
        self,
        address: str | Sequence[str],
        trial_id: int | None = None,
        timeout: float = 5.0,
    ) -> Reply:
        """Wait for (and take) the oldest reply on ``address`` (or any of several addresses).

        Parameters
        ----------
        address : str or sequence of str
            E.g. ``"/choreo/done"`` or ``("/choreo/done", "/choreo/rejected")``.
        trial_id : int, optional
            Only replies about this trial (``/choreo/fault`` always matches).
        timeout : float
            Seconds to wait.

        Raises
        ------
        StreamError
            When nothing matching arrives in time.
        """
        wanted = (address,) if isinstance(address, str) else tuple(address)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i, reply in enumerate(self._replies):
                    if reply.address in wanted and (
                        trial_id is None or reply.trial is None or reply.trial == trial_id
                    ):
                        del self._replies[i]
                        return reply
                left = deadline - time.monotonic()
                if left <= 0:
                    raise StreamError(
                        f"bridge at {self._where}: no {' or '.join(wanted)}"
                        + (f" for trial {trial_id}" if trial_id is not None else "")
                        + f" within {timeout:g} s"
                    )
                self._cond.wait(left)

    def replies(self) -> list[Reply]:
        """Replies received and not yet taken (a copy)."""
        with self._cond:
            return list(self._replies)


@dataclass(frozen=True)
class SendResult:
    """How a sent choreography ended: ``outcome`` is done, rejected or aborted."""

    trial: int
    outcome: str
    reason: str
    started: float | None
    finished: float | None
    n_states: int


def _progress_index(
    plan_q: NDArray[np.float64], q: NDArray[np.float64], last: int, window: int
) -> int:
    """Index of the plan sample nearest to ``q``, searched forward from ``last``."""
    end = min(plan_q.shape[0], last + window)
    if end <= last:
        return last
    dist = np.abs(plan_q[last:end] - q).max(axis=1)
    return last + int(np.argmin(dist))


def send_choreography(
    vector: ArrayLike,
    trial: int = 0,
    bridge: tuple[str, int] = ("127.0.0.1", 9000),
    timeout_s: float = 5.0,
    show_progress: bool = True,
    on_state: Callable[[State], None] | None = None,
) -> SendResult:
    """Send a choreography and follow it to done, rejected or aborted (``choreo send``).

    The expected duration comes from planning the same vector locally from the pose
    the bridge reports; the progress bar then follows the state messages along that
    plan (so it does not need to know the simulator's ``--speed``). The bridge remains
    the authority: the local plan is only for display.

    Raises
    ------
    StreamError
        When the bridge does not answer (no state, or nothing within ``timeout_s``
        of the expected end).
    """
    from choreo.robot.codec import as_vector
    from choreo.robot.config import load_robot_config
    from choreo.robot.safety import check_choreography
    from choreo.ui.console import make_console, progress_bar

    v = as_vector(vector, f"trial {trial}")
    with BridgeClient(bridge) as client:
        client.start_heartbeat()
        start_state = client.request_state(timeout=timeout_s)
        verdict = check_choreography(v, load_robot_config(), start_deg=start_state.q)
        plan_q = verdict.plan.q if verdict.plan is not None else None
        plan_s = verdict.plan.duration if verdict.plan is not None else 0.0
        client.play(trial, v)
        first = client.wait_for((osc.STARTED, osc.REJECTED, osc.FAULT), trial, timeout=timeout_s)
        if first.address != osc.STARTED:
            reason = str(first.args[-1])
            return SendResult(trial, "rejected", reason, None, None, 0)
        t_started = float(first.args[1])
        ends = (osc.DONE, osc.ABORTED, osc.FAULT)
        progress = progress_bar(
            make_console(),
            description=f"trial {trial}",
            counts=False,
            fields=(
                "{task.percentage:>3.0f}% of {task.fields[plan]:.1f} s",
                "{task.fields[pose]}",
            ),
            disable=not show_progress,
        )
        n_states = 0
        n_seen = client.n_states
        last_idx = 0
        window = max(1, int(3.0 / (verdict.plan.cycle_s if verdict.plan is not None else 0.004)))
        with progress:
            task = progress.add_task("play", total=max(plan_s, 1e-6), plan=plan_s, pose="")
            last_state_at = time.monotonic()
            while True:
                try:
                    end = client.wait_for(ends, trial, timeout=0.02)
                    break
                except StreamError:
                    pass
                state = client.latest_state
                if state is not None and state.received > last_state_at:
                    last_state_at = state.received
                    if on_state is not None:
                        for s in list(client.states)[-(client.n_states - n_seen) :]:
                            on_state(s)
                    n_states += client.n_states - n_seen
                    n_seen = client.n_states
                    if plan_q is not None:
                        last_idx = _progress_index(plan_q, state.q, last_idx, window)
                    pose = " ".join(f"{v:7.1f}" for v in state.q)
                    n_plan = plan_q.shape[0] if plan_q is not None else 1
                    done_s = last_idx * plan_s / max(n_plan - 1, 1)
                    progress.update(task, completed=done_s, pose=pose)
                elif time.monotonic() - last_state_at > timeout_s:
                    raise StreamError(
                        f"bridge at {bridge[0]}:{bridge[1]}: no state for {timeout_s:g} s"
                    )
            if end.address == osc.DONE:
                progress.update(task, completed=plan_s)
        if end.address == osc.DONE:
            return SendResult(trial, "done", "", t_started, float(end.args[1]), n_states)
        reason = str(end.args[1] if end.address == osc.ABORTED else end.args[0])
        return SendResult(trial, "aborted", reason, t_started, None, n_states)


def run_send(
    vector: ArrayLike,
    trial: int = 0,
    bridge: tuple[str, int] = ("127.0.0.1", 9000),
    timeout_s: float = 5.0,
) -> int:
    """Send a choreography, follow it with a progress bar, print the outcome (``choreo send``).

    Returns
    -------
    int
        0 when done, 1 when rejected or aborted (the reason is printed).
    """
    from choreo.ui.console import make_console

    console = make_console(stderr=True)
    result = send_choreography(vector, trial, bridge, timeout_s)
    if result.outcome == "done":
        assert result.started is not None
        assert result.finished is not None
        console.print(
            f"trial {trial}: done in {result.finished - result.started:.2f} s "
            f"({result.n_states} state messages)"
        )
        return 0
    console.print(f"trial {trial}: {result.outcome}: {result.reason}")
    return 1


def read_vector_file(path: str) -> NDArray[np.uint8]:
    """Read a choreography vector: a JSON list (or object with ``"vector"``), ``.npy``, or
    196 integers separated by commas or whitespace. Errors name the file."""
    import json
    from pathlib import Path

    from choreo.errors import InputError
    from choreo.robot.codec import as_vector

    p = Path(path)
    try:
        if p.suffix == ".npy":
            return as_vector(np.load(p, allow_pickle=False), str(p))
        text = p.read_text()
    except FileNotFoundError:
        raise InputError(f"{p}: vector file not found") from None
    except (OSError, ValueError) as exc:
        raise InputError(f"{p}: cannot read: {exc}") from None
    if text.lstrip().startswith(("[", "{")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{p}: line {exc.lineno}: not valid JSON: {exc.msg}") from None
        if isinstance(data, dict):
            if "vector" not in data:
                raise InputError(f"{p}: JSON object has no 'vector' key")
            data = data["vector"]
        return as_vector(data, str(p))
    try:
        values = [int(tok) for tok in text.replace(",", " ").split()]
    except ValueError as exc:
        raise InputError(f"{p}: not a list of integers ({exc})") from None
    return as_vector(values, str(p))
