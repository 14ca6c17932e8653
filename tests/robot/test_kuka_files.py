"""``choreo kuka-files``: the controller kit says what the bridge reads and sends, its
correction limits cover every correction the bridge can send, and a bad configuration
writes nothing."""

from __future__ import annotations

import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from choreo.config import resolve_config
from choreo.errors import ConfigError
from choreo.robot.codec import random_vector
from choreo.robot.config import load_robot_config, robot_config_with
from choreo.robot.kr6 import AXES, HOME_DEG
from choreo.robot.krl import read_axis_points, read_statements
from choreo.robot.kuka_files import (
    CONTEXT_FILE,
    ETHERNET_FILE,
    correction_limits,
    kuka_files,
    write_kuka_files,
)
from choreo.robot.rsi_xml import TelegramFormat
from choreo.robot.safety import check_choreography, plan_stop

OTHER = {"correction_tag": "AKorr", "sen_type": "Studio", "sensor_ip": "10.0.0.7"}


@pytest.mark.parametrize("rsi", [{}, OTHER])
def test_ethernet_config_names_what_the_bridge_reads_and_sends(rsi: dict[str, str]) -> None:
    cfg = robot_config_with(load_robot_config(), rsi=rsi)
    root = ET.fromstring(kuka_files(cfg)[ETHERNET_FILE])
    conf = root.find("CONFIG")
    assert conf is not None
    assert conf.findtext("IP_NUMBER") == cfg.rsi.sensor_ip
    assert conf.findtext("PORT") == str(cfg.rsi.sensor_port)
    assert conf.findtext("SENTYPE") == cfg.rsi.sen_type
    assert conf.findtext("ONLYSEND") == "FALSE"
    received = [e.get("TAG") for e in root.iterfind("RECEIVE/ELEMENTS/ELEMENT")]
    sent = {e.get("TAG") for e in root.iterfind("SEND/ELEMENTS/ELEMENT")}
    # The bridge's answer, read as XML: its type and every corrected axis are declared.
    answer = ET.fromstring(TelegramFormat(cfg.rsi).format_sen((1, 2, 3, 4, 5, 6), 8))
    assert answer.get("Type") == cfg.rsi.sen_type
    corr = answer.find(cfg.rsi.correction_tag)
    assert corr is not None
    assert received == [f"{corr.tag}.{axis}" for axis in corr.attrib]
    assert [e.get("INDX") for e in root.iterfind("RECEIVE/ELEMENTS/ELEMENT")] == [
        str(i) for i in range(1, 7)
    ]
    # What the bridge reads from <Rob>: actual and setpoint axes and the late count.
    assert {"DEF_AIPos", "DEF_ASPos", "DEF_Delay"} <= sent


def test_context_wires_the_corrections_and_its_limits_are_the_envelopes() -> None:
    cfg = load_robot_config()
    files = kuka_files(cfg)
    root = ET.fromstring(files[CONTEXT_FILE])
    objects = {o.get("ObjID"): o for o in root.iter("RSIObject")}
    eth = objects["ETHERNET1"]
    params = {p.get("Name"): p.get("ParamValue") for p in eth.iter("Parameter")}
    assert params == {"ConfigFile": ETHERNET_FILE, "Timeout": str(cfg.rsi.timeout_cycles)}
    corr = objects["AXISCORR1"]
    wires = [(i.get("InIdx"), i.get("OutObjID"), i.get("OutIdx")) for i in corr.iter("Input")]
    assert wires == [(str(k), "ETHERNET1", str(k)) for k in range(1, 7)]
    p = {x.get("Name"): float(x.get("ParamValue", "nan")) for x in corr.iter("Parameter")}
    lower = np.array([p[f"LowerLim{a}"] for a in AXES])
    upper = np.array([p[f"UpperLim{a}"] for a in AXES])
    mon = objects["AXISCORRMON1"]
    m = np.array([float(x.get("ParamValue", "nan")) for x in mon.iter("Parameter")])
    lim = correction_limits(cfg)
    np.testing.assert_array_equal(lower, lim.lower)
    np.testing.assert_array_equal(upper, lim.upper)
    np.testing.assert_array_equal(m, np.maximum(-lower, upper))
    # The envelope relative to HOME, widened by the stop allowance, inside the
    # software limits minus the margin, rounded outwards to 0.1 deg.
    env = cfg.envelope - HOME_DEG[:, None]
    pos = cfg.position_limits - HOME_DEG[:, None]
    want_lo = np.maximum(env[:, 0] - lim.stop_allowance, pos[:, 0])
    want_hi = np.minimum(env[:, 1] + lim.stop_allowance, pos[:, 1])
    assert np.all(lower <= want_lo + 1e-9)
    assert np.all(lower > want_lo - 0.1 - 1e-9)
    assert np.all(upper >= want_hi - 1e-9)
    assert np.all(upper < want_hi + 0.1 + 1e-9)
    # Shipped envelope: A1 [-120, 120] from HOME 0, 21.1 deg stop allowance.
    assert (lower[0], upper[0]) == (-141.1, 141.1)


