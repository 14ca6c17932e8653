"""Settings of the OSC bridge: where it listens, whom it answers, which backend, safety timers."""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import Field, field_validator, model_validator

from choreo.config import StrictModel
from choreo.errors import ConfigError

Endpoint = tuple[str, int]


def parse_endpoint(text: str, what: str) -> Endpoint:
    """Parse ``HOST:PORT`` (``:PORT`` means 127.0.0.1); errors name ``what``."""
    host, sep, port = text.rpartition(":")
    if not sep:
        raise ConfigError(f"{what}: expected HOST:PORT, got {text!r}")
    try:
        number = int(port)
    except ValueError:
        raise ConfigError(f"{what}: port {port!r} is not a number") from None
    if not 0 <= number <= 65535:
        raise ConfigError(f"{what}: port {number} outside 0..65535")
    host = host.strip("[]") or "127.0.0.1"
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if host != "localhost":
            raise ConfigError(f"{what}: host {host!r} is not an IP address") from None
        host = "127.0.0.1"
    return host, number


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8 and ::1."""
    return ipaddress.ip_address(host).is_loopback


class BridgeSettings(StrictModel):
    """Everything :class:`choreo.robot.bridge.Bridge` needs besides the robot configuration.

    Attributes
    ----------
    listen : (host, port)
        OSC commands arrive here; 127.0.0.1 unless told otherwise.
    reply : (host, port) or None
        A fixed address that receives every reply, besides the senders of commands.
    allow : list of str
        Sender IPs accepted; required when ``listen`` is not a loopback address. Empty
        on loopback means any local sender.
    backend : "sim", "rsi" or "auto"
        Simulator, KUKA RSI, or RSI when a controller sends telegrams within
        ``rsi_connect_timeout_s`` of the start and the simulator otherwise.
    rsi_listen : (host, port) or None
        Where the controller's RSI configuration sends its telegrams; None: every
        interface (0.0.0.0) on the robot configuration's ``rsi.sensor_port``, the port
        its controller files (``choreo kuka-files``) send to.
    rsi_controller : str or None
        Only this controller IP is answered; by default the first sender is taken.
    speed : float
        Simulator time scale (1 = real time); the RSI backend always runs at the
        controller's pace.
    robot_config : str or None
        Robot configuration name or TOML path (default: the shipped KR6 R900 sixx).
    heartbeat_timeout_s : float
        Gap between heartbeats that stops a motion smoothly.
    require_heartbeat : bool
        Supervise every motion; otherwise supervision starts with the first
        ``/choreo/heartbeat`` and lasts until ``/choreo/reset``.
    state_rate_hz : float
        ``/choreo/state`` rate while moving (>= 50).
    rsi_connect_timeout_s : float
        How long ``auto`` waits for a first telegram.
    rsi_loss_timeout_s : float
        Silence of the controller after which it counts as lost (a fault).
    max_peers : int
        Senders remembered as reply targets (most recent first).
    """

    listen: Endpoint = ("127.0.0.1", 9000)
    reply: Endpoint | None = ("127.0.0.1", 9001)
    allow: list[str] = Field(default_factory=list)
    backend: Literal["sim", "rsi", "auto"] = "sim"
    rsi_listen: Endpoint | None = None
    rsi_controller: str | None = None
    speed: float = Field(1.0, gt=0.0, le=1000.0)
    robot_config: str | None = None
    heartbeat_timeout_s: float = Field(1.0, gt=0.0)
    require_heartbeat: bool = False
    state_rate_hz: float = Field(100.0, ge=50.0, le=1000.0)
    rsi_connect_timeout_s: float = Field(2.0, ge=0.0)
    rsi_loss_timeout_s: float = Field(0.25, gt=0.0)
    max_peers: int = Field(8, ge=1, le=64)

    @field_validator("allow")
    @classmethod
    def _ips(cls, value: list[str]) -> list[str]:
        for ip in value:
            ipaddress.ip_address(ip)  # ValueError becomes a validation error naming the key
        return value

    @model_validator(mode="after")
    def _allow_list_off_loopback(self) -> BridgeSettings:
        if not is_loopback(self.listen[0]) and not self.allow:
            raise ValueError(
                f"listening on {self.listen[0]} (not loopback) needs an allow-list "
                "of sender IPs (--allow)"
            )
        return self

    def rsi_endpoint(self, sensor_port: int) -> Endpoint:
        """Where the RSI backend listens: ``rsi_listen``, or every interface on
        ``sensor_port`` (the robot configuration's ``rsi.sensor_port``) when it is None."""
        return self.rsi_listen if self.rsi_listen is not None else ("0.0.0.0", sensor_port)
