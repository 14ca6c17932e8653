"""The RSI ETHERNET object's settings: tag names, sender type, address and timeout.

One model, :class:`RsiEthernet`, is the single source of truth for what the bridge
reads and sends (:mod:`choreo.robot.rsi_xml`, :mod:`choreo.robot.backends.rsi`), what
the fake controller expects (:mod:`choreo.robot.fake_kuka`) and what the controller-side
files say (:mod:`choreo.robot.kuka_files`). It is the ``[rsi]`` table of the robot
configuration (``configs/robot/kr6r900sixx.toml``).

KUKA fixes most of the telegram: the controller's ``<Rob>`` elements (``AIPos``,
``ASPos``, ``Delay``) are internal ``DEF_`` tags, and a KR C4 always sends the cycle
counter as ``<IPOC>``. What a controller's ETHERNET configuration chooses is the
``Type`` of ``<Sen>`` (``SENTYPE``) and the names of the received elements: the
ros-industrial driver and choreo use ``AK``, other tools (e.g. the ``rsipi`` package)
``AKorr``. ``ipoc_tag`` is configurable for peers that differ; on a real controller
leave it ``IPOC``.
"""

from __future__ import annotations

import ipaddress
import re

from pydantic import Field, field_validator, model_validator

from choreo.config import StrictModel

#: An XML name that needs no escaping: a letter or underscore, then letters, digits, _.
_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,31}$")
#: The root elements of the telegrams (controller's and sensor's).
_TELEGRAM_ROOTS = ("Rob", "Sen")


def _xml_name(value: str) -> str:
    if not _XML_NAME.match(value):
        raise ValueError(
            f"{value!r} is not a plain XML name (a letter or _, then letters, digits or _;"
            " at most 32 characters)"
        )
    if value.lower().startswith("xml"):
        raise ValueError(f"{value!r}: XML names may not start with 'xml'")
    return value


class RsiEthernet(StrictModel):
    """The controller's RSI ETHERNET object, as the bridge and the controller files see it.

    Attributes
    ----------
    correction_tag : str
        Element of ``<Sen>`` carrying the axis corrections ``A1..A6`` (deg); the
        controller's RECEIVE elements are ``<correction_tag>.A1`` .. ``.A6``.
    ipoc_tag : str
        Element carrying the cycle counter in both directions (a KR C4 sends ``IPOC``).
    sen_type : str
        ``Type`` attribute of ``<Sen>``; the controller's ``SENTYPE``. A controller
        rejects answers of another type.
    sensor_ip : str
        Address of the sensor PC (the machine running ``choreo bridge``) on the RSI
        network: the ``IP_NUMBER`` the controller sends its telegrams to.
    sensor_port : int
        UDP port the controller sends to (``PORT``); the bridge's ``--rsi-listen`` port.
    timeout_cycles : int
        Missed or late answers after which the controller breaks RSI off (the ETHERNET
        object's ``Timeout``).
    """

    correction_tag: str = "AK"
    ipoc_tag: str = "IPOC"
    sen_type: str = "ImFree"
    sensor_ip: str = "192.168.1.100"
    sensor_port: int = Field(49152, ge=1, le=65535)
    timeout_cycles: int = Field(100, ge=1, le=100000)

    @field_validator("correction_tag", "ipoc_tag", "sen_type")
    @classmethod
    def _names(cls, value: str) -> str:
        return _xml_name(value)

    @field_validator("sensor_ip")
    @classmethod
    def _ip(cls, value: str) -> str:
        try:
            ipaddress.IPv4Address(value)
        except ValueError:
            raise ValueError(f"{value!r} is not an IPv4 address") from None
        return value

    @model_validator(mode="after")
    def _distinct(self) -> RsiEthernet:
        for key in ("correction_tag", "ipoc_tag"):
            if getattr(self, key) in _TELEGRAM_ROOTS:
                raise ValueError(f"{key} may not be {getattr(self, key)!r}, a telegram's root")
        if self.correction_tag == self.ipoc_tag:
            raise ValueError(
                f"correction_tag and ipoc_tag are both {self.ipoc_tag!r}; they must differ"
            )
        return self
