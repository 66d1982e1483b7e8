"""Deterministic SYNTHETIC resident register for a fictional municipality.

Everything here is invented: the municipality 見本市 (みほん市) in 架空県,
its towns, numbers, phone numbers and coordinates. Names are drawn from
lists of common Japanese surnames / given names, combined at random, so
no record describes a real person.

Usage::

    city = generate_city(3000, seed=1)
    city.households, city.residents, city.dwellings

Output is fully deterministic for ``(n_residents, seed, with_gaiji, as_of)``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from core.codes import municipality_check_digit, with_mod11
from core.wareki import era_of, to_wareki

__all__ = [
    "PREFECTURE",
    "CITY_NAME",
    "CITY_NAME_KANA",
    "MUNICIPALITY_CODE",
    "DEFAULT_AS_OF",
    "SURNAMES",
    "MALE_NAMES",
    "FEMALE_NAMES",
    "TOWNS",
    "CityData",
    "generate_city",
]

PREFECTURE = "架空県"
CITY_NAME = "見本市"
CITY_NAME_KANA = "ミホンシ"
# Prefecture code 99 does not exist, so this code can never clash with a real one.
_CITY_CODE5 = "99201"
MUNICIPALITY_CODE = _CITY_CODE5 + municipality_check_digit(_CITY_CODE5)
# Fixed reference date (ages are computed against it) -> deterministic output.
DEFAULT_AS_OF = date(2026, 11, 24)

# (kanji, katakana reading)
SURNAMES: tuple[tuple[str, str], ...] = (
    ("佐藤", "サトウ"),
    ("鈴木", "スズキ"),
    ("高橋", "タカハシ"),
    ("田中", "タナカ"),
    ("伊藤", "イトウ"),
    ("渡辺", "ワタナベ"),
    ("山本", "ヤマモト"),
    ("中村", "ナカムラ"),
    ("小林", "コバヤシ"),
    ("加藤", "カトウ"),
    ("吉田", "ヨシダ"),
    ("山田", "ヤマダ"),
    ("佐々木", "ササキ"),
    ("山口", "ヤマグチ"),
    ("松本", "マツモト"),
    ("井上", "イノウエ"),
    ("木村", "キムラ"),
    ("林", "ハヤシ"),
    ("斎藤", "サイトウ"),
    ("清水", "シミズ"),
    ("山崎", "ヤマザキ"),
    ("森", "モリ"),
    ("池田", "イケダ"),
    ("橋本", "ハシモト"),
    ("阿部", "アベ"),
    ("石川", "イシカワ"),
    ("山下", "ヤマシタ"),
    ("中島", "ナカジマ"),
    ("石井", "イシイ"),
    ("小川", "オガワ"),
    ("前田", "マエダ"),
    ("岡田", "オカダ"),
    ("長谷川", "ハセガワ"),
    ("藤田", "フジタ"),
    ("後藤", "ゴトウ"),
    ("近藤", "コンドウ"),
    ("村上", "ムラカミ"),
    ("遠藤", "エンドウ"),
    ("青木", "アオキ"),
    ("坂本", "サカモト"),
    ("斉藤", "サイトウ"),
    ("福田", "フクダ"),
    ("太田", "オオタ"),
    ("西村", "ニシムラ"),
    ("藤井", "フジイ"),
    ("金子", "カネコ"),
    ("岡本", "オカモト"),
    ("藤原", "フジワラ"),
    ("中野", "ナカノ"),
    ("三浦", "ミウラ"),
    ("原田", "ハラダ"),
    ("中川", "ナカガワ"),
    ("松田", "マツダ"),
    ("竹内", "タケウチ"),
    ("小野", "オノ"),
    ("田村", "タムラ"),
    ("中山", "ナカヤマ"),
    ("和田", "ワダ"),
    ("石田", "イシダ"),
    ("森田", "モリタ"),
    ("上田", "ウエダ"),
    ("原", "ハラ"),
    ("内田", "ウチダ"),
    ("柴田", "シバタ"),
    ("酒井", "サカイ"),
    ("宮崎", "ミヤザキ"),
    ("横山", "ヨコヤマ"),
    ("高木", "タカギ"),
    ("安藤", "アンドウ"),
    ("宮本", "ミヤモト"),
    ("大野", "オオノ"),
    ("小島", "コジマ"),
    ("谷口", "タニグチ"),
    ("今井", "イマイ"),
    ("工藤", "クドウ"),
    ("高田", "タカダ"),
    ("増田", "マスダ"),
    ("丸山", "マルヤマ"),
    ("杉山", "スギヤマ"),
    ("村田", "ムラタ"),
    ("大塚", "オオツカ"),
    ("新井", "アライ"),
    ("小山", "コヤマ"),
    ("平野", "ヒラノ"),
    ("藤本", "フジモト"),
    ("河野", "コウノ"),
    ("上野", "ウエノ"),
    ("野口", "ノグチ"),
    ("武田", "タケダ"),
    ("松井", "マツイ"),
    ("千葉", "チバ"),
    ("岩崎", "イワサキ"),
    ("菅原", "スガワラ"),
    ("木下", "キノシタ"),
    ("久保", "クボ"),
    ("佐野", "サノ"),
    ("野村", "ノムラ"),
    ("松尾", "マツオ"),
    ("市川", "イチカワ"),
    ("菊地", "キクチ"),
    # variant-kanji spellings (異体字) that search must cope with
    ("髙橋", "タカハシ"),
    ("齋藤", "サイトウ"),
    ("渡邊", "ワタナベ"),
    ("山﨑", "ヤマザキ"),
)

# Given names grouped by generation so ages look plausible:
# index 0: born before ~1965, 1: ~1965-1999, 2: 2000 and later.
MALE_NAMES: tuple[tuple[tuple[str, str], ...], ...] = (
    (
        ("茂", "シゲル"),
        ("博", "ヒロシ"),
        ("清", "キヨシ"),
        ("実", "ミノル"),
        ("勇", "イサム"),
        ("進", "ススム"),
        ("修", "オサム"),
        ("豊", "ユタカ"),
        ("正", "タダシ"),
        ("稔", "ミノル"),
        ("和夫", "カズオ"),
        ("正男", "マサオ"),
        ("義男", "ヨシオ"),
        ("勝", "マサル"),
        ("昭", "アキラ"),
        ("武", "タケシ"),
        ("昇", "ノボル"),
        ("三郎", "サブロウ"),
        ("次郎", "ジロウ"),
        ("敏夫", "トシオ"),
        ("幸男", "ユキオ"),
        ("信夫", "ノブオ"),
        ("光男", "ミツオ"),
        ("俊夫", "トシオ"),
        ("政雄", "マサオ"),
        ("勝利", "カツトシ"),
        ("一郎", "イチロウ"),
        ("太郎", "タロウ"),
        ("弘", "ヒロシ"),
        ("隆", "タカシ"),
        ("明", "アキラ"),
        ("健一", "ケンイチ"),
        ("孝", "タカシ"),
    ),
    (
        ("誠", "マコト"),
        ("浩", "ヒロシ"),
        ("秀樹", "ヒデキ"),
        ("健二", "ケンジ"),
        ("大輔", "ダイスケ"),
        ("拓也", "タクヤ"),
        ("達也", "タツヤ"),
        ("直樹", "ナオキ"),
        ("和也", "カズヤ"),
        ("哲也", "テツヤ"),
        ("健", "ケン"),
        ("剛", "ツヨシ"),
        ("亮", "リョウ"),
        ("隆之", "タカユキ"),
        ("雅之", "マサユキ"),
        ("康弘", "ヤスヒロ"),
        ("俊介", "シュンスケ"),
        ("雄一", "ユウイチ"),
        ("浩二", "コウジ"),
        ("正樹", "マサキ"),
        ("智也", "トモヤ"),
        ("英樹", "ヒデキ"),
        ("浩之", "ヒロユキ"),
        ("克也", "カツヤ"),
        ("慎一", "シンイチ"),
        ("伸也", "シンヤ"),
        ("洋平", "ヨウヘイ"),
        ("圭太", "ケイタ"),
        ("祐介", "ユウスケ"),
        ("康介", "コウスケ"),
        ("健太", "ケンタ"),
        ("翔太", "ショウタ"),
        ("裕太", "ユウタ"),
        ("亮太", "リョウタ"),
    ),
    (
        ("大樹", "ダイキ"),
        ("翔", "ショウ"),
        ("拓海", "タクミ"),
        ("蓮", "レン"),
        ("湊", "ミナト"),
        ("陽翔", "ハルト"),
        ("大翔", "ヒロト"),
        ("悠真", "ユウマ"),
        ("蒼", "アオイ"),
        ("樹", "イツキ"),
        ("悠斗", "ユウト"),
        ("陸", "リク"),
        ("颯太", "ソウタ"),
        ("結翔", "ユイト"),
        ("朝陽", "アサヒ"),
        ("律", "リツ"),
        ("優斗", "ユウト"),
        ("涼", "リョウ"),
        ("駿", "シュン"),
        ("悠人", "ユウト"),
        ("陽太", "ヨウタ"),
        ("光", "ヒカル"),
        ("航", "ワタル"),
        ("颯", "ハヤテ"),
        ("奏太", "カナタ"),
        ("蒼空", "ソラ"),
        ("陽向", "ヒナタ"),
        ("碧", "アオ"),
        ("暖", "ダン"),
        ("新", "アラタ"),
        ("晴", "ハル"),
        ("岳", "ガク"),
        ("湊斗", "ミナト"),
    ),
)

FEMALE_NAMES: tuple[tuple[tuple[str, str], ...], ...] = (
    (
        ("和子", "カズコ"),
        ("幸子", "サチコ"),
        ("節子", "セツコ"),
        ("洋子", "ヨウコ"),
        ("恵子", "ケイコ"),
        ("京子", "キョウコ"),
        ("美智子", "ミチコ"),
        ("久美子", "クミコ"),
        ("由美子", "ユミコ"),
        ("悦子", "エツコ"),
        ("弘子", "ヒロコ"),
        ("順子", "ジュンコ"),
        ("文子", "フミコ"),
        ("良子", "ヨシコ"),
        ("則子", "ノリコ"),
        ("敏子", "トシコ"),
        ("静子", "シズコ"),
        ("春子", "ハルコ"),
        ("千代", "チヨ"),
        ("ハナ", "ハナ"),
        ("キヨ", "キヨ"),
        ("トミ", "トミ"),
        ("光子", "ミツコ"),
        ("栄子", "エイコ"),
        ("澄子", "スミコ"),
        ("富子", "トミコ"),
        ("照子", "テルコ"),
        ("孝子", "タカコ"),
        ("昭子", "アキコ"),
        ("直子", "ナオコ"),
        ("はる", "ハル"),
        ("よし", "ヨシ"),
        ("美代子", "ミヨコ"),
    ),
    (
        ("裕子", "ユウコ"),
        ("真由美", "マユミ"),
        ("智子", "トモコ"),
        ("直美", "ナオミ"),
        ("明美", "アケミ"),
        ("陽子", "ヨウコ"),
        ("恵美", "エミ"),
        ("香織", "カオリ"),
        ("由香", "ユカ"),
        ("美穂", "ミホ"),
        ("愛", "アイ"),
        ("恵", "メグミ"),
        ("麻衣", "マイ"),
        ("彩", "アヤ"),
        ("舞", "マイ"),
        ("瞳", "ヒトミ"),
        ("沙織", "サオリ"),
        ("綾香", "アヤカ"),
        ("美咲", "ミサキ"),
        ("千尋", "チヒロ"),
        ("真理子", "マリコ"),
        ("理恵", "リエ"),
        ("奈美", "ナミ"),
        ("優子", "ユウコ"),
        ("亜希子", "アキコ"),
        ("里美", "サトミ"),
        ("加奈子", "カナコ"),
        ("絵美", "エミ"),
        ("由紀", "ユキ"),
        ("晴美", "ハルミ"),
        ("典子", "ノリコ"),
        ("さおり", "サオリ"),
        ("友美", "トモミ"),
    ),
    (
        ("陽菜", "ヒナ"),
        ("結衣", "ユイ"),
        ("葵", "アオイ"),
        ("凛", "リン"),
        ("結菜", "ユイナ"),
        ("芽依", "メイ"),
        ("莉子", "リコ"),
        ("美桜", "ミオ"),
        ("紬", "ツムギ"),
        ("陽葵", "ヒマリ"),
        ("杏", "アン"),
        ("咲良", "サクラ"),
        ("さくら", "サクラ"),
        ("花", "ハナ"),
        ("心春", "コハル"),
        ("結愛", "ユア"),
        ("芽衣", "メイ"),
        ("彩花", "アヤカ"),
        ("七海", "ナナミ"),
        ("美羽", "ミウ"),
        ("琴音", "コトネ"),
        ("優奈", "ユウナ"),
        ("愛莉", "アイリ"),
        ("日向", "ヒナタ"),
        ("澪", "ミオ"),
        ("詩", "ウタ"),
        ("楓", "カエデ"),
        ("朱莉", "アカリ"),
        ("菜々子", "ナナコ"),
        ("遥", "ハルカ"),
        ("美月", "ミツキ"),
        ("ひまり", "ヒマリ"),
        ("柚葉", "ユズハ"),
        ("真央", "マオ"),
    ),
)

# (town name, katakana reading, number of 丁目 (0 = no 丁目), relative population weight)
TOWNS: tuple[tuple[str, str, int, int], ...] = (
    ("中央", "チュウオウ", 4, 10),
    ("桜町", "サクラマチ", 3, 8),
    ("港町", "ミナトマチ", 0, 5),
    ("山手", "ヤマテ", 3, 7),
    ("本町", "ホンマチ", 5, 8),
    ("緑ヶ丘", "ミドリガオカ", 2, 6),
    ("旭町", "アサヒマチ", 0, 4),
    ("若葉台", "ワカバダイ", 3, 6),
    ("川端町", "カワバタチョウ", 0, 3),
    ("栄町", "サカエマチ", 2, 5),
    ("東浜", "ヒガシハマ", 2, 4),
    ("西原", "ニシハラ", 0, 3),
    ("北野", "キタノ", 2, 4),
    ("南台", "ミナミダイ", 3, 5),
    ("日之出町", "ヒノデチョウ", 0, 3),
    ("浜通り", "ハマドオリ", 0, 2),
)

_KANJI_1_10 = "〇一二三四五六七八九十"
_BUILDING_NAMES = ("ハイツ", "コーポ", "メゾン", "レジデンス", "ハイム", "荘")
_STRUCT_WOOD, _STRUCT_STEEL, _STRUCT_RC = "木造", "鉄骨造", "鉄筋コンクリート造"
_CENTER_LON, _CENTER_LAT = 139.5, 35.5

# Household size weights (sizes 1..6). Detached houses hold larger households,
# apartments skew to singles; the mix gives ~35% single-person households overall
# (close to the national census share).
_HOUSE_SIZE_WEIGHTS = (25, 31, 19, 16, 6, 3)
_APARTMENT_SIZE_WEIGHTS = (50, 27, 13, 8, 2, 0)
# Probability that a new dwelling is an apartment building (multi-household).
_APARTMENT_RATE = 0.06
_UNKNOWN_BIRTH_RATE = 0.002
_GAIJI_HOUSEHOLD_RATE = 0.02


@dataclass
class CityData:
    """Synthetic register. Lists of plain dicts (see module docs for keys)."""

    households: list[dict] = field(default_factory=list)
    residents: list[dict] = field(default_factory=list)
    dwellings: list[dict] = field(default_factory=list)
    municipality_code: str = MUNICIPALITY_CODE
    prefecture: str = PREFECTURE
    city_name: str = CITY_NAME
    as_of: date = DEFAULT_AS_OF


@dataclass
class _Member:
    relationship: str
    sex: str
    age: int
    own_surname: bool = False  # True for 同居人 (different family name)


@dataclass
class _Chome:
    index: int
    town: str  # 町丁目 name, e.g. "桜町二丁目"
    base: str  # 町 name without 丁目, e.g. "桜町"
    postal_code: str
    address_code: str
    lon: float
    lat: float
    weight: int
    next_lot: dict[int, int] = field(default_factory=dict)
    n_blocks: int = 20


def _kanji_number(n: int) -> str:
    """1..99 -> kanji numeral (一 .. 九十九)."""
    if n <= 10:
        return _KANJI_1_10[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else _KANJI_1_10[tens]) + "十" + ("" if ones == 0 else _KANJI_1_10[ones])


def _build_chomes(rng: random.Random) -> list[_Chome]:
    chomes: list[_Chome] = []
    for t_idx, (town, _kana, n_chome, weight) in enumerate(TOWNS):
        postal = f"999-00{t_idx + 1:02d}"
        t_lon = _CENTER_LON + rng.uniform(-0.03, 0.03)
        t_lat = _CENTER_LAT + rng.uniform(-0.025, 0.025)
        for c in range(1, n_chome + 1) if n_chome else (0,):
            name = f"{town}{_kanji_number(c)}丁目" if c else town
            chomes.append(
                _Chome(
                    index=len(chomes),
                    town=name,
                    base=town,
                    postal_code=postal,
                    # synthetic 11-digit code: city(5) + town(3) + 丁目(3)
                    address_code=f"{_CITY_CODE5}{t_idx + 1:03d}{c:03d}",
                    lon=t_lon + rng.uniform(-0.006, 0.006),
                    lat=t_lat + rng.uniform(-0.005, 0.005),
                    weight=weight,
                    n_blocks=rng.randint(8, 25),
                )
            )
    return chomes


def _age_band(rng: random.Random, bands: tuple[tuple[int, int, int], ...]) -> int:
    lo, hi, _ = rng.choices(bands, weights=[b[2] for b in bands])[0]
    return rng.randint(lo, hi)


def _children(rng: random.Random, count: int, youngest_parent_age: int) -> list[_Member]:
    """``count`` children aged between (parent-45, parent-20), at least 0."""
    hi = youngest_parent_age - 20
    lo = max(0, youngest_parent_age - 45)
    hi = max(hi, lo)
    return [_Member("子", rng.choice(("male", "female")), rng.randint(lo, hi)) for _ in range(count)]


def _couple(rng: random.Random, hh_age: int) -> list[_Member]:
    hh_male = rng.random() < 0.85
    spouse_age = max(18, hh_age + rng.randint(-6, 4) if hh_male else hh_age + rng.randint(-4, 6))
    if hh_male:
        return [_Member("世帯主", "male", hh_age), _Member("妻", "female", spouse_age)]
    return [_Member("世帯主", "female", hh_age), _Member("夫", "male", spouse_age)]


def _compose(rng: random.Random, size: int) -> list[_Member]:
    """Return household members (householder first) with consistent ages."""
    if size == 1:
        age = _age_band(rng, ((18, 39, 35), (40, 64, 30), (65, 98, 35)))
        sex = "female" if (age >= 75 and rng.random() < 0.65) else rng.choice(("male", "female"))
        return [_Member("世帯主", sex, age)]

    if size == 2:
        kind = rng.choices(("couple", "parent_child", "with_mother", "lodger"), weights=(55, 25, 12, 8))[0]
        if kind == "couple":
            return _couple(rng, rng.randint(22, 92))
        if kind == "parent_child":
            hh_age = rng.randint(38, 88)
            sex = "female" if rng.random() < 0.7 else "male"
            return [_Member("世帯主", sex, hh_age), *_children(rng, 1, hh_age)]
        if kind == "with_mother":
            hh_age = rng.randint(30, 64)
            mother_age = min(100, hh_age + rng.randint(22, 38))
            return [_Member("世帯主", rng.choice(("male", "female")), hh_age), _Member("母", "female", mother_age)]
        hh_age = rng.randint(22, 80)
        return [
            _Member("世帯主", rng.choice(("male", "female")), hh_age),
            _Member("同居人", rng.choice(("male", "female")), rng.randint(20, 80), own_surname=True),
        ]

    kinds = ["couple_children", "single_parent", "with_parents"]
    weights = [70, 10, 12]
    if size >= 5:
        kinds.append("three_gen")
        weights.append(8)
    kind = rng.choices(kinds, weights=weights)[0]

    if kind == "single_parent":
        hh_age = rng.randint(28, 60)
        sex = "female" if rng.random() < 0.8 else "male"
        return [_Member("世帯主", sex, hh_age), *_children(rng, size - 1, hh_age)]

    if kind == "with_parents":
        hh_age = rng.randint(28, 60)
        members = _couple(rng, hh_age)
        youngest = min(m.age for m in members)
        n_parents = 2 if size >= 5 and rng.random() < 0.5 else 1
        n_kids = size - 2 - n_parents
        if n_parents == 2:
            father = min(100, hh_age + rng.randint(24, 38))
            mother = max(hh_age + 20, father - rng.randint(0, 5))
            members += [_Member("父", "male", father), _Member("母", "female", mother)]
        else:
            members.append(_Member("母", "female", min(100, hh_age + rng.randint(22, 38))))
        return members + _children(rng, n_kids, max(youngest, 20))

    if kind == "three_gen":
        hh_age = rng.randint(55, 78)
        members = _couple(rng, hh_age)
        youngest = min(m.age for m in members)
        child_age = rng.randint(max(22, youngest - 38), max(22, youngest - 22))
        child_sex = rng.choice(("male", "female"))
        in_law_rel, in_law_sex = ("子の妻", "female") if child_sex == "male" else ("子の夫", "male")
        in_law_age = max(20, child_age + rng.randint(-4, 4))
        members += [_Member("子", child_sex, child_age), _Member(in_law_rel, in_law_sex, in_law_age)]
        young_parent = min(child_age, in_law_age)
        grand = _children(rng, size - 4, young_parent)
        for g in grand:
            g.relationship = "子の子"
        return members + grand

    # couple with children
    hh_age = rng.randint(26, 62)
    members = _couple(rng, hh_age)
    youngest = min(m.age for m in members)
    return members + _children(rng, size - 2, max(youngest, 20))


def _birth_date(rng: random.Random, age: int, as_of: date) -> date:
    """Random date such that the person is exactly ``age`` on ``as_of``."""

    def years_before(n: int) -> date:
        try:
            return as_of.replace(year=as_of.year - n)
        except ValueError:  # 29 Feb
            return as_of.replace(year=as_of.year - n, day=28)

    latest = years_before(age)
    earliest = years_before(age + 1) + timedelta(days=1)
    return earliest + timedelta(days=rng.randint(0, (latest - earliest).days))


def _unknown_birth_raw(rng: random.Random, d: date) -> str:
    """A 不詳-style raw birth date text derived from the (hidden) true date."""
    era, year = era_of(d)
    y = "元" if year == 1 else str(year)
    return rng.choice(("年月日不詳", f"{era.name}{y}年頃", f"{era.name}{y}年{d.month}月日不詳"))


def _gaijify(name: str) -> str:
    """Replace the first kanji of ``name`` with a deterministic PUA (外字) char."""
    chars = list(name)
    for i, ch in enumerate(chars):
        if "\u4e00" <= ch <= "\u9fff":
            chars[i] = chr(0xE000 + ord(ch) % 0x100)
            break
    return "".join(chars)


def _phone(rng: random.Random) -> str:
    # 099-0xx-xxxx: a local exchange number never starts with 0 -> cannot be a real number.
    return f"099-0{rng.randint(0, 99):02d}-{rng.randint(0, 9999):04d}"


def _given_name(rng: random.Random, sex: str, birth_year: int) -> tuple[str, str]:
    gen = 0 if birth_year < 1965 else (1 if birth_year < 2000 else 2)
    table = MALE_NAMES if sex == "male" else FEMALE_NAMES
    return rng.choice(table[gen])


def generate_city(
    n_residents: int,
    seed: int = 1,
    *,
    with_gaiji: bool = False,
    as_of: date = DEFAULT_AS_OF,
) -> CityData:
    """Generate a synthetic register with exactly ``n_residents`` residents.

    Deterministic for the same arguments. ``with_gaiji=True`` replaces one
    kanji of the surname with a PUA char (U+E000-U+E0FF) for ~2% of
    households; it uses a separate RNG, so all other data is identical to
    ``with_gaiji=False``.
    """
    if n_residents < 0:
        raise ValueError("n_residents must be >= 0")
    rng = random.Random(seed)
    gaiji_rng = random.Random(f"gaiji-{seed}")
    chomes = _build_chomes(rng)
    chome_weights = [c.weight for c in chomes]

    city = CityData(as_of=as_of)
    atena_body = 100_000_000 + rng.randint(0, 999) * 1000
    household_body = 2_000_000 + rng.randint(0, 999) * 100
    chiban = 0  # 地番 sequence; makes house_no unique city-wide

    def next_atena() -> str:
        nonlocal atena_body
        atena_body += rng.randint(1, 3)
        return with_mod11(f"{atena_body:09d}")

    def new_dwelling(apartment: bool) -> dict:
        nonlocal chiban
        ch = rng.choices(chomes, weights=chome_weights)[0]
        block = rng.randint(1, ch.n_blocks)
        lot = ch.next_lot.get(block, 0) + rng.randint(1, 3)
        ch.next_lot[block] = lot
        chiban += rng.randint(1, 4)
        if apartment:
            structure = rng.choices((_STRUCT_RC, _STRUCT_STEEL, _STRUCT_WOOD), weights=(70, 20, 10))[0]
            floors = rng.randint(3, 8) if structure == _STRUCT_RC else rng.randint(2, 3)
            units = rng.randint(2, 4) * floors if structure == _STRUCT_RC else rng.randint(2, 4) * floors
            floor_area = round(units * rng.uniform(30.0, 70.0), 2)
            built = rng.randint(1970, as_of.year - 1)
            name = f"{ch.base}{rng.choice(_BUILDING_NAMES)}"
        else:
            structure = rng.choices((_STRUCT_WOOD, _STRUCT_STEEL, _STRUCT_RC), weights=(80, 15, 5))[0]
            floors = rng.choices((1, 2, 3), weights=(30, 62, 8))[0]
            units = 1
            floor_area = round(rng.uniform(55.0, 110.0) * (1 + 0.4 * (floors - 1)), 2)
            built = rng.randint(1955, as_of.year - 1)
            name = None
        location = f"{CITY_NAME}{ch.town}{block}番{lot}号"
        d = {
            "house_no": f"{chiban}-{rng.randint(1, 9)}",
            "location": location,
            "town": ch.town,
            "structure": structure,
            "floors": floors,
            "floor_area": floor_area,
            "built_year": built,
            "owner_atena_no": None,
            "lon": round(ch.lon + rng.uniform(-0.003, 0.003), 6),
            "lat": round(ch.lat + rng.uniform(-0.0025, 0.0025), 6),
            "building_name": name,
            "units": units,
            "household_nos": [],
            # private generator state (removed before returning)
            "_chome": ch,
            "_block": block,
            "_lot": lot,
        }
        city.dwellings.append(d)
        return d

    def add_household(dw: dict, size: int, katagaki: str | None) -> None:
        nonlocal household_body
        ch: _Chome = dw["_chome"]
        household_body += rng.randint(1, 2)
        household_no = with_mod11(f"{household_body:07d}")
        surname, surname_kana = rng.choice(SURNAMES)
        surname_kanji = _gaijify(surname) if with_gaiji and gaiji_rng.random() < _GAIJI_HOUSEHOLD_RATE else surname
        phone = _phone(rng) if rng.random() < 0.6 else None
        members = _compose(rng, size)
        householder_atena = householder_name = None
        for m in members:
            atena = next_atena()
            birth = _birth_date(rng, m.age, as_of)
            if m.own_surname:
                s_kanji, s_kana = rng.choice(SURNAMES)
            else:
                s_kanji, s_kana = surname_kanji, surname_kana
            g_kanji, g_kana = _given_name(rng, m.sex, birth.year)
            unknown = rng.random() < _UNKNOWN_BIRTH_RATE
            raw = _unknown_birth_raw(rng, birth) if unknown else to_wareki(birth)
            is_hh = m.relationship == "世帯主"
            if is_hh:
                householder_atena = atena
                householder_name = f"{s_kanji}\u3000{g_kanji}"
                r_phone = phone
            else:
                r_phone = _phone(rng) if (m.age >= 18 and rng.random() < 0.2) else None
            city.residents.append(
                {
                    "atena_no": atena,
                    "household_no": household_no,
                    "name": f"{s_kanji}\u3000{g_kanji}",
                    "name_kana": f"{s_kana}\u3000{g_kana}",
                    "birth_date": None if unknown else birth,
                    "birth_date_raw": raw,
                    "birth_date_unknown": unknown,
                    "sex": m.sex,
                    "relationship": m.relationship,
                    "is_householder": is_hh,
                    "address": dw["location"],
                    "address_code": ch.address_code,
                    "postal_code": ch.postal_code,
                    "phone": r_phone,
                    "status": "resident",
                }
            )
        city.households.append(
            {
                "household_no": household_no,
                "householder_atena_no": householder_atena,
                "householder_name": householder_name,
                "address": dw["location"],
                "town": ch.town,
                "block": dw["_block"],
                "lot": dw["_lot"],
                "katagaki": katagaki,  # 方書 (building + room), None for detached houses
                "postal_code": ch.postal_code,
                "address_code": ch.address_code,
                "house_no": dw["house_no"],
                "phone": phone,
                "size": len(members),
            }
        )
        dw["household_nos"].append(household_no)
        if dw["units"] == 1 and dw["owner_atena_no"] is None and rng.random() < 0.9:
            dw["owner_atena_no"] = householder_atena

    sizes = range(1, len(_HOUSE_SIZE_WEIGHTS) + 1)
    while len(city.residents) < n_residents:
        remaining = n_residents - len(city.residents)
        if rng.random() < _APARTMENT_RATE:
            dw = new_dwelling(apartment=True)
            # landlord: an existing resident (half the time) or a company (None)
            if city.residents and rng.random() < 0.5:
                dw["owner_atena_no"] = rng.choice(city.residents)["atena_no"]
            rooms_per_floor = max(1, dw["units"] // dw["floors"])
            for unit in range(dw["units"]):
                if rng.random() > 0.8:
                    continue  # vacant
                remaining = n_residents - len(city.residents)
                if remaining <= 0:
                    break
                # apartments skew to small households
                size = min(rng.choices(sizes, weights=_APARTMENT_SIZE_WEIGHTS)[0], remaining)
                floor, room = divmod(unit, rooms_per_floor)
                add_household(dw, size, f"{dw['building_name']}{floor + 1}{room + 1:02d}号室")
        else:
            dw = new_dwelling(apartment=False)
            size = min(rng.choices(sizes, weights=_HOUSE_SIZE_WEIGHTS)[0], remaining)
            add_household(dw, size, None)

    # Drop dwellings that ended up empty (possible for a last apartment) and private keys.
    city.dwellings = [d for d in city.dwellings if d["household_nos"]]
    for d in city.dwellings:
        for k in ("_chome", "_block", "_lot"):
            del d[k]
    return city
