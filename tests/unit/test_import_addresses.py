"""core.addresses: normalising and splitting addresses for geocoding."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.addresses import AddressParts, normalize_address, town_key

_KANJI = "〇一二三四五六七八九"


def kanji(n: int) -> str:
    """1..99 → 一 .. 九十九."""
    tens, ones = divmod(n, 10)
    return ("" if tens == 0 else ("十" if tens == 1 else _KANJI[tens] + "十")) + ("" if ones == 0 else _KANJI[ones])


def fullwidth(s: str) -> str:
    return s.translate(str.maketrans("0123456789-", "０１２３４５６７８９－"))


@pytest.mark.parametrize(
    "text",
    [
        "桜町2-3-4",
        "桜町２丁目３番４号",
        "桜町二丁目3-4",
        "桜町二丁目３番地４",
        "桜町2丁目3番地の4",
        "桜町 2丁目 3番 4号",
        "桜町２－３－４",
        "桜町2ー3ー4",
        "見本市桜町2-3-4",
        "架空県見本市桜町二丁目3番4号",
    ],
)
def test_same_place(text):
    parts = normalize_address(text)
    assert (parts.town, parts.chome, parts.block, parts.lot) == ("桜町", 2, 3, 4)
    assert parts.match_key("block") == "桜町|2|3"
    assert parts.match_key("town") == "桜町|2"


_towns = st.sampled_from(["桜町", "緑ヶ丘", "中央", "日之出町", "港町", "若葉台"])


@given(
    _towns, st.integers(1, 99), st.integers(1, 99), st.integers(1, 99), st.sampled_from(["", "見本市", "架空県見本市"])
)
def test_equivalent_writings(town, chome, block, lot, prefix):
    writings = [
        f"{town}{chome}-{block}-{lot}",
        fullwidth(f"{town}{chome}丁目{block}番{lot}号"),
        f"{town}{kanji(chome)}丁目{block}-{lot}",
        f"{town}{kanji(chome)}丁目{fullwidth(str(block))}番地{fullwidth(str(lot))}",
        f"{town}{chome}丁目{block}番地の{lot}",
    ]
    expected = AddressParts("", "", town, chome, block, lot, "")
    for text in writings:
        parts = normalize_address(prefix + text)
        assert (parts.town, parts.chome, parts.block, parts.lot, parts.rest) == (
            expected.town,
            expected.chome,
            expected.block,
            expected.lot,
            "",
        ), text
        assert parts.match_key("block") == f"{town_key(town)}|{chome}|{block}"


def test_prefix_and_rest():
    parts = normalize_address("架空県見本市桜町二丁目３番地４　ハイツ101")
    assert parts == AddressParts("架空県", "見本市", "桜町", 2, 3, 4, "ハイツ101")
    assert normalize_address("桜町2-3-4 101").rest == "101"  # a room number after a space is 方書
    assert normalize_address("桜町2-3-4-101").rest == "101"
    parts = normalize_address("東京都千代田区三番町5-1")
    assert (parts.city, parts.town, parts.block, parts.lot) == ("千代田区", "三番町", 5, 1)
    parts = normalize_address("三重県四日市市桜町1-2-3")
    assert (parts.city, parts.town) == ("四日市市", "桜町")
    parts = normalize_address("北海道札幌市中央区北1条西2丁目3-4")
    assert (parts.city, parts.town, parts.chome, parts.block) == ("札幌市中央区", "北1条西", 2, 3)
    assert normalize_address("新市街1-2").town == "新市街"  # one character before 市: a town, not a city


def test_towns_without_chome_and_levels():
    parts = normalize_address("見本市港町5番3号")
    assert (parts.town, parts.chome, parts.block, parts.lot) == ("港町", None, 5, 3)
    assert parts.match_key("block") == "港町||5"
    assert normalize_address("港町").match_key("block") == ""  # no 街区: no block-level key
    assert normalize_address("港町").match_key("town") == "港町|"
    assert normalize_address("").match_key("town") == ""
    with pytest.raises(ValueError):
        parts.match_key("city")


def test_registry_towns_match_resident_addresses():
    # 位置参照情報 writes 大字・町丁目名 with the 丁目 in kanji and the 街区 apart
    assert normalize_address("桜町二丁目" + "3番").match_key("block") == normalize_address("見本市桜町2-3-4").match_key(
        "block"
    )
    assert normalize_address("北一条西二丁目").match_key("town") == normalize_address("北1条西2丁目").match_key("town")
    assert normalize_address("緑ケ丘一丁目").match_key("town") == normalize_address("緑ヶ丘1-5-2").match_key("town")
    assert normalize_address("日ノ出町").match_key("town") == normalize_address("日之出町12番3号").match_key("town")
    assert normalize_address("大字山田123番地").match_key("block") == "山田||123"


def test_chome_towns_resolve_two_numbers():
    assert normalize_address("桜町2-3").block == 2  # without knowledge: block-lot
    parts = normalize_address("桜町2-3", chome_towns={"桜町"})
    assert (parts.chome, parts.block) == (2, 3)
    assert normalize_address("港町2-3", chome_towns={"桜町"}).block == 2


def test_cities_argument():
    parts = normalize_address("中央市場町1-2", cities=["中央市"])
    assert (parts.city, parts.town) == ("中央市", "場町")
    parts = normalize_address("市場町1-2", cities=["見本市"])
    assert (parts.city, parts.town) == ("", "市場町")
