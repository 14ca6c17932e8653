"""RSI tag names come from one place, the robot configuration's ``[rsi]`` table.

A non-default set (``AKorr``, another IPOC tag, another ``Type``) round-trips between
the bridge's RSI backend and the fake controller; mismatched sets do not, the way a
controller rejects them.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import numpy as np
import pytest
from bridge_fixtures import FakeKukaProcess, fast_config, short_vector, wait_until
from hypothesis import given, settings
from hypothesis import strategies as st

from choreo.config import resolve_config
from choreo.errors import ConfigError, InputError
from choreo.robot import osc_protocol as osc
from choreo.robot.backends.rsi import RsiBackend
from choreo.robot.bridge import Bridge
from choreo.robot.bridge_settings import BridgeSettings
from choreo.robot.client import BridgeClient
from choreo.robot.config import RobotConfig, load_robot_config, robot_config_with
from choreo.robot.fake_kuka import FakeKukaController
from choreo.robot.kr6 import HOME_DEG
from choreo.robot.rsi_ethernet import RsiEthernet
from choreo.robot.rsi_xml import TelegramFormat, parse_sen
from choreo.robot.safety import check_choreography

OTHER_TAGS = {"correction_tag": "AKorr", "ipoc_tag": "Tick", "sen_type": "ChoreoPC"}


def shipped_text() -> str:
    return resolve_config("kr6r900sixx", "robot").read_text()


def config_file(tmp_path: Path, **rsi: str) -> Path:
    """The shipped configuration with its [rsi] values replaced."""
    text = shipped_text()
    for key, value in rsi.items():
        text, n = re.subn(rf'(?m)^{key} = "[^"]*"$', f'{key} = "{value}"', text)
        assert n == 1, key
    path = tmp_path / "robot.toml"
    path.write_text(text)
    return path


def test_shipped_tags_are_the_defaults() -> None:
    rsi = load_robot_config().rsi
    assert rsi == RsiEthernet()
    assert (rsi.correction_tag, rsi.ipoc_tag, rsi.sen_type) == ("AK", "IPOC", "ImFree")
    # The default telegram is byte for byte the one the ros-industrial driver sends.
    assert TelegramFormat(rsi).format_sen((0.5, 0, 0, 0, 0, -1), 7) == (
        b'<Sen Type="ImFree"><AK A1="0.5000" A2="0.0000" A3="0.0000" A4="0.0000" '
        b'A5="0.0000" A6="-1.0000"/><IPOC>7</IPOC></Sen>'
    )


def test_other_tags_change_every_telegram() -> None:
    fmt = TelegramFormat(RsiEthernet(**OTHER_TAGS))
    sen = fmt.format_sen((1.0, 2.0, 3.0, 4.0, 5.0, 6.0), 123)
    assert sen.startswith(b'<Sen Type="ChoreoPC"><AKorr A1="1.0000"')
    assert sen.endswith(b"<Tick>123</Tick></Sen>")
    back = fmt.parse_sen(sen)
    assert (back.ipoc, back.ak, back.sen_type) == (123, (1.0, 2.0, 3.0, 4.0, 5.0, 6.0), "ChoreoPC")
    rob = fmt.format_rob(44, list(HOME_DEG))
    assert b"<Tick>44</Tick>" in rob
    assert fmt.parse_rob(rob).ipoc == 44
    # The default parser does not read them: the names are what the peers agree on.
    with pytest.raises(InputError, match="no <AK>"):
        parse_sen(sen)
    with pytest.raises(InputError, match="no <Tick>"):
        fmt.parse_rob(rob.replace(b"Tick", b"IPOC"))


names = st.from_regex(r"[A-WYZa-wyz_][A-Za-z0-9_]{0,10}", fullmatch=True)  # no xml...
angles = st.floats(-400.0, 400.0, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(
    corr=names,
    ipoc_tag=names,
    sen_type=names,
    ak=st.tuples(*[angles] * 6),
    ipoc=st.integers(0, 2**40),
)
def test_any_valid_tag_set_round_trips(
    corr: str, ipoc_tag: str, sen_type: str, ak: tuple[float, ...], ipoc: int
) -> None:
    if corr == ipoc_tag or corr in ("Sen", "Rob") or ipoc_tag in ("Sen", "Rob"):
        return
    fmt = TelegramFormat(RsiEthernet(correction_tag=corr, ipoc_tag=ipoc_tag, sen_type=sen_type))
    sen = fmt.parse_sen(fmt.format_sen(ak, ipoc))
    assert sen.ipoc == ipoc
    assert sen.sen_type == sen_type
    np.testing.assert_allclose(sen.ak, ak, atol=5e-5)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('correction_tag = "AK"', r"key 'rsi.correction_tag'.*not a plain XML name"),
        ('ipoc_tag = "IPOC"', r"key 'rsi.ipoc_tag'.*not a plain XML name"),
        ('sen_type = "ImFree"', r"key 'rsi.sen_type'.*not a plain XML name"),
    ],
)
def test_bad_tag_names_are_refused_naming_the_key(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "robot.toml"
    key = line.split(" = ")[0]
    path.write_text(shipped_text().replace(line, f'{key} = "A K"'))
    with pytest.raises(ConfigError, match=message) as info:
        load_robot_config(path)
    assert str(path) in str(info.value)


def test_equal_tags_and_bad_addresses_are_refused() -> None:
    cfg = load_robot_config()
    with pytest.raises(ConfigError, match="must differ"):
        robot_config_with(cfg, rsi={"correction_tag": "IPOC"})
    with pytest.raises(ConfigError, match="a telegram's root"):
        robot_config_with(cfg, rsi={"correction_tag": "Sen"})
    with pytest.raises(ConfigError, match=r"rsi.sen_type.*may not start with 'xml'"):
        robot_config_with(cfg, rsi={"sen_type": "XmlPC"})
    with pytest.raises(ConfigError, match=r"rsi.sensor_ip.*not an IPv4"):
        robot_config_with(cfg, rsi={"sensor_ip": "robot.local"})
    with pytest.raises(ConfigError, match=r"rsi.sensor_port"):
        robot_config_with(cfg, rsi={"sensor_port": 70000})
    with pytest.raises(ConfigError, match=r"unknown key 'rsi.corection_tag'"):
        robot_config_with(cfg, rsi={"corection_tag": "AK"})


def test_other_tags_round_trip_bridge_and_fake_controller(tmp_path: Path) -> None:
    """The bridge and ``choreo fake-kuka --config`` read the same [rsi] table."""
    cfg = robot_config_with(fast_config(), rsi=OTHER_TAGS)
    vector = short_vector(cfg)
    plan = check_choreography(vector, cfg).raise_if_unsafe()
    settings = BridgeSettings(
        listen=("127.0.0.1", 0), reply=None, backend="rsi", rsi_listen=("127.0.0.1", 0)
    )
    with Bridge(settings, cfg) as bridge, BridgeClient(bridge.address) as client:
        assert isinstance(bridge.backend, RsiBackend)
        fake_config = str(config_file(tmp_path, **OTHER_TAGS))
        fake = FakeKukaProcess(bridge.backend.address, duration_s=20.0, config=fake_config)
        try:
            wait_until(lambda: bridge.backend is not None and bridge.backend.not_ready() is None)
            client.play(1, vector)
            assert client.wait_for((osc.STARTED, osc.REJECTED), 1).address == osc.STARTED
            end = (osc.DONE, osc.ABORTED, osc.FAULT)
            done = client.wait_for(end, 1, timeout=plan.duration + 3)
            assert done.address == osc.DONE, done
            time.sleep(0.02)
        finally:
            summary = fake.finish()
    np.testing.assert_allclose(summary["position_deg"], plan.q[-1], atol=2e-4)
    assert summary["missed"] == 0, summary
    assert summary["foreign"] == 0
    assert summary["wrong_type"] == 0
    assert summary["answered"] > plan.duration / 0.004 * 0.9


@pytest.mark.parametrize(
    ("fake_tags", "counter"),
    [
        # The controller expects <AK>, the bridge sends <AKorr>.
        ({**OTHER_TAGS, "correction_tag": "AK"}, "foreign"),
        # SENTYPE differs.
        ({**OTHER_TAGS, "sen_type": "ImFree"}, "wrong_type"),
        # The controller's <IPOC> is not the bridge's <Tick>: the bridge cannot answer.
        ({}, None),
    ],
)
def test_mismatched_tags_are_rejected_and_rsi_breaks_off(
    fake_tags: dict[str, str], counter: str | None
) -> None:
    cfg: RobotConfig = robot_config_with(fast_config(), rsi=OTHER_TAGS)
    backend = RsiBackend(cfg, ("127.0.0.1", 0), loss_timeout_s=0.1, realtime=False)
    backend.start()
    try:
        with FakeKukaController(
            backend.address, max_late=10, realtime=False, ethernet=RsiEthernet(**fake_tags)
        ) as fake:
            assert fake.wait(3.0), "the controller should break RSI off"
            stats = fake.stats
        assert stats.answered == 0
        assert stats.missed == 10
        assert stats.stopped_reason is not None
        assert "10 answers missed" in stats.stopped_reason
        if counter is None:
            wait_until(lambda: backend.counters().get("rsi_bad_telegrams", 0) >= 10)
            assert backend.counters()["rsi_telegrams"] == 0
            assert backend.not_ready() is not None
        else:
            assert getattr(stats, counter) >= 9
            # The bridge answered every telegram, then saw the controller go.
            wait_until(lambda: "lost" in (backend.not_ready() or ""))
    finally:
        backend.close()
