"""The session's link to the robot: the bridge over OSC, or a simulator it starts itself.

:class:`BridgeLink` finds the bridge (``/choreo/state`` answered), starts one on the
simulator in this process when none answers and the settings allow it, and gives the
trial state machine (:mod:`choreo.session.live`) what it needs and nothing more: play,
stop, reset, home, the replies waiting on an address, the age of the last state, and a
heartbeat at the configured period.
"""

from __future__ import annotations

import math
import time
from typing import Any

import numpy as np

from choreo.errors import StreamError
from choreo.robot.osc_protocol import ABORTED, DONE, FAULT, HOME_TRIAL, REJECTED
from choreo.session.links import close_all
from choreo.session.settings import BridgeConnection


class BridgeLink:
    """The bridge at ``settings.host:port`` (see :class:`BridgeConnection`)."""

    def __init__(self, settings: BridgeConnection) -> None:
        self.settings = settings
        self.client: Any = None
        #: The simulator bridge this link started (None: the bridge was already there).
        self.bridge: Any = None
        #: Speed of that simulator (1: real time, or a bridge not started here).
        self.sim_speed = 1.0
        self._last_heartbeat = 0.0

    def connect(self) -> str:
        """Find the bridge, or start one on the simulator; returns what is driven, in words.

        Raises
        ------
        StreamError
            No bridge answers and none may or can be started (naming the fix).
        """
        from choreo.robot.client import BridgeClient

        b = self.settings
        self.client = BridgeClient(bridge=(b.host, b.port))
        if self.answers(b.connect_timeout_s):
            return f"bridge at {b.host}:{b.port} ({self.backend_name()})"
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
        self.sim_speed = b.simulator_speed
        if not self.answers(max(b.connect_timeout_s, 2.0)):
            raise StreamError(f"the simulator bridge started at {b.host}:{b.port} does not answer")
        return f"simulator started by the session at {b.host}:{b.port} (x{b.simulator_speed:g})"

    @property
    def started_here(self) -> bool:
        """Whether this link started the (simulator) bridge."""
        return self.bridge is not None

    def answers(self, timeout: float) -> bool:
        """True when the bridge sends a state within ``timeout`` s."""
        try:
            self.client.request_state(timeout=timeout)
        except StreamError:
            return False
        return True

    @property
    def latest_state(self) -> Any:
        """The last ``/choreo/state`` received (joints ``.q`` deg...), or None."""
        return None if self.client is None else self.client.latest_state

    def backend_name(self) -> str:
        """The bridge's backend as its last state names it (``sim``, ``rsi``...)."""
        st = self.client.latest_state
        return str(getattr(st, "backend", "") or "")

    def take(self, address: str | tuple[str, ...], trial_id: int | None = None) -> Any:
        """The oldest waiting reply on ``address`` (for ``trial_id``), or None; never waits."""
        try:
            return self.client.wait_for(address, trial_id=trial_id, timeout=0)
        except StreamError:
            return None

    def drain(self, address: str | tuple[str, ...]) -> int:
        """Drop waiting replies on ``address`` (stale faults of an earlier performance)."""
        n = 0
        while self.take(address) is not None:
            n += 1
        return n

    def state_age(self) -> float:
        """Seconds since the last ``/choreo/state`` arrived (inf if none yet)."""
        st = self.client.latest_state
        return time.monotonic() - float(st.received) if st is not None else math.inf

    def heartbeat(self) -> None:
        """Send ``/choreo/heartbeat`` when the configured period has passed since the last."""
        now = time.monotonic()
        if now - self._last_heartbeat >= self.settings.heartbeat_s:
            self._last_heartbeat = now
            self.client.heartbeat()

    def play(self, trial_id: int, vector: np.ndarray) -> None:
        """Ask the bridge to perform ``vector`` as trial ``trial_id``."""
        self.client.play(trial_id, vector)

    def stop(self) -> None:
        """Smooth stop (the bridge latches until :meth:`reset`)."""
        self.client.stop()

    def reset(self) -> None:
        """Clear the bridge's stop latch."""
        self.client.reset()

    def home(self) -> None:
        """Ask the bridge to move home (no waiting)."""
        self.client.home()

    def go_home(self, timeout: float = 20.0) -> None:
        """Stop what the robot does (smoothly), then move it home and wait until it is there.

        Raises
        ------
        StreamError
            The bridge refuses, or the robot is not home within ``timeout`` s.
        """
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
        self.drain((DONE, ABORTED, REJECTED, FAULT))
        c.home()
        while time.monotonic() < deadline:
            c.heartbeat()
            got = self.take((DONE, REJECTED), HOME_TRIAL)
            if got is not None:
                if got.address == REJECTED:
                    raise StreamError(f"the bridge refused to go home: {got.args[1]}")
                return
            time.sleep(0.05)
        raise StreamError(f"the robot did not reach home within {timeout:g} s")

    def close(self) -> None:
        """Close the OSC client and stop a simulator started here (both, whatever fails)."""
        parts, self.client, self.bridge = (self.client, self.bridge), None, None
        close_all(*parts)
