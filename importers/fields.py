"""Canonical fields of each import kind: name, Japanese item name, type, mandatory or not.

A layout maps these names to the columns of a vendor's file; ``docs/import-layouts.md`` documents
the same table (a unit test checks that every field below is documented there).

Types (what the pipeline does with the text of a column):

``id``       宛名番号 / 世帯番号: ASCII digits (full-width accepted), modulus-11 check digit (M11W2-7)
``ids``      several 宛名番号 in one column, separated by ``,`` ``;`` ``、`` ``/`` ``|`` or spaces → list
``key``      an identifier kept as text (家屋番号, 地番, codes), NFKC-normalised
``name``     氏名: 外字 map applied; ``<f>_raw`` as decoded; ``name_key`` for search
``kana``     フリガナ: half-width kana → full-width; ``<f>_raw``; ``kana_key``
``address``  住所 / 所在: 外字 map; ``<f>_raw``; ``address_key`` (core.text.address_key)
``text``     free text, 外字 map applied
``date``     a date in the layout's ``date_style`` (core.wareki); ``<f>_raw``, ``<f>_unknown``,
             ``<f>_approx`` next to it
``int`` / ``float``   numbers; ``,`` separators, full-width digits and a leading ``△``/``▲`` (minus) accepted
``year``     a (fiscal) year: ``2026``, ``令和8``, ``R8``, ``令和8年度`` → 2026
``bool``     ``1/0``, ``true/false``, ``はい/いいえ``, ``有/無``, ``○/×`` … or the layout's code table
``enum``     one of fixed canonical values (``choices``) through the layout's code table or the defaults
``postal``   郵便番号 → ``NNN-NNNN``
``my_number``  個人番号: 12 digits with its check digit; never written into a report in clear
``lat`` / ``lon``  decimal degrees, range-checked
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["FieldSpec", "KindSpec", "KINDS", "kind_spec"]


@dataclass(frozen=True)
class FieldSpec:
    name: str
    ja: str
    type: str
    mandatory: bool = False
    doc: str = ""
    choices: tuple[str, ...] = ()
    default_codes: dict[str, object] = field(default_factory=dict)
    # resident-register dates (生年月日, 住民となった日, 異動日): 不詳 and non-calendar dates are normal
    # there, so they are only flagged; elsewhere they also get a warning.
    register_date: bool = False
    derived: str = ""  # the search key written next to the value (name_key, kana_key, address_key)


@dataclass(frozen=True)
class KindSpec:
    kind: str
    ja: str
    fields: tuple[FieldSpec, ...]
    key: tuple[str, ...]  # fields that identify a row; duplicates within a file are errors
    doc: str = ""

    def field(self, name: str) -> FieldSpec | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def mandatory(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.mandatory)


_BOOL_CODES: dict[str, object] = {
    "1": True,
    "0": False,
    "true": True,
    "false": False,
    "t": True,
    "f": False,
    "y": True,
    "n": False,
    "yes": True,
    "no": False,
    "はい": True,
    "いいえ": False,
    "有": True,
    "無": False,
    "あり": True,
    "なし": False,
    "○": True,
    "〇": True,
    "×": False,
    "該当": True,
    "非該当": False,
}
SEX_CODES: dict[str, object] = {
    "1": "male",
    "2": "female",
    "0": "unknown",
    "9": "unknown",
    "男": "male",
    "女": "female",
    "男性": "male",
    "女性": "female",
    "不明": "unknown",
    "m": "male",
    "f": "female",
    "male": "male",
    "female": "female",
    "unknown": "unknown",
}
STATUS_CODES: dict[str, object] = {
    "resident": "resident",
    "moved_out": "moved_out",
    "deceased": "deceased",
    "removed": "removed",
    "住民": "resident",
    "在住": "resident",
    "現住": "resident",
    "転出": "moved_out",
    "死亡": "deceased",
    "消除": "removed",
    "職権消除": "removed",
}
TAXABLE_CODES: dict[str, object] = {**_BOOL_CODES, "課税": True, "非課税": False}

# The search key the pipeline writes next to a value of these types.
_DERIVED = {"name": "name_key", "kana": "kana_key", "address": "address_key"}


def _kind(kind: str, ja: str, key: tuple[str, ...], *rows: tuple, register_dates: bool = False) -> KindSpec:
    """A kind from rows ``(name, 項目名, type, mandatory[, doc[, codes]])``; the rest follows from
    the type: the search key (``_DERIVED``), an ``enum``'s choices (the values of its code table,
    in order), the default codes of a ``bool``, and ``register_date`` for every date of a kind
    with ``register_dates`` (the resident register)."""
    fields = []
    for name, item, type_, mandatory, *rest in rows:
        doc = rest[0] if rest else ""
        codes = rest[1] if len(rest) > 1 else _BOOL_CODES if type_ == "bool" else None
        fields.append(
            FieldSpec(
                name,
                item,
                type_,
                mandatory,
                doc,
                choices=tuple(dict.fromkeys(codes.values())) if type_ == "enum" else (),
                default_codes=codes if codes is not None else {},
                register_date=register_dates and type_ == "date",
                derived=_DERIVED.get(type_, ""),
            )
        )
    return KindSpec(kind, ja, tuple(fields), key)


RESIDENTS = _kind(
    "residents",
    "住民記録",
    ("atena_no",),
    ("atena_no", "宛名番号", "id", True, "the person key; digits ending in a mod-11 check digit"),
    ("household_no", "世帯番号", "id", True, "the household key; digits ending in a mod-11 check digit"),
    ("name", "氏名", "name", True, "as registered; 外字 mapped, `name_raw` as decoded"),
    ("name_kana", "氏名フリガナ", "kana", False, "stored in full-width katakana"),
    ("birth_date", "生年月日", "date", True, "不詳 / non-calendar dates kept with a flag"),
    ("sex", "性別", "enum", True, "male | female | unknown", SEX_CODES),
    ("relationship", "続柄", "text", False, "世帯主, 妻, 子, 子の子 … (text, or codes through [codes.relationship])"),
    ("is_householder", "世帯主区分", "bool", False, "when not mapped: true when 続柄 is 世帯主"),
    ("address", "住所", "address", True, "with 方書 appended when `katagaki` is mapped"),
    ("katagaki", "方書", "text", False, "building and room; also appended to `address`"),
    ("address_code", "住所コード", "key", False, "the vendor's town/address code"),
    ("postal_code", "郵便番号", "postal", False, "written NNN-NNNN"),
    ("phone", "電話番号", "text", False),
    ("moved_in_on", "住民となった年月日", "date", False),
    ("status", "住民状態", "enum", False, "resident | moved_out | deceased | removed", STATUS_CODES),
    ("status_reason", "消除事由", "text", False, "why removed (転出, 死亡, 職権消除 …)"),
    ("status_since", "異動年月日", "date", False, "date of the removal (事由の生じた年月日)"),
    ("my_number", "個人番号", "my_number", False, "12 digits; masked in every report"),
    register_dates=True,
)

DWELLINGS = _kind(
    "dwellings",
    "家屋 (固定資産課税台帳)",
    ("house_no",),
    ("house_no", "家屋番号", "key", True, "the dwelling key"),
    ("location", "家屋の所在", "address", True),
    ("lot_no", "地番", "key", False),
    ("building_name", "建物名称", "text", False),
    ("owner_atena_no", "所有者 (納税義務者) 宛名番号", "id", False),
    ("co_owner_atena_nos", "共有者宛名番号", "ids", False, "a list: `123,456` or `123;456`"),
    ("usage", "種類 (用途)", "text", False, "専用住宅, 共同住宅, 店舗 …"),
    ("structure", "構造", "text", False, "木造, 鉄骨造, 鉄筋コンクリート造 …"),
    ("floors", "階数", "int", False),
    ("floor_area", "床面積 (m²)", "float", False),
    (
        "built_on",
        "建築年月日",
        "date",
        False,
        "a year alone (`1985`, `昭和60年`) gives 1 January with `built_on_unknown`",
    ),
    ("lon", "経度", "lon", False, "decimal degrees (JGD2011)"),
    ("lat", "緯度", "lat", False, "decimal degrees (JGD2011)"),
)

LAND = _kind(
    "land",
    "土地 (固定資産課税台帳)",
    ("lot_no",),
    ("lot_no", "地番", "key", True, "the parcel key"),
    ("location", "土地の所在", "address", True),
    ("owner_atena_no", "所有者宛名番号", "id", False),
    ("land_category", "地目", "text", False, "宅地, 田, 畑, 山林, 雑種地 …"),
    ("area", "地積 (m²)", "float", False),
)

TAX = _kind(
    "tax",
    "個人住民税",
    ("atena_no", "fiscal_year"),
    ("atena_no", "宛名番号", "id", True),
    ("fiscal_year", "課税年度", "year", True, "`2026`, `令和8`, `R8`, `令和8年度` → 2026"),
    ("total_income", "総所得金額等 (円)", "int", True),
    ("taxable", "課税区分", "bool", True, "課税 true / 非課税 false", TAXABLE_CODES),
    ("household_no", "世帯番号", "id", False),
)

ADDRESSES = _kind(
    "addresses",
    "位置参照情報 (国土交通省)",
    ("level", "match_key"),
    ("prefecture", "都道府県名", "text", True),
    ("city", "市区町村名", "text", True),
    ("town", "大字・町丁目名", "text", True, "with 丁目 (桜町二丁目)"),
    ("koaza", "小字・通称名", "text", False),
    ("block", "街区符号・地番", "key", False, "mapped → block level; not mapped → town level"),
    ("lat", "緯度", "lat", True),
    ("lon", "経度", "lon", True),
    ("town_code", "大字町丁目コード", "key", False),
    ("prefecture_code", "都道府県コード", "key", False),
    ("city_code", "市区町村コード", "key", False),
    ("jukyo", "住居表示フラグ", "bool", False, "1 = 住居表示実施"),
    ("representative", "代表フラグ", "bool", False, "1 = representative point"),
)

KINDS: dict[str, KindSpec] = {k.kind: k for k in (RESIDENTS, DWELLINGS, LAND, TAX, ADDRESSES)}


def kind_spec(kind: str) -> KindSpec:
    return KINDS[kind]
