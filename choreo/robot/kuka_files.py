"""The controller-side kit: RSI configuration and KRL program, written from the robot config.

``choreo kuka-files OUTDIR`` writes what a KR C4 needs to be driven by the bridge:

``choreo_rsi_ethernet.xml``
    The ETHERNET object's configuration: the sensor PC's IP and port, ``SENTYPE``,
    the ``<Rob>`` elements the controller sends (``DEF_RIst``, ``DEF_AIPos``,
    ``DEF_ASPos``, ``DEF_Delay``; the controller adds ``IPOC`` itself) and the
    ``<Sen>`` elements it receives, ``<correction_tag>.A1`` .. ``.A6``. Every name comes
    from the robot configuration's ``[rsi]`` table, the same one the bridge reads.
``choreo_rsi.rsi.xml``
    The RSI context (signal flow): ETHERNET1 -> AXISCORR1 (the corrections, clamped to
    per-axis limits) and AXISCORRMON1 (stops the robot beyond a total correction).
``choreo_rsi.src`` / ``choreo_rsi.dat``
    KRL: PTP to HOME, ``RSI_CREATE``, ``RSI_ON(#ABSOLUTE)``, ``RSI_MOVECORR()`` (the
    robot follows the bridge until RSI stops), ``RSI_OFF()``, PTP HOME.
``README.txt``
    Where each file goes, the correction limits, and what to verify on the controller.

The correction limits. In absolute mode a correction is measured from the pose at
``RSI_ON``, which the program makes HOME. The bridge sends corrections for poses in
the art-safe envelope (choreographies), on the way back to HOME, and during smooth
stops, which can carry an axis past the envelope by up to its stopping distance at the
scaled maximum speed. AXISCORR's limits must cover all of it: a correction beyond them
is clamped by the controller, the robot stops following while the bridge still sends,
and actual and commanded poses part. So each axis's limits are the envelope (joined
with HOME) minus HOME, widened on both sides by that stopping distance, and kept
inside the software limits minus the margin (:func:`correction_limits`).

Everything is computed and checked before anything is written, and the files are
written atomically (:mod:`choreo.robot.atomic_output`): a configuration the kit cannot
serve leaves no file behind.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
from numpy.typing import NDArray

from choreo.errors import ConfigError
from choreo.robot.config import RobotConfig
from choreo.robot.kr6 import AXES, HOME_DEG, MAX_SPEED_DEG_S
from choreo.robot.krl import e6axis, krl_file, percent

#: Stem of the kit's files and the name of its KRL program.
KIT_NAME = "choreo_rsi"
ETHERNET_FILE = f"{KIT_NAME}_ethernet.xml"
CONTEXT_FILE = f"{KIT_NAME}.rsi.xml"
#: Name the KRL program passes to ``RSI_CREATE`` (the context as RSIVisual saves it).
CONTEXT_NAME = f"{KIT_NAME}.rsi"
#: The controller elements the bridge reads (``AIPos``, ``ASPos``, ``Delay``) plus RIst.
SEND_ELEMENTS = (("DEF_RIst", "DOUBLE"), ("DEF_AIPos", "DOUBLE"), ("DEF_ASPos", "DOUBLE"),
                 ("DEF_Delay", "LONG"))  # fmt: skip
#: The IPOC tag a KUKA controller sends; not part of its ETHERNET configuration.
KUKA_IPOC_TAG = "IPOC"


@dataclass(frozen=True)
class CorrectionLimits:
    """Per-axis limits of the total correction from HOME (deg), and the largest step.

    Attributes
    ----------
    lower, upper : ndarray (6,)
        AXISCORR ``LowerLimA1..6`` and ``UpperLimA1..6``, deg from HOME.
    monitor : ndarray (6,)
        AXISCORRMON ``MaxA1..6``: the largest total correction magnitude, deg.
    stop_allowance : ndarray (6,)
        How far a smooth stop at the scaled maximum speed can carry each axis, deg.
    max_step : ndarray (6,)
        Largest correction change in one controller cycle (scaled maximum speed x
        cycle), deg.
    """

    lower: NDArray[np.float64]
    upper: NDArray[np.float64]
    monitor: NDArray[np.float64]
    stop_allowance: NDArray[np.float64]
    max_step: NDArray[np.float64]


def stopping_distance(cfg: RobotConfig) -> NDArray[np.float64]:
    """Distance (deg) a jerk-limited stop from the scaled maximum speed covers, per axis.

    From speed v with acceleration limit a and jerk limit j the deceleration profile is
    symmetric, so the mean speed is v / 2 over a time of v / a + a / j (v >= a^2 / j) or
    2 sqrt(v / j) (shorter stops that never reach a).
    """
    v, a, j = cfg.max_speed, cfg.max_accel, cfg.max_jerk
    t = np.where(v >= a * a / j, v / a + a / j, 2.0 * np.sqrt(v / j))
    return np.asarray(0.5 * v * t, dtype=np.float64)


def correction_limits(cfg: RobotConfig) -> CorrectionLimits:
    """AXISCORR limits sized to the envelope, HOME and smooth stops (module docstring)."""
    env = cfg.envelope
    allowance = stopping_distance(cfg)
    low = np.minimum(env[:, 0], HOME_DEG) - allowance
    high = np.maximum(env[:, 1], HOME_DEG) + allowance
    pos = cfg.position_limits
    low = np.maximum(low, pos[:, 0]) - HOME_DEG
    high = np.minimum(high, pos[:, 1]) - HOME_DEG
    # One decimal, rounded outwards: the limits must cover, never cut, the corrections.
    lower = np.floor(low * 10.0) / 10.0
    upper = np.ceil(high * 10.0) / 10.0
    return CorrectionLimits(
        lower=lower,
        upper=upper,
        monitor=np.maximum(-lower, upper),
        stop_allowance=allowance,
        max_step=cfg.max_speed * cfg.cycle_s,
    )


def check_kit_config(cfg: RobotConfig) -> None:
    """Refuse a configuration a KUKA controller cannot be set up for.

    Raises
    ------
    ConfigError
        Naming the key: ``rsi.ipoc_tag`` other than ``IPOC`` (a KR C4 always sends
        ``<IPOC>``), ``rsi.sensor_ip`` no address to send to (0.0.0.0, broadcast,
        multicast), or HOME outside the software limits minus the margin.
    """
    if cfg.rsi.ipoc_tag != KUKA_IPOC_TAG:
        raise ConfigError(
            f"key 'rsi.ipoc_tag' = {cfg.rsi.ipoc_tag!r}: a KUKA controller always sends"
            f" <{KUKA_IPOC_TAG}>; the controller files need ipoc_tag = '{KUKA_IPOC_TAG}'"
        )
    ip = ipaddress.IPv4Address(cfg.rsi.sensor_ip)
    if ip.is_unspecified or ip.is_multicast or ip == ipaddress.IPv4Address("255.255.255.255"):
        raise ConfigError(
            f"key 'rsi.sensor_ip' = {cfg.rsi.sensor_ip!r}: the controller needs the address of"
            " the PC running the bridge"
        )
    pos = cfg.position_limits
    outside = (pos[:, 0] > HOME_DEG) | (pos[:, 1] < HOME_DEG)
    if outside.any():
        i = int(np.flatnonzero(outside)[0])
        raise ConfigError(
            f"key 'margin_deg' = {cfg.margin_deg:g}: HOME {AXES[i]} = {HOME_DEG[i]:g} deg is"
            f" outside the software limits minus the margin [{pos[i, 0]:g}, {pos[i, 1]:g}]"
        )


def ethernet_xml(cfg: RobotConfig) -> str:
    """The ETHERNET object's configuration file (``choreo_rsi_ethernet.xml``)."""
    rsi = cfg.rsi
    lines = [
        "<ROOT>",
        "  <!-- Written by `choreo kuka-files` from the robot configuration's [rsi] table. -->",
        "  <CONFIG>",
        f"    <IP_NUMBER>{escape(rsi.sensor_ip)}</IP_NUMBER>"
        "  <!-- the PC running the choreo bridge (RSI backend) -->",
        f"    <PORT>{rsi.sensor_port}</PORT>  <!-- the port of the bridge's rsi-listen -->",
        f"    <SENTYPE>{escape(rsi.sen_type)}</SENTYPE>  <!-- Type of <Sen> -->",
        "    <ONLYSEND>FALSE</ONLYSEND>",
        "  </CONFIG>",
        "  <SEND>",
        "    <ELEMENTS>",
        *(
            f'      <ELEMENT TAG="{tag}" TYPE="{kind}" INDX="INTERNAL" />'
            for tag, kind in SEND_ELEMENTS
        ),
        "    </ELEMENTS>",
        "  </SEND>",
        "  <RECEIVE>",
        "    <ELEMENTS>",
        *(
            f'      <ELEMENT TAG="{rsi.correction_tag}.{axis}" TYPE="DOUBLE" INDX="{i + 1}"'
            ' HOLDON="1" />'
            for i, axis in enumerate(AXES)
        ),
        "    </ELEMENTS>",
        "  </RECEIVE>",
        "</ROOT>",
    ]
    return "\n".join(lines) + "\n"


