"""KUKA RSI Ethernet telegrams: parse and format ``<Rob>`` and ``<Sen>`` XML.

The controller sends a ``<Rob Type="KUKA">`` telegram every sensor cycle (4 ms in
``#IPO_FAST``, 12 ms in ``#IPO``)::

    <Rob Type="KUKA"><RIst X=".." Y=".." Z=".." A=".." B=".." C=".."/>
    <AIPos A1=".." A2=".." A3=".." A4=".." A5=".." A6=".."/>
    <ASPos A1=".." .. A6=".."/><Delay D="0"/><IPOC>123456</IPOC></Rob>

and the sensor PC answers within the same cycle, with the same ``IPOC``::

    <Sen Type="ImFree"><AK A1=".." .. A6=".."/><IPOC>123456</IPOC></Sen>

``AK`` holds *absolute* axis corrections in degrees: the setpoint the controller
applies is the pose at ``RSI_ON`` plus ``AK`` (the RSI ``AXISCORR`` object in
absolute mode, the convention of ros-industrial's ``kuka_rsi_hw_interface``). An
``AK`` of all zeros therefore holds the start pose. choreo's bridge and its fake
controller both use this convention.

The names ``AK`` and ``IPOC`` and the ``Type`` ``ImFree`` are the defaults of
:class:`~choreo.robot.rsi_ethernet.RsiEthernet` (the robot configuration's ``[rsi]``
table); a :class:`TelegramFormat` built from that table speaks whatever the controller's
ETHERNET configuration names them (e.g. ``AKorr``).

Parsing is done with precompiled regular expressions rather than an XML parser:
the telegram layout is fixed and this runs once per 4 ms cycle in the RSI thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from choreo.errors import InputError
from choreo.robot.rsi_ethernet import RsiEthernet

#: Number of robot axes in every telegram.
N_AXES = 6
#: ``Type`` attribute of ``<Sen>``; must equal ``SENTYPE`` of the controller's RSI config.
DEFAULT_SEN_TYPE = RsiEthernet().sen_type

_ATTR = re.compile(rb'(\w+)\s*=\s*"([^"]*)"')
_DELAY = re.compile(rb'<Delay\s+D\s*=\s*"(\d+)"')
_SEN_TYPE = re.compile(rb'<Sen\s+Type\s*=\s*"([^"]*)"')


def _element(data: bytes, tag: bytes) -> bytes | None:
    """Return the attribute text of the first ``<tag .../>`` element, or None."""
    start = data.find(b"<" + tag + b" ")
    if start < 0:
        return None
    end = data.find(b">", start)
    if end < 0:
        return None
    return data[start + len(tag) + 1 : end]


def _axes(data: bytes, tag: bytes, where: str) -> tuple[float, ...] | None:
    """Parse ``A1..A6`` of element ``tag`` in degrees; None if the element is absent."""
    body = _element(data, tag)
    if body is None:
        return None
    attrs = dict(_ATTR.findall(body))
    try:
        return tuple(float(attrs[b"A%d" % (i + 1)]) for i in range(N_AXES))
    except KeyError as exc:
        raise InputError(
            f"{where}: <{tag.decode()}> lacks attribute {exc.args[0].decode()}"
        ) from None
    except ValueError:
        raise InputError(f"{where}: <{tag.decode()}> has a non-numeric axis value") from None


@dataclass(frozen=True, slots=True)
class RobTelegram:
    """One telegram from the controller.

    Attributes
    ----------
    ipoc : int
        Interpolation cycle counter (ms); the answer must echo it.
    aipos : tuple of float
        Actual axis positions A1..A6 (deg).
    aspos : tuple of float or None
        Setpoint axis positions A1..A6 (deg), when the configuration sends them.
    delay : int or None
        The controller's count of late answers so far (``<Delay D=..>``), when sent.
    """

    ipoc: int
    aipos: tuple[float, ...]
    aspos: tuple[float, ...] | None = None
    delay: int | None = None


@dataclass(frozen=True, slots=True)
class SenTelegram:
    """One answer of the sensor PC: absolute axis corrections (deg) and the echoed IPOC.

    ``sen_type`` is the answer's ``Type`` attribute (None when it has none).
    """

    ipoc: int
    ak: tuple[float, ...]
    sen_type: str | None = None


class TelegramFormat:
    """Parse and format telegrams with the tag names of one ETHERNET configuration.

    Parameters
    ----------
    ethernet : RsiEthernet, optional
        Correction tag, IPOC tag and sender type (``AK``, ``IPOC``, ``ImFree`` by default).
    """

    def __init__(self, ethernet: RsiEthernet | None = None) -> None:
        self.ethernet = ethernet if ethernet is not None else RsiEthernet()
        e = self.ethernet
        ipoc = re.escape(e.ipoc_tag.encode("ascii"))
        # Precompiled once: this runs every 4 ms cycle in the RSI process.
        self._ipoc = re.compile(rb"<" + ipoc + rb">\s*(\d{1,20})\s*</" + ipoc + rb">")
        self._corr = e.correction_tag.encode("ascii")
        self._sen_head = f'<Sen Type="{e.sen_type}"><{e.correction_tag} '
        self._sen_tail = f"/><{e.ipoc_tag}>{{}}</{e.ipoc_tag}></Sen>"
        self._ipoc_tag = e.ipoc_tag

    def _read_ipoc(self, data: bytes, where: str) -> int:
        match = self._ipoc.search(data)
        if match is None:
            raise InputError(f"{where}: telegram has no <{self._ipoc_tag}>")
        return int(match.group(1))

    def parse_rob(self, data: bytes, where: str = "RSI telegram") -> RobTelegram:
        """Parse a controller ``<Rob>`` telegram.

        Raises
        ------
        InputError
            If it is not a ``<Rob>`` telegram, or lacks the IPOC tag or ``AIPos``.
        """
        if b"<Rob" not in data[:64]:
            raise InputError(f"{where}: not a <Rob> telegram")
        aipos = _axes(data, b"AIPos", where)
        if aipos is None:
            raise InputError(f"{where}: telegram has no <AIPos>")
        delay = _DELAY.search(data)
        return RobTelegram(
            ipoc=self._read_ipoc(data, where),
            aipos=aipos,
            aspos=_axes(data, b"ASPos", where),
            delay=int(delay.group(1)) if delay else None,
        )

    def parse_sen(self, data: bytes, where: str = "RSI answer") -> SenTelegram:
        """Parse a sensor ``<Sen>`` answer (what the fake controller receives)."""
        if b"<Sen" not in data[:64]:
            raise InputError(f"{where}: not a <Sen> telegram")
        ak = _axes(data, self._corr, where)
        if ak is None:
            raise InputError(f"{where}: answer has no <{self._corr.decode()}>")
        kind = _SEN_TYPE.search(data[:128])
        return SenTelegram(
            ipoc=self._read_ipoc(data, where),
            ak=ak,
            sen_type=kind.group(1).decode("ascii", "replace") if kind else None,
        )

    def format_sen(self, ak: tuple[float, ...] | list[float], ipoc: int) -> bytes:
        """The answer to telegram ``ipoc``: absolute corrections ``ak`` (deg, 4 decimals)."""
        a1, a2, a3, a4, a5, a6 = ak
        return (
            self._sen_head
            + f'A1="{a1:.4f}" A2="{a2:.4f}" A3="{a3:.4f}" A4="{a4:.4f}" A5="{a5:.4f}" '
            f'A6="{a6:.4f}"' + self._sen_tail.format(ipoc)
        ).encode("ascii")

    def format_rob(
        self,
        ipoc: int,
        aipos: tuple[float, ...] | list[float],
        aspos: tuple[float, ...] | list[float] | None = None,
        rist: tuple[float, ...] | list[float] | None = None,
        delay: int | None = None,
    ) -> bytes:
        """Format a controller ``<Rob>`` telegram (used by the fake controller).

        Parameters
        ----------
        ipoc : int
            Cycle counter (ms).
        aipos, aspos : sequence of 6 float
            Actual and setpoint axis positions (deg).
        rist : sequence of 6 float, optional
            Cartesian flange pose X, Y, Z (mm), A, B, C (deg).
        delay : int, optional
            Late answers counted so far.
        """
        parts = ['<Rob Type="KUKA">']
        if rist is not None:
            x, y, z, a, b, c = rist
            parts.append(
                f'<RIst X="{x:.4f}" Y="{y:.4f}" Z="{z:.4f}" A="{a:.4f}" B="{b:.4f}" C="{c:.4f}"/>'
            )
        parts.append(_axes_xml("AIPos", aipos))
        if aspos is not None:
            parts.append(_axes_xml("ASPos", aspos))
        if delay is not None:
            parts.append(f'<Delay D="{delay}"/>')
        parts.append(f"<{self._ipoc_tag}>{ipoc}</{self._ipoc_tag}></Rob>")
        return "".join(parts).encode("ascii")


#: The default tags (``AK``, ``IPOC``, ``ImFree``), used by the module-level functions.
DEFAULT_FORMAT = TelegramFormat()


def parse_rob(data: bytes, where: str = "RSI telegram") -> RobTelegram:
    """Parse a ``<Rob>`` telegram with the default tags (see :meth:`TelegramFormat.parse_rob`)."""
    return DEFAULT_FORMAT.parse_rob(data, where)


def parse_sen(data: bytes, where: str = "RSI answer") -> SenTelegram:
    """Parse a ``<Sen>`` answer with the default tags."""
    return DEFAULT_FORMAT.parse_sen(data, where)


def format_sen(
    ak: tuple[float, ...] | list[float], ipoc: int, sen_type: str = DEFAULT_SEN_TYPE
) -> bytes:
    """Format an answer with the default tags and sender type ``sen_type``."""
    if sen_type == DEFAULT_SEN_TYPE:
        return DEFAULT_FORMAT.format_sen(ak, ipoc)
    return TelegramFormat(RsiEthernet(sen_type=sen_type)).format_sen(ak, ipoc)


def format_rob(
    ipoc: int,
    aipos: tuple[float, ...] | list[float],
    aspos: tuple[float, ...] | list[float] | None = None,
    rist: tuple[float, ...] | list[float] | None = None,
    delay: int | None = None,
) -> bytes:
    """Format a ``<Rob>`` telegram with the default tags (:meth:`TelegramFormat.format_rob`)."""
    return DEFAULT_FORMAT.format_rob(ipoc, aipos, aspos, rist, delay)


def _axes_xml(tag: str, q: tuple[float, ...] | list[float]) -> str:
    return f"<{tag} " + " ".join(f'A{i + 1}="{v:.4f}"' for i, v in enumerate(q)) + "/>"