def test_limits_cover_every_correction_the_bridge_sends() -> None:
    """Choreographies and smooth stops from anywhere in them stay inside AXISCORR's limits,
    and no cycle's step is larger than the kit says."""
    cfg = load_robot_config()
    lim = correction_limits(cfg)
    rng = np.random.default_rng(0)
    worst_low, worst_high = np.zeros(6), np.zeros(6)
    for seed in range(4):
        plan = check_choreography(random_vector(seed), cfg).raise_if_unsafe()
        corrections = [plan.q - HOME_DEG]
        for i in rng.integers(1, plan.q.shape[0] - 1, size=25):
            stop = plan_stop(plan.q[i], plan.qd[i], cfg, plan.qdd[i])
            corrections.append(stop.q - HOME_DEG)
        c = np.vstack(corrections)
        worst_low = np.minimum(worst_low, c.min(axis=0))
        worst_high = np.maximum(worst_high, c.max(axis=0))
        step = np.abs(np.diff(plan.q, axis=0)).max(axis=0)
        assert np.all(step <= lim.max_step * (1 + 1e-6))
    assert np.all(worst_low >= lim.lower), (worst_low, lim.lower)
    assert np.all(worst_high <= lim.upper), (worst_high, lim.upper)


def test_krl_program_moves_home_then_runs_rsi() -> None:
    cfg = load_robot_config()
    files = kuka_files(cfg)
    points = read_axis_points(files["choreo_rsi.dat"])
    np.testing.assert_allclose(points["XCHOREO_HOME"], HOME_DEG)
    steps = read_statements(files["choreo_rsi.src"])
    assert steps[0] == "DEF choreo_rsi( )"
    assert steps[-1] == "END"
    order = [
        "PTP XCHOREO_HOME",
        'ret = RSI_CREATE("choreo_rsi.rsi", CONTID, TRUE)',
        "ret = RSI_ON(#ABSOLUTE, #IPO_FAST)",
        "RSI_MOVECORR()",
        "ret = RSI_OFF()",
    ]
    at = [steps.index(s) for s in order]
    assert at == sorted(at)
    assert steps[-2] == "PTP XCHOREO_HOME"
    assert "$VEL_AXIS[1] = 30" in steps  # speed_scale 0.3
    assert files["choreo_rsi.src"].count("\r\n") == files["choreo_rsi.src"].count("\n")
    slow = robot_config_with(cfg, cycle_ms=12)
    assert "ret = RSI_ON(#ABSOLUTE, #IPO)" in read_statements(kuka_files(slow)["choreo_rsi.src"])


def test_kit_is_written_to_a_new_folder(tmp_path: Path) -> None:
    out = tmp_path / "kit" / "r1"
    paths = write_kuka_files(out)
    assert sorted(p.name for p in out.iterdir()) == sorted(p.name for p in paths)
    assert len(paths) == 5
    readme = (out / "README.txt").read_text()
    assert "PITFALL" in readme
    assert re.search(r"A1\s+-141\.1\s+141\.1", readme)


def test_a_bad_config_writes_nothing(tmp_path: Path) -> None:
    text = resolve_config("kr6r900sixx", "robot").read_text()
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('ipoc_tag = "IPOC"', 'ipoc_tag = "Tick"'))
    out = tmp_path / "kit"
    with pytest.raises(ConfigError, match=r"rsi.ipoc_tag.*always sends <IPOC>"):
        write_kuka_files(out, bad)
    assert not out.exists()
    # An existing kit stays as it was.
    write_kuka_files(out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    broken = tmp_path / "broken.toml"
    broken.write_text(text.replace('sen_type = "ImFree"', 'sen_type = "Im Free"'))
    with pytest.raises(ConfigError, match=r"rsi.sen_type"):
        write_kuka_files(out, broken)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not list(tmp_path.glob(".kit.*"))
    nowhere = tmp_path / "nowhere.toml"
    nowhere.write_text(text.replace('sensor_ip = "192.168.1.100"', 'sensor_ip = "0.0.0.0"'))
    with pytest.raises(ConfigError, match=r"rsi.sensor_ip.*address of the PC"):
        write_kuka_files(tmp_path / "kit2", nowhere)
    assert not (tmp_path / "kit2").exists()


def test_cli_writes_the_kit_and_refuses_a_bad_config_in_one_line(tmp_path: Path) -> None:
    exe = str(Path(sys.executable).with_name("choreo"))
    ok = subprocess.run([exe, "kuka-files", str(tmp_path / "k")], capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert (tmp_path / "k" / "choreo_rsi.src").exists()
    # The kit tells how to start the bridge on the same configuration.
    readme = (tmp_path / "k" / "README.txt").read_text()
    assert "choreo bridge --backend rsi --config kr6r900sixx --rsi-listen 192.168.1.100:49152" in (
        readme
    )
    bad = tmp_path / "bad.toml"
    bad.write_text("cycle_ms = 4\n")
    run = subprocess.run(
        [exe, "kuka-files", str(tmp_path / "k2"), "--config", str(bad)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert run.stderr.startswith("choreo: error: ")
    assert str(bad) in run.stderr
    assert len(run.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "k2").exists()