def _param(name: str, param_id: int, value: str, runtime: bool = True) -> str:
    extra = "" if runtime else ' IsRuntime="false"'
    return f'      <Parameter Name="{name}" ParamID="{param_id}" ParamValue="{value}"{extra} />'


def context_xml(cfg: RobotConfig) -> str:
    """The RSI context (``choreo_rsi.rsi.xml``): ETHERNET1 -> AXISCORR1, AXISCORRMON1."""
    lim = correction_limits(cfg)
    inputs = [
        f'      <Input InIdx="{i + 1}" OutObjID="ETHERNET1" OutIdx="{i + 1}" />' for i in range(6)
    ]
    axiscorr = [_param(f"LowerLim{a}", i + 1, f"{lim.lower[i]:.1f}") for i, a in enumerate(AXES)]
    axiscorr += [_param(f"UpperLim{a}", i + 13, f"{lim.upper[i]:.1f}") for i, a in enumerate(AXES)]
    monitor = [_param(f"Max{a}", i + 1, f"{lim.monitor[i]:.1f}") for i, a in enumerate(AXES)]
    lines = [
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
        "<!-- Written by `choreo kuka-files`. AXISCORR limits: deg of total correction from",
        "     HOME (RSI_ON pose, absolute mode), sized to the envelope plus a smooth stop. -->",
        "<RSIObjects>",
        '  <RSIObject ObjType="ETHERNET" ObjTypeID="64" ObjID="ETHERNET1">',
        "    <Parameters>",
        _param("ConfigFile", 1, ETHERNET_FILE, runtime=False),
        _param("Timeout", 2, str(cfg.rsi.timeout_cycles)),
        "    </Parameters>",
        "  </RSIObject>",
        '  <RSIObject ObjType="AXISCORR" ObjTypeID="33" ObjID="AXISCORR1">',
        "    <Inputs>",
        *inputs,
        "    </Inputs>",
        "    <Parameters>",
        *axiscorr,
        "    </Parameters>",
        "  </RSIObject>",
        '  <RSIObject ObjType="AXISCORRMON" ObjTypeID="82" ObjID="AXISCORRMON1">',
        "    <Parameters>",
        *monitor,
        "    </Parameters>",
        "  </RSIObject>",
        "</RSIObjects>",
    ]
    return "\n".join(lines) + "\n"


