"""RSI telegrams: the layout a KUKA controller sends and expects, parsed and formatted."""

from __future__ import annotations

import pytest

from choreo.errors import InputError
from choreo.robot.rsi_xml import format_rob, format_sen, parse_rob, parse_sen

REAL_ROB = (
    b'<Rob Type="KUKA"><RIst X="525.0000" Y="0.0000" Z="890.0000" A="0.0000" B="90.0000" '
    b'C="0.0000"/><RSol X="525.0" Y="0.0" Z="890.0" A="0.0" B="90.0" C="0.0"/>'
    b'<AIPos A1="0.0000" A2="-90.0000" A3="90.0000" A4="0.0000" A5="0.0000" A6="0.0000"/>'
    b'<ASPos A1="0.1000" A2="-90.0000" A3="90.0000" A4="0.0000" A5="0.0000" A6="0.0000"/>'
    b'<Delay D="2"/><Digout o1="0"/><IPOC>4119823120</IPOC></Rob>'
)


def test_parse_a_controller_telegram() -> None:
    tel = parse_rob(REAL_ROB)
    assert tel.ipoc == 4119823120
    assert tel.aipos == (0.0, -90.0, 90.0, 0.0, 0.0, 0.0)
    assert tel.aspos is not None
    assert tel.aspos[0] == pytest.approx(0.1)
    assert tel.delay == 2


def test_attribute_order_and_whitespace_do_not_matter() -> None:
    data = (
        b'<Rob Type="KUKA">\n  <AIPos A6="6" A5="5" A4="4" A3="3" A2="2" A1="1" />\n'
        b"  <IPOC> 17 </IPOC>\n</Rob>"
    )
    tel = parse_rob(data)
    assert tel.aipos == (1.0, 2.0, 3.0, 4.0, 5.0, 6.0)
    assert tel.ipoc == 17
    assert tel.aspos is None


def test_sen_answer_echoes_ipoc_with_four_decimals() -> None:
    data = format_sen((0.123456, -1.0, 2.5, 0.0, 0.0, -0.00004), 4119823120)
    assert data.startswith(b'<Sen Type="ImFree"><AK A1="0.1235" A2="-1.0000"')
    assert data.endswith(b"<IPOC>4119823120</IPOC></Sen>")
    sen = parse_sen(data)
    assert sen.ipoc == 4119823120
    assert sen.ak == pytest.approx((0.1235, -1.0, 2.5, 0.0, 0.0, -0.0), abs=1e-9)


def test_rob_round_trip() -> None:
    data = format_rob(12, [1, 2, 3, 4, 5, 6], [1, 2, 3, 4, 5, 7], [1, 2, 3, 4, 5, 6], 3)
    tel = parse_rob(data)
    assert (tel.ipoc, tel.aipos, tel.aspos, tel.delay) == (
        12,
        (1.0, 2.0, 3.0, 4.0, 5.0, 6.0),
        (1.0, 2.0, 3.0, 4.0, 5.0, 7.0),
        3,
    )


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"<Sen/>", "not a <Rob>"),
        (b'<Rob Type="KUKA"><IPOC>1</IPOC></Rob>', "no <AIPos>"),
        (b'<Rob><AIPos A1="0" A2="0" A3="0" A4="0" A5="0" A6="0"/></Rob>', "no <IPOC>"),
        (b'<Rob><AIPos A1="0" A2="0" A3="0" A4="0" A5="0"/><IPOC>1</IPOC></Rob>', "lacks"),
        (
            b'<Rob><AIPos A1="x" A2="0" A3="0" A4="0" A5="0" A6="0"/><IPOC>1</IPOC></Rob>',
            "non-numeric",
        ),
    ],
)
def test_bad_telegrams_raise_input_error(data: bytes, words: str) -> None:
    with pytest.raises(InputError, match=words):
        parse_rob(data)


def test_bad_answer_raises_input_error() -> None:
    with pytest.raises(InputError, match="no <AK>"):
        parse_sen(b'<Sen Type="ImFree"><IPOC>1</IPOC></Sen>')
