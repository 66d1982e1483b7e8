"""Canonical fields of each import kind: name, Japanese item name, type, mandatory or not.

A layout maps these names to the columns of a vendor's file; ``docs/import-layouts.md`` documents
the same table (a unit test checks that every field below is documented there).

Types (what the pipeline does with the text of a column):

``id``       宛名番号 / 世帯番号: ASCII digits (full-width accepted), modulus-11 check digit (M11W2-7)
``ids``      several 宛名番号 in one column, separated by ``,`` ``;`` ``、`` ``/`` ``|`` or spaces → list
``key``      an identifier kept as text (家屋番号, 地番, codes), NFKC-normalised
``name``     氏名: 外字 map applied; ``<f>_raw`` as decoded; ``name_key`` for search
``kana``     フリガナ: half-width kana → full-width; ``<f>_raw``; ``kana_key``
``address``  住所 / 所在: 外字 map; ``<f>_raw``; ``address_key`` (ledgers.text.address_key)
``text``     free text, 外字 map applied
``date``     a date in the layout's ``date_style`` (importers.dates); ``<f>_raw``, ``<f>_unknown``,
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
    "1": True, "0": False, "true": True, "false": False, "t": True, "f": False, "y": True, "n": False,
    "yes": True, "no": False, "はい": True, "いいえ": False, "有": True, "無": False, "あり": True, "なし": False,
    "○": True, "〇": True, "×": False, "該当": True, "非該当": False,
}
SEX_CODES: dict[str, object] = {
    "1": "male", "2": "female", "0": "unknown", "9": "unknown",
    "男": "male", "女": "female", "男性": "male", "女性": "female", "不明": "unknown",
    "m": "male", "f": "female", "male": "male", "female": "female", "unknown": "unknown",
}
STATUS_CODES: dict[str, object] = {
    "resident": "resident", "moved_out": "moved_out", "deceased": "deceased", "removed": "removed",
    "住民": "resident", "在住": "resident", "現住": "resident", "転出": "moved_out", "死亡": "deceased",
    "消除": "removed", "職権消除": "removed",
}
TAXABLE_CODES: dict[str, object] = {**_BOOL_CODES, "課税": True, "非課税": False}

RESIDENTS = KindSpec(
    "residents",
    "住民記録",
    (
        FieldSpec("atena_no", "宛名番号", "id", True, "the person key; digits ending in a mod-11 check digit"),
        FieldSpec("household_no", "世帯番号", "id", True, "the household key; digits ending in a mod-11 check digit"),
        FieldSpec("name", "氏名", "name", True, "as registered; 外字 mapped, `name_raw` as decoded", derived="name_key"),
        FieldSpec("name_kana", "氏名フリガナ", "kana", False, "stored in full-width katakana", derived="kana_key"),
        FieldSpec("birth_date", "生年月日", "date", True, "不詳 / non-calendar dates kept with a flag",
                  register_date=True),
        FieldSpec("sex", "性別", "enum", True, "male | female | unknown", ("male", "female", "unknown"), SEX_CODES),
        FieldSpec("relationship", "続柄", "text", False, "世帯主, 妻, 子, 子の子 … (text, or codes through [codes.relationship])"),
        FieldSpec("is_householder", "世帯主区分", "bool", False,
                  "when not mapped: true when 続柄 is 世帯主", default_codes=_BOOL_CODES),
        FieldSpec("address", "住所", "address", True, "with 方書 appended when `katagaki` is mapped",
                  derived="address_key"),
        FieldSpec("katagaki", "方書", "text", False, "building and room; also appended to `address`"),
        FieldSpec("address_code", "住所コード", "key", False, "the vendor's town/address code"),
        FieldSpec("postal_code", "郵便番号", "postal", False, "written NNN-NNNN"),
        FieldSpec("phone", "電話番号", "text", False, ""),
        FieldSpec("moved_in_on", "住民となった年月日", "date", False, "", register_date=True),
        FieldSpec("status", "住民状態", "enum", False, "resident | moved_out | deceased | removed",
                  ("resident", "moved_out", "deceased", "removed"), STATUS_CODES),
        FieldSpec("status_reason", "消除事由", "text", False, "why removed (転出, 死亡, 職権消除 …)"),
        FieldSpec("status_since", "異動年月日", "date", False, "date of the removal (事由の生じた年月日)",
                  register_date=True),
        FieldSpec("my_number", "個人番号", "my_number", False, "12 digits; masked in every report"),
    ),
    ("atena_no",),
)

DWELLINGS = KindSpec(
    "dwellings",
    "家屋 (固定資産課税台帳)",
    (
        FieldSpec("house_no", "家屋番号", "key", True, "the dwelling key"),
        FieldSpec("location", "家屋の所在", "address", True, "", derived="address_key"),
        FieldSpec("lot_no", "地番", "key", False, ""),
        FieldSpec("building_name", "建物名称", "text", False, ""),
        FieldSpec("owner_atena_no", "所有者 (納税義務者) 宛名番号", "id", False, ""),
        FieldSpec("co_owner_atena_nos", "共有者宛名番号", "ids", False, "a list: `123,456` or `123;456`"),
        FieldSpec("usage", "種類 (用途)", "text", False, "専用住宅, 共同住宅, 店舗 …"),
        FieldSpec("structure", "構造", "text", False, "木造, 鉄骨造, 鉄筋コンクリート造 …"),
        FieldSpec("floors", "階数", "int", False, ""),
        FieldSpec("floor_area", "床面積 (m²)", "float", False, ""),
        FieldSpec("built_on", "建築年月日", "date", False,
                  "a year alone (`1985`, `昭和60年`) gives 1 January with `built_on_unknown`"),
        FieldSpec("lon", "経度", "lon", False, "decimal degrees (JGD2011)"),
        FieldSpec("lat", "緯度", "lat", False, "decimal degrees (JGD2011)"),
    ),
    ("house_no",),
)

LAND = KindSpec(
    "land",
    "土地 (固定資産課税台帳)",
    (
        FieldSpec("lot_no", "地番", "key", True, "the parcel key"),
        FieldSpec("location", "土地の所在", "address", True, "", derived="address_key"),
        FieldSpec("owner_atena_no", "所有者宛名番号", "id", False, ""),
        FieldSpec("land_category", "地目", "text", False, "宅地, 田, 畑, 山林, 雑種地 …"),
        FieldSpec("area", "地積 (m²)", "float", False, ""),
    ),
    ("lot_no",),
)

TAX = KindSpec(
    "tax",
    "個人住民税",
    (
        FieldSpec("atena_no", "宛名番号", "id", True, ""),
        FieldSpec("fiscal_year", "課税年度", "year", True, "`2026`, `令和8`, `R8`, `令和8年度` → 2026"),
        FieldSpec("total_income", "総所得金額等 (円)", "int", True, ""),
        FieldSpec("taxable", "課税区分", "bool", True, "課税 true / 非課税 false", default_codes=TAXABLE_CODES),
        FieldSpec("household_no", "世帯番号", "id", False, ""),
    ),
    ("atena_no", "fiscal_year"),
)

ADDRESSES = KindSpec(
    "addresses",
    "位置参照情報 (国土交通省)",
    (
        FieldSpec("prefecture", "都道府県名", "text", True, ""),
        FieldSpec("city", "市区町村名", "text", True, ""),
        FieldSpec("town", "大字・町丁目名", "text", True, "with 丁目 (桜町二丁目)"),
        FieldSpec("koaza", "小字・通称名", "text", False, ""),
        FieldSpec("block", "街区符号・地番", "key", False, "mapped → block level; not mapped → town level"),
        FieldSpec("lat", "緯度", "lat", True, ""),
        FieldSpec("lon", "経度", "lon", True, ""),
        FieldSpec("town_code", "大字町丁目コード", "key", False, ""),
        FieldSpec("prefecture_code", "都道府県コード", "key", False, ""),
        FieldSpec("city_code", "市区町村コード", "key", False, ""),
        FieldSpec("jukyo", "住居表示フラグ", "bool", False, "1 = 住居表示実施", default_codes=_BOOL_CODES),
        FieldSpec("representative", "代表フラグ", "bool", False, "1 = representative point", default_codes=_BOOL_CODES),
    ),
    ("level", "match_key"),
)

KINDS: dict[str, KindSpec] = {k.kind: k for k in (RESIDENTS, DWELLINGS, LAND, TAX, ADDRESSES)}


def kind_spec(kind: str) -> KindSpec:
    return KINDS[kind]