def krl_program(cfg: RobotConfig, source: str = "") -> tuple[str, str]:
    """The KRL program (``.src``, ``.dat``): HOME, start RSI, follow the bridge, RSI off."""
    ipo = "#IPO_FAST" if cfg.cycle_ms == 4 else "#IPO"
    vel, acc = percent(cfg.speed_scale), percent(cfg.accel_scale)
    name = KIT_NAME
    home = "XCHOREO_HOME"
    src = [
        "&ACCESS RVP",
        "&REL 1",
        f"DEF {name}( )",
        f"; Written by `choreo kuka-files`{f' from {source}' if source else ''}.",
        "; Moves to HOME, starts RSI and follows the bridge's axis corrections",
        "; (absolute, from HOME) until RSI stops. Start `choreo bridge --backend rsi` first.",
        "DECL INT ret",
        "DECL INT CONTID",
        ";FOLD INI",
        "BAS (#INITMOV, 0)",
        ";ENDFOLD (INI)",
        f"; PTP speed and acceleration: the planner's scales ({vel} %, {acc} %).",
        *(f"$VEL_AXIS[{i}] = {vel}" for i in range(1, 7)),
        *(f"$ACC_AXIS[{i}] = {acc}" for i in range(1, 7)),
        f"PTP {home}",
        f'ret = RSI_CREATE("{CONTEXT_NAME}", CONTID, TRUE)',
        "IF (ret <> RSIOK) THEN",
        "  HALT",
        "ENDIF",
        f"; Absolute corrections from this pose; {cfg.cycle_ms} ms sensor cycle ({ipo}).",
        f"ret = RSI_ON(#ABSOLUTE, {ipo})",
        "IF (ret <> RSIOK) THEN",
        "  HALT",
        "ENDIF",
        "; Follow the corrections until RSI stops (bridge closed: Timeout missed answers).",
        "RSI_MOVECORR()",
        "ret = RSI_OFF()",
        "IF (ret <> RSIOK) THEN",
        "  HALT",
        "ENDIF",
        f"PTP {home}",
        "END",
    ]
    dat = [
        "&ACCESS RVP",
        "&REL 1",
        f"DEFDAT {name} PUBLIC",
        "; HOME of choreo (choreo/robot/kr6.py): the pose the corrections are measured from.",
        e6axis(home, HOME_DEG),
        "ENDDAT",
    ]
    return krl_file(src), krl_file(dat)


