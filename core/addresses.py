"""Japanese addresses, the one normaliser: a matching key for search (``address_key``) and the split into
parts for geocoding against 位置参照情報 (``normalize_address``), on the same text steps.

``address_key("桜町２丁目３番４号") == address_key("桜町二丁目3-4") == "桜町2-3-4"``

``normalize_address("架空県見本市桜町二丁目３番地４　ハイツ101")`` →
``AddressParts(prefecture="架空県", city="見本市", town="桜町", chome=2, block=3, lot=4, rest="ハイツ101")``.

These are treated as the same place: ``桜町2-3-4``, ``桜町２丁目３番４号``, ``桜町二丁目3-4``,
``桜町二丁目３番地４``, full or half width, with or without the prefecture / city prefix.

Rules:

* NFKC, whitespace runs collapsed, dash-like characters (－ ‐ − — ー between numbers) → ``-``,
  kanji numerals that are address numbers (before 丁目/番/号/-, after 丁目/番/-/の) → digits.
* Prefecture: the 47 names, or 2–3 characters ending in 県 (the synthetic 架空県).
* City: a name in ``cities`` when given; otherwise, after a prefecture: ``…郡…町/村``, ``…市(…区)``,
  ``…区`` (東京都); without a prefecture: ``XX市`` with at least two characters before 市
  (``新市街`` is a town, ``見本市`` a city) and 政令市 wards ``XX市YY区``.
* Numbers: ``N丁目`` → chome, ``N番``/``N番地`` → block (街区符号 or 地番), ``N号`` → lot; numbers
  without units (``2-3-4``) are read chome-block-lot when there are three, block-lot when two or one.
  Pass ``chome_towns`` (towns that have 丁目, e.g. from the address registry; names or
  ``town_key`` values) to read ``桜町2-3`` as 2丁目3番. Anything after the numbers is ``rest`` (方書: building, room).
* ``match_key(level)``: town (大字/字 prefix dropped, ヶ/ケ/が and の/ノ/之 between kanji and a few
  variant kanji folded, numerals as digits) + 丁目 (+ 街区 at level ``block``); "" when the address
  lacks that level.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import lru_cache

from core.text import _fixed_point, _strip_ws, kanji_to_int

__all__ = ["AddressParts", "normalize_address", "PREFECTURES", "town_key", "address_key", "cached_address_key"]

PREFECTURES = (
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
)


@dataclass(frozen=True, slots=True)
class AddressParts:
    prefecture: str = ""
    city: str = ""
    town: str = ""  # 町名 / 大字 without 丁目, NFKC
    chome: int | None = None
    block: int | None = None  # 街区符号 or 地番 (番 / 番地)
    lot: int | None = None  # 号 (住居番号) or 枝番
    rest: str = ""  # 方書: building, room …

    def match_key(self, level: str = "block") -> str:
        """``block``: town|丁目|街区; ``town``: town|丁目; "" when the address lacks that level."""
        if not self.town:
            return ""
        head = f"{town_key(self.town)}|{'' if self.chome is None else self.chome}"
        if level == "town":
            return head
        if level == "block":
            return "" if self.block is None else f"{head}|{self.block}"
        raise ValueError(f"unknown level {level!r} (block or town)")

    def keys(self) -> dict[str, str]:
        return {"block": self.match_key("block"), "town": self.match_key("town")}


# ---------------------------------------------------------------------------------------------- text steps

# Shared by both normalisers: dash-like characters (ー only between numerals, as a typed hyphen: 3ー4 / 三ー四)
# and kanji numerals that are address numbers (before 丁目/番/号/-, after 丁目/番/-/の); town names with
# numerals that are not address numbers (三田, 八丁堀, 九段) are left alone.
_DASHES = "\u002d\u2010\u2011\u2012\u2013\u2014\u2015\u2043\u2212\ufe58\ufe63\uff0d\uff70"
_DASH_RE = re.compile(f"[{re.escape(_DASHES)}]")
_KNUM = "〇一二三四五六七八九十百千"
_NUM_CLASS = "0-9" + _KNUM
_CHOON_RE = re.compile(f"(?<=[{_NUM_CLASS}])ー(?=[{_NUM_CLASS}])")


def _kanji_number_re(before_ban: str) -> re.Pattern[str]:
    return re.compile(
        f"(?:(?<=[{_NUM_CLASS}]-)|(?<=丁目)|(?<=番地)|(?<=番)|(?<=番地の)|(?<=番の)|(?<=[{_NUM_CLASS}]の))[{_KNUM}]+"
        f"|[{_KNUM}]+(?=丁目|番{before_ban}|号(?!室)|-)"
    )


# The parser keeps 三番町 a town name (番 followed by 町 is not a 番地); the search key turns it into 3番町,
# so that 一番町 and 1番町, typed either way, find each other.
_PARTS_KANJI_NUM_RE = _kanji_number_re("(?!町)")
_KANJI_NUM_RE = _kanji_number_re("")
_kanji_value = lru_cache(maxsize=4096)(kanji_to_int)


def _kanji_number(m: re.Match) -> str:
    try:
        return str(_kanji_value(m.group(0)))
    except ValueError:
        return m.group(0)


_WS_RE = re.compile(r"\s+")
_SPACED_DASH_RE = re.compile(r"(?<=\d) ?- ?(?=\d)")
# spaces inside the number part: "桜町 2丁目 3番 4号", "桜町 2-3-4"; not "2-3-4 101" (101 is 方書)
_SPACE_BEFORE_NUMBER_RE = re.compile(r" (?=\d+(?:丁目|番|号|-\d|の\d))")
_SPACE_AFTER_UNIT_RE = re.compile(r"(?:(?<=丁目)|(?<=番地)|(?<=\d番)) (?=\d+(?: |$))")
_PREF_GENERIC_RE = re.compile(r"^(.{2,3}?県)")
_CITY_AFTER_PREF_RE = re.compile(r"^(?:(.{1,5}?郡.{1,5}?[町村])|(.{1,6}?市(?:.{1,5}?区)?))")
_CITY_ALONE_RE = re.compile(r"^(.{2,6}?市(?:[^0-9\s]{1,5}?区(?=[^0-9\s]))?)(?=[^0-9\s\-])")
_TOKYO_WARD_RE = re.compile(r"^(.{1,4}?区)")
_NUMBER_RE = re.compile(r"(\d+)(丁目|番地|番(?!町)|号(?![室棟館])|)")
_SEP_RE = re.compile(r"(?:-|の|之)(?=\d)")


def _kanji_numbers(s: str) -> str:
    return _PARTS_KANJI_NUM_RE.sub(_kanji_number, s)


def _prepare(text: str) -> str:
    s = unicodedata.normalize("NFKC", text)
    s = _WS_RE.sub(" ", s).strip()
    s = _DASH_RE.sub("-", s)
    s = _CHOON_RE.sub("-", s)
    s = _kanji_numbers(s)
    s = _SPACED_DASH_RE.sub("-", s)
    s = _SPACE_BEFORE_NUMBER_RE.sub("", s)
    return _SPACE_AFTER_UNIT_RE.sub("", s)


# ---------------------------------------------------------------------------------------------- town key

_VARIANTS = str.maketrans(
    {
        "﨑": "崎",
        "嵜": "崎",
        "髙": "高",
        "邊": "辺",
        "邉": "辺",
        "澤": "沢",
        "濱": "浜",
        "濵": "浜",
        "齋": "斎",
        "齊": "斉",
        "櫻": "桜",
        "舘": "館",
        "冨": "富",
        "國": "国",
        "嶋": "島",
        "峯": "峰",
        "廣": "広",
        "驛": "駅",
        "龍": "竜",
        "德": "徳",
    }
)
_KE_RE = re.compile(r"(?<=[\u4e00-\u9fff])[ヶヵケがガ](?=[\u4e00-\u9fff])")
_NO_RE = re.compile(r"(?<=[\u4e00-\u9fff])[のノ之](?=[\u4e00-\u9fff])")
_ALL_KANJI_NUMERALS_RE = re.compile(f"[{_KNUM}]+")


@lru_cache(maxsize=1 << 14)
def town_key(town: str) -> str:
    """Folded town name for matching (see the module docstring)."""
    t = unicodedata.normalize("NFKC", town).replace(" ", "")
    if t.startswith("大字"):
        t = t[2:]
    elif t.startswith("字") and len(t) > 1:
        t = t[1:]
    t = t.translate(_VARIANTS)
    t = _KE_RE.sub("ケ", t)
    t = _NO_RE.sub("ノ", t)
    return _ALL_KANJI_NUMERALS_RE.sub(_kanji_number, t)


# ---------------------------------------------------------------------------------------------- parsing


def _strip_prefix(s: str, cities: tuple[str, ...] | None) -> tuple[str, str, str]:
    prefecture = city = ""
    for name in PREFECTURES:
        if s.startswith(name):
            prefecture, s = name, s[len(name) :]
            break
    else:
        m = _PREF_GENERIC_RE.match(s)
        if m and len(s) > len(m[1]):
            prefecture, s = m[1], s[len(m[1]) :]
    s = s.lstrip()
    if cities:
        for name in cities:
            if name and s.startswith(name):
                return prefecture, name, s[len(name) :].lstrip()
        return prefecture, city, s
    if prefecture:
        m = _CITY_AFTER_PREF_RE.match(s)
        if m is None and prefecture == "東京都":
            m = _TOKYO_WARD_RE.match(s)
        if m:
            city = m.group(0)
            # 四日市市, 廿日市市: the city name itself contains 市
            if s[len(city) : len(city) + 1] == "市":
                city += "市"
    else:
        m = _CITY_ALONE_RE.match(s)
        if m:
            city = m.group(1)
            if s[len(city) : len(city) + 1] == "市":
                city += "市"
    return prefecture, city, s[len(city) :].lstrip()


def _parse(text: str, cities: tuple[str, ...] | None, chome_towns: Collection[str] | None) -> AddressParts:
    s = _prepare(text)
    prefecture, city, s = _strip_prefix(s, cities)
    # town: up to the first number that is an address number (digits followed by 条/線/地割 stay in the name)
    pos = 0
    town_end = len(s)
    while True:
        m = _DIGITS_RE.search(s, pos)
        if m is None:
            break
        after = s[m.end() : m.end() + 2]
        if after[:1] in ("", "-", " ", "の", "番", "号") or after.startswith("丁目") or not after[:1].strip():
            town_end = m.start()
            break
        if after[:1] in "之" and s[m.end() + 1 : m.end() + 2].isdigit():
            town_end = m.start()
            break
        pos = m.end()
    town = s[:town_end].strip().rstrip("-")
    p = town_end
    numbers: list[tuple[int, str]] = []
    while True:
        m = _NUMBER_RE.match(s, p)
        if m is None or not m.group(1):
            break
        numbers.append((int(m.group(1)), m.group(2)))
        p = m.end()
        sep = _SEP_RE.match(s, p)
        if sep:
            p = sep.end()
            continue
        if m.group(2) in ("丁目", "番地", "番") and p < len(s) and s[p].isdigit():
            continue
        break
    rest = s[p:].strip(" -")
    chome = block = lot = None
    roles = ("chome", "block", "lot")
    role = -1  # index of the last filled role
    positional = [n for n, unit in numbers if not unit]
    extra: list[str] = []
    for i, (n, unit) in enumerate(numbers):
        if unit == "丁目":
            r = 0
        elif unit in ("番", "番地"):
            r = 1
        elif unit == "号":
            r = 2
        elif role >= 0:
            r = role + 1
        else:
            # the first number has no unit: is it a 丁目?
            if chome_towns is not None:
                r = 0 if (town in chome_towns or town_key(town) in chome_towns) else 1
            else:
                r = 0 if len(positional) >= 3 else 1
        if r <= role or r > 2:
            extra.append(str(n))
            continue
        role = r
        if roles[r] == "chome":
            chome = n
        elif roles[r] == "block":
            block = n
        else:
            lot = n
    if extra:
        rest = "-".join(extra) + (" " + rest if rest else "")
    return AddressParts(prefecture, city, town, chome, block, lot, rest)


_DIGITS_RE = re.compile(r"\d+")


@lru_cache(maxsize=1 << 17)
def _cached(text: str, cities: tuple[str, ...] | None) -> AddressParts:
    return _parse(text, cities, None)


def normalize_address(
    text: str, *, cities: Iterable[str] | None = None, chome_towns: Collection[str] | None = None
) -> AddressParts:
    """Split and normalise an address (see the module docstring). Never raises for odd text."""
    city_tuple = tuple(sorted(cities, key=len, reverse=True)) if cities is not None else None
    if chome_towns is None:
        return _cached(text or "", city_tuple)
    return _parse(text or "", city_tuple, chome_towns)


# ---------------------------------------------------------------------------------------------- search key


def _then_dash(m: re.Match) -> str:
    return m.group(1) + "-"


def _number_only(m: re.Match) -> str:
    return m.group(1)


# (pattern, replacement, a unit the pattern needs: without it the substitution cannot change the text)
_UNIT_RES = (
    (re.compile(r"(\d+)丁目"), _then_dash, "丁目"),
    (re.compile(r"(\d+)番地の?"), _then_dash, "番地"),
    (re.compile(r"(\d+)番(?!町)の?"), _then_dash, "番"),
    (re.compile(r"(\d+)号(?!室)"), _number_only, "号"),
    (re.compile(r"(\d+)の(?=\d)"), _then_dash, "の"),
)
_MULTI_DASH_RE = re.compile(r"-{2,}")
_DANGLING_DASH_RE = re.compile(r"(?<=\d)-(?!\d)")
_NON_HYPHEN_DASH_RE = re.compile(f"[{re.escape(_DASHES.replace('-', ''))}]")
_KANJI_NUM_CHAR_RE = re.compile(f"[{_KNUM}]")


def _address_key_step(s: str) -> str:
    # Each substitution is skipped when a cheap test shows it cannot change the text (the unit it
    # rewrites is absent, …): an import keys hundreds of thousands of addresses.
    s = unicodedata.normalize("NFKC", s)
    if " " in s or not s.isprintable():  # every \s character is " " or non-printable
        s = _strip_ws(s)
    if _NON_HYPHEN_DASH_RE.search(s):  # "-" -> "-" is a no-op
        s = _DASH_RE.sub("-", s)
    if "ー" in s:
        s = _CHOON_RE.sub("-", s)
    if _KANJI_NUM_CHAR_RE.search(s) and ("丁目" in s or "番" in s or "号" in s or "-" in s or "の" in s):
        s = _KANJI_NUM_RE.sub(_kanji_number, s)  # every match needs one of those next to it
    for rx, repl, unit in _UNIT_RES:
        if unit in s:
            s = rx.sub(repl, s)
    if "--" in s:
        s = _MULTI_DASH_RE.sub("-", s)
    if "-" in s:
        s = _DANGLING_DASH_RE.sub("", s)
    return s


# Exact shortcut for the usual shape of a register address, A = T + [K 丁目] + B 番 + L 号, optionally
# followed by whitespace and a 方書 R:
#   T  a town part with no whitespace, digit (\d), dash, ー, kanji numeral, nor any of 丁 目 番 号 の 之,
#      and already NFKC (so no step of address_key can touch it, nor see it as context);
#   K  kanji numerals (→ str(kanji_to_int(K)), as _KANJI_NUM_RE does before 丁目) or ASCII digits (kept);
#   B, L  ASCII digits (kept as written).
# Pass 1 of _address_key_step on A gives T + K' + "-" + B + "-" + L (丁目 → "-", 番 → "-", 号 → ""), and
# pass 2 changes nothing, so address_key(A) = T + K' + "-" + B + "-" + L.
# With a 方書: the whitespace goes; R's first character must be a letter (Unicode L* except the
# modifier letters ー ﾞ ﾟ) that is not a kanji numeral nor 丁 番 号 の 之. Then no pattern can match across
# the boundary (every pattern that looks left needs a dash, 丁目, 番, の or a numeral before the
# position; every number pattern needs a digit or unit right after A's last digit; 号(?!室) needs R not
# to start with 室), NFKC cannot compose across it (A ends with 号), so address_key(A + ws + R) =
# address_key(A) + address_key(R).
# tests/unit/test_text.py checks both equalities against the plain steps on generated addresses.
_SIMPLE_ADDRESS_RE = re.compile(
    r"([^\s\d\-〇一二三四五六七八九十百千ー丁目番号の之]+?)"
    r"(?:([〇一二三四五六七八九十百千]+|[0-9]+)丁目)?"
    r"([0-9]+)番([0-9]+)号"
    r"(?:\s+(.+))?",
    re.DOTALL,
)
_DANGEROUS_START = frozenset("〇一二三四五六七八九十百千丁番号の之室")


def _safe_start(c: str) -> bool:
    """A 方書 may start with ``c`` (a letter, already NFKC, not a numeral/unit, not 室 (号室))."""
    return (
        unicodedata.category(c) in ("Lo", "Lu", "Ll", "Lt")
        and c not in _DANGEROUS_START
        and unicodedata.is_normalized("NFKC", c)
    )


def address_key(s: str) -> str:
    """Key for matching addresses typed in different ways.

    Steps: NFKC; remove whitespace; unify hyphen-like characters to "-"
    (ー only between numerals); convert kanji numerals that are address
    numbers to ASCII; rewrite "N丁目M番K号", "N番地M", "N番地のM", "NのM"
    into "N-M-K"; drop a dangling "-" after a number. Repeated until the
    key stops changing, with a one-pass shortcut for the usual register shape.

    >>> address_key("桜町２丁目３番４号") == address_key("桜町二丁目3-4") == "桜町2-3-4"
    True
    """
    m = _SIMPLE_ADDRESS_RE.fullmatch(s)
    if m is not None:
        town, chome, block, lot, rest = m.groups()
        if (
            unicodedata.is_normalized("NFKC", town)
            and not _NON_HYPHEN_DASH_RE.search(town)
            and (rest is None or (_safe_start(rest[0]) and not rest[0].isspace()))
        ):
            if chome is None:
                head = f"{town}{block}-{lot}"
            else:
                number = chome if chome.isascii() else str(_kanji_value(chome))
                head = f"{town}{number}-{block}-{lot}"
            return head if rest is None else head + cached_address_key(rest)
    return _fixed_point(_address_key_step, s)


cached_address_key = lru_cache(maxsize=1 << 17)(address_key)
"""``address_key`` with a cache, for imports (neighbours in a register share addresses and 方書)."""