def kit_readme(cfg: RobotConfig, source: str = "") -> str:
    """README.txt of the kit: where the files go, the limits, what to verify."""
    lim = correction_limits(cfg)
    rsi = cfg.rsi
    ipo = "#IPO_FAST" if cfg.cycle_ms == 4 else "#IPO"
    bridge_cmd = (
        f"choreo bridge --backend rsi{f' --config {source}' if source else ''}"
        f" --rsi-listen {rsi.sensor_ip}:{rsi.sensor_port}"
    )
    rows = "\n".join(
        f"  {a}   {lim.lower[i]:8.1f} {lim.upper[i]:8.1f} {lim.monitor[i]:8.1f}"
        f"   {lim.stop_allowance[i]:6.1f}   {lim.max_step[i]:7.4f}"
        f"   ({cfg.max_speed[i]:g} of {MAX_SPEED_DEG_S[i]:g} deg/s)"
        for i, a in enumerate(AXES)
    )
    return f"""choreo controller kit{f" (from {source})" if source else ""}
Written by `choreo kuka-files`; see docs/robot.md, "At the robot".

Files and where they go on the KR C4 (KUKA.RobotSensorInterface):
  {ETHERNET_FILE:26s} C:\\KRC\\ROBOTER\\Config\\User\\Common\\SensorInterface\\
  {CONTEXT_FILE:26s} same folder (the RSI context; open it in RSIVisual)
  {KIT_NAME}.src / .dat       KRC:\\R1\\Program\\ (the KRL program)

The link (robot configuration [rsi]; the bridge reads the same table):
  controller -> {rsi.sensor_ip}:{rsi.sensor_port}; run the bridge with the same configuration:
    {bridge_cmd}
  SENTYPE {rsi.sen_type};
  corrections <{rsi.correction_tag} A1..A6> in deg, absolute from HOME; cycle {cfg.cycle_ms} ms;
  RSI breaks off after {rsi.timeout_cycles} missed answers.

Correction limits, deg from HOME (AXISCORR LowerLim/UpperLim, AXISCORRMON Max),
the smooth-stop allowance included in them, and the largest change per cycle:
  axis    lower    upper  monitor   stop   per cycle
{rows}

PITFALL: AXISCORR clamps the total correction to its limits without stopping the
program. Limits narrower than the table (many example contexts ship +-10 deg) make
the robot stop following in the middle of a choreography while the bridge goes on;
the bridge then reports actual and commanded poses apart. Keep the limits at least
as wide as the table, and start RSI at HOME (the program does): the limits are
measured from the pose at RSI_ON.

Verify on the controller (choreo cannot test these; KUKA RSI versions differ):
  - RSI_CREATE / RSI_ON / RSI_MOVECORR / RSI_OFF as written match your RSI version
    (they follow KUKA.RSI 3.x on KSS 8.x; compare the signatures in your RSI manual,
    4.x in particular), and RSI_ON(#ABSOLUTE, {ipo}) selects the {cfg.cycle_ms} ms cycle.
  - The context loads: RSIVisual may have to rebuild {CONTEXT_NAME} (it writes .rsi,
    .rsi.xml and .rsi.diagram) from the objects and parameters in {CONTEXT_FILE}.
  - The ETHERNET object's other parameters (Flag, Precision) keep RSIVisual's defaults.
  - $VEL_AXIS/$ACC_AXIS percentages for the PTP to HOME suit your cell.
"""


def kuka_files(cfg: RobotConfig, source: str = "") -> dict[str, str]:
    """All files of the kit, name -> text, after checking the configuration."""
    check_kit_config(cfg)
    src, dat = krl_program(cfg, source)
    return {
        ETHERNET_FILE: ethernet_xml(cfg),
        CONTEXT_FILE: context_xml(cfg),
        f"{KIT_NAME}.src": src,
        f"{KIT_NAME}.dat": dat,
        "README.txt": kit_readme(cfg, source),
    }


def write_kuka_files(
    outdir: str | os.PathLike[str], config: str | os.PathLike[str] | None = None
) -> list[Path]:
    """Load the robot configuration, build the kit and write it into ``outdir`` atomically.

    Parameters
    ----------
    outdir : path
        Destination folder (created when missing; files of the same names replaced).
    config : str or path, optional
        Robot configuration name or TOML path (default: the shipped KR 6 R900 sixx).
    """
    from choreo.robot.atomic_output import write_files
    from choreo.robot.config import DEFAULT_ROBOT_CONFIG, load_robot_config

    cfg = load_robot_config(config)
    # As given: the README's bridge command must load the very same configuration.
    source = str(config) if config else DEFAULT_ROBOT_CONFIG
    return write_files(outdir, kuka_files(cfg, source))
