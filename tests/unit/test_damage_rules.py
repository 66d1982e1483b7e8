"""Damage-class rules (ledgers.damage.rules) and the `rules` CLI group.

The expected tables below are written by hand from the 運用指針 values (see docs/damage-rules.md), not
computed from the data files, so a wrong threshold in a data file fails here. The data-driven
tests additionally walk every band of every file, and a version without a hand-written table
fails the coverage checks.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from core.errors import DomainError, NotFound
from ledgers.damage import (
    Judgement,
    classify_flood,
    classify_floor_ratio,
    classify_parts,
    classify_ratio,
    get_ruleset,
    load_rulesets,
    manual_judgement,
    most_severe,
    parse_depth,
    parse_ratio,
    ratio_from_parts,
    rules_for,
)
from ledgers.damage import rules as rules_module
from victim_support.cli.rules import rules as rules_cli

D = Decimal
RULESETS = load_rulesets()
RATIO_IDS = [r.id for r in RULESETS if r.kind == "ratio"]
FLOOD_IDS = [r.id for r in RULESETS if r.kind == "flood"]

TOTAL, LARGE, MEDIUM, HALF, QUASI, PARTIAL, NONE = (
    "total_collapse",
    "large_scale_half",
    "medium_scale_half",
    "half",
    "quasi_half",
    "partial",
    "none",
)

# ---------------------------------------------------------------- hand-written expectations

# Class codes and labels, most severe first.
EXPECTED_CLASSES = {
    "ratio-2001": [(TOTAL, "全壊"), (HALF, "半壊"), (PARTIAL, "半壊に至らない（一部損壊）")],
    "ratio-2004": [(TOTAL, "全壊"), (LARGE, "大規模半壊"), (HALF, "半壊"), (PARTIAL, "一部損壊（半壊に至らない）")],
    "ratio-2020": [
        (TOTAL, "全壊"),
        (LARGE, "大規模半壊"),
        (HALF, "半壊"),
        (QUASI, "準半壊"),
        (PARTIAL, "準半壊に至らない（一部損壊）"),
    ],
    "ratio-2021": [
        (TOTAL, "全壊"),
        (LARGE, "大規模半壊"),
        (MEDIUM, "中規模半壊"),
        (HALF, "半壊"),
        (QUASI, "準半壊"),
        (PARTIAL, "準半壊に至らない（一部損壊）"),
    ],
    "flood-2018": [
        (TOTAL, "全壊"),
        (LARGE, "大規模半壊"),
        (HALF, "半壊"),
        (PARTIAL, "半壊に至らない"),
        (NONE, "被害なし"),
    ],
    "flood-2021-unverified": [
        (TOTAL, "全壊"),
        (LARGE, "大規模半壊"),
        (MEDIUM, "中規模半壊"),
        (HALF, "半壊"),
        (QUASI, "準半壊"),
        (NONE, "被害なし"),
    ],
    "flood-2022-naisui": [
        (TOTAL, "全壊"),
        (LARGE, "大規模半壊"),
        (MEDIUM, "中規模半壊"),
        (HALF, "半壊"),
        (QUASI, "準半壊"),
        (PARTIAL, "準半壊に至らない（一部損壊）"),
        (NONE, "被害なし"),
    ],
}

# 損害割合 (percent) -> class, at and just below every boundary.
RATIO_CASES = {
    "ratio-2001": [
        ("100", TOTAL),
        ("50", TOTAL),
        ("49.99", HALF),
        ("40", HALF),
        ("39.99", HALF),
        ("30", HALF),
        ("20", HALF),
        ("19.99", PARTIAL),
        ("10", PARTIAL),
        ("9.99", PARTIAL),
        ("0", PARTIAL),
    ],
    "ratio-2004": [
        ("100", TOTAL),
        ("50", TOTAL),
        ("49.99", LARGE),
        ("40", LARGE),
        ("39.99", HALF),
        ("30", HALF),
        ("29.99", HALF),
        ("20", HALF),
        ("19.99", PARTIAL),
        ("10", PARTIAL),
        ("9.99", PARTIAL),
        ("0", PARTIAL),
    ],
    "ratio-2020": [
        ("100", TOTAL),
        ("50", TOTAL),
        ("49.99", LARGE),
        ("40", LARGE),
        ("39.99", HALF),
        ("30", HALF),
        ("29.99", HALF),
        ("20", HALF),
        ("19.99", QUASI),
        ("10", QUASI),
        ("9.99", PARTIAL),
        ("0", PARTIAL),
    ],
    "ratio-2021": [
        ("100", TOTAL),
        ("50", TOTAL),
        ("49.99", LARGE),
        ("49.9999999", LARGE),
        ("40", LARGE),
        ("39.99", MEDIUM),
        ("30", MEDIUM),
        ("29.99", HALF),
        ("20", HALF),
        ("19.99", QUASI),
        ("10", QUASI),
        ("9.99", PARTIAL),
        ("0.01", PARTIAL),
        ("0", PARTIAL),
    ],
}

# 床面積の損壊割合 (percent) -> class.
FLOOR_CASES = {
    "ratio-2001": [
        ("100", TOTAL),
        ("70", TOTAL),
        ("69.99", HALF),
        ("50", HALF),
        ("20", HALF),
        ("19.99", PARTIAL),
        ("0", PARTIAL),
    ],
    "ratio-2004": [
        ("70", TOTAL),
        ("69.99", LARGE),
        ("50", LARGE),
        ("49.99", HALF),
        ("30", HALF),
        ("20", HALF),
        ("19.99", PARTIAL),
        ("10", PARTIAL),
        ("0", PARTIAL),
    ],
    "ratio-2020": [
        ("70", TOTAL),
        ("69.99", LARGE),
        ("50", LARGE),
        ("49.99", HALF),
        ("20", HALF),
        ("19.99", QUASI),
        ("10", QUASI),
        ("9.99", PARTIAL),
        ("0", PARTIAL),
    ],
    "ratio-2021": [
        ("70", TOTAL),
        ("69.99", LARGE),
        ("50", LARGE),
        ("49.99", MEDIUM),
        ("30", MEDIUM),
        ("29.99", HALF),
        ("20", HALF),
        ("19.99", QUASI),
        ("10", QUASI),
        ("9.99", PARTIAL),
        ("0", PARTIAL),
    ],
}

# Whether the band that decides was checked against its source ([V]), per version: ratio, floor.
RATIO_VERIFIED = {
    "ratio-2001": {TOTAL: False, HALF: False, PARTIAL: False},
    "ratio-2004": {TOTAL: True, LARGE: True, HALF: True, PARTIAL: True},
    "ratio-2020": {TOTAL: True, LARGE: True, HALF: True, QUASI: False, PARTIAL: False},
    "ratio-2021": {TOTAL: True, LARGE: True, MEDIUM: True, HALF: True, QUASI: True, PARTIAL: True},
}
FLOOR_VERIFIED = {
    "ratio-2001": {TOTAL: False, HALF: False, PARTIAL: False},
    "ratio-2004": {TOTAL: True, LARGE: True, HALF: True, PARTIAL: True},
    "ratio-2020": {TOTAL: True, LARGE: True, HALF: True, QUASI: False, PARTIAL: False},
    "ratio-2021": {TOTAL: True, LARGE: True, MEDIUM: False, HALF: False, QUASI: False, PARTIAL: False},
}

# Flood: (depth above the floor in m | "washed" | None, expected class); a class of None = refused.
_R3 = [
    ("washed", TOTAL),
    ("3", TOTAL),
    ("1.8", TOTAL),
    ("1.79", LARGE),
    ("1.0", LARGE),
    ("0.99", MEDIUM),
    ("0.5", MEDIUM),
    ("0.49", HALF),
    ("0.01", HALF),
    ("0", QUASI),
    ("-0.3", QUASI),
    (None, NONE),
]
FLOOD_CASES = {
    ("flood-2018", True): [
        ("washed", TOTAL),
        ("2.5", TOTAL),
        ("1.8", TOTAL),
        ("1.79", LARGE),
        ("1.0", LARGE),
        ("0.99", HALF),
        ("0.5", HALF),
        ("0.01", HALF),
        ("0", PARTIAL),
        ("-0.2", PARTIAL),
        (None, NONE),
    ],
    ("flood-2018", False): None,
    ("flood-2021-unverified", True): _R3,
    ("flood-2021-unverified", False): None,
    ("flood-2022-naisui", True): _R3,
    ("flood-2022-naisui", False): [
        ("washed", None),
        ("2.5", LARGE),
        ("1.8", LARGE),
        ("1.79", MEDIUM),
        ("1.0", MEDIUM),
        ("0.99", HALF),
        ("0.1", HALF),
        ("0.09", QUASI),
        ("0.01", QUASI),
        ("0", PARTIAL),
        ("-0.5", PARTIAL),
        (None, NONE),
    ],
}
FLOOD_TABLE_VERIFIED = {
    ("flood-2018", True): True,
    ("flood-2021-unverified", True): False,
    ("flood-2022-naisui", True): False,
    ("flood-2022-naisui", False): True,
}

# Version chosen by the disaster date, at each valid_from boundary.
DATE_CASES = [
    ("ratio", date(2000, 12, 31), None),
    ("ratio", date(2001, 1, 1), "ratio-2001"),
    ("ratio", date(2004, 3, 31), "ratio-2001"),
    ("ratio", date(2004, 4, 1), "ratio-2004"),
    ("ratio", date(2011, 3, 11), "ratio-2004"),
    ("ratio", date(2020, 2, 29), "ratio-2004"),
    ("ratio", date(2020, 3, 1), "ratio-2020"),
    ("ratio", date(2021, 2, 28), "ratio-2020"),
    ("ratio", date(2021, 3, 1), "ratio-2021"),
    ("ratio", date(2040, 1, 1), "ratio-2021"),
    ("flood", date(2018, 6, 30), None),
    ("flood", date(2018, 7, 1), "flood-2018"),
    ("flood", date(2021, 2, 28), "flood-2018"),
    ("flood", date(2021, 3, 1), "flood-2021-unverified"),
    ("flood", date(2022, 5, 30), "flood-2021-unverified"),
    ("flood", date(2022, 5, 31), "flood-2022-naisui"),
    ("flood", date(2040, 1, 1), "flood-2022-naisui"),
]

# 部位別構成比 (percent) per version / structure / survey.
_FIRST_CURRENT = {"roof": "15", "exterior_wall": "75", "foundation": "10"}
_SECOND_CURRENT = {
    "roof": "15",
    "columns": "15",
    "floor": "10",
    "exterior_wall": "10",
    "interior_wall": "10",
    "ceiling": "5",
    "fittings": "10",
    "foundation": "10",
    "equipment": "15",
}
EXPECTED_WEIGHTS = {
    ("ratio-2004", "wooden", "first"): {"roof": "10", "exterior_wall": "80", "foundation": "10"},
    ("ratio-2004", "wooden", "second"): {
        "roof": "15",
        "columns": "15",
        "floor": "10",
        "exterior_wall": "10",
        "interior_wall": "15",
        "ceiling": "5",
        "fittings": "10",
        "foundation": "10",
        "equipment": "10",
    },
    ("ratio-2020", "wooden", "first"): _FIRST_CURRENT,
    ("ratio-2020", "wooden", "second"): _SECOND_CURRENT,
    ("ratio-2021", "wooden", "first"): _FIRST_CURRENT,
    ("ratio-2021", "wooden", "second"): _SECOND_CURRENT,
}

EXPECTED_STATUS = {
    "ratio-2001": "unverified",
    "ratio-2004": "partly",
    "ratio-2020": "partly",
    "ratio-2021": "partly",
    "flood-2018": "verified",
    "flood-2021-unverified": "unverified",
    "flood-2022-naisui": "partly",
}


# ---------------------------------------------------------------- coverage of the data


def test_every_version_has_hand_written_expectations():
    assert set(EXPECTED_CLASSES) == {r.id for r in RULESETS}
    assert set(RATIO_CASES) == set(RATIO_IDS) == set(FLOOR_CASES) == set(RATIO_VERIFIED)
    assert {key[0] for key in FLOOD_CASES} == set(FLOOD_IDS)
    assert {(r.id, w.structure, w.survey) for r in RULESETS for w in r.weights} == set(EXPECTED_WEIGHTS)
    assert {r.id: r.status for r in RULESETS} == EXPECTED_STATUS


@pytest.mark.parametrize("ruleset_id", sorted(EXPECTED_CLASSES))
def test_classes_and_labels(ruleset_id):
    ruleset = get_ruleset(ruleset_id)
    assert [(c.code, c.label) for c in ruleset.classes] == EXPECTED_CLASSES[ruleset_id]


def test_versions_of_a_kind_are_contiguous():
    for kind in ("ratio", "flood"):
        same = [r for r in RULESETS if r.kind == kind]
        assert same[-1].valid_until is None
        for earlier, later in zip(same, same[1:]):
            assert earlier.valid_until + timedelta(days=1) == later.valid_from


def test_verified_flag_matches_the_unverified_list():
    for ruleset in RULESETS:
        assert ruleset.verified == (not ruleset.unverified), ruleset.id
        assert ruleset.source and ruleset.title


# ---------------------------------------------------------------- ratio and floor area


@pytest.mark.parametrize(
    ("ruleset_id", "ratio", "expected"),
    [(rid, ratio, cls) for rid, cases in RATIO_CASES.items() for ratio, cls in cases],
)
def test_ratio_boundaries(ruleset_id, ratio, expected):
    ruleset = get_ruleset(ruleset_id)
    judgement = classify_ratio(ruleset, D(ratio))
    assert judgement.damage_class == expected
    assert judgement.label == dict(EXPECTED_CLASSES[ruleset_id])[expected]
    assert judgement.rule_version == ruleset_id
    assert judgement.basis == "ratio" and not judgement.manual
    assert judgement.value == D(ratio)
    assert judgement.verified is RATIO_VERIFIED[ruleset_id][expected]


@pytest.mark.parametrize(
    ("ruleset_id", "ratio", "expected"),
    [(rid, ratio, cls) for rid, cases in FLOOR_CASES.items() for ratio, cls in cases],
)
def test_floor_ratio_boundaries(ruleset_id, ratio, expected):
    judgement = classify_floor_ratio(get_ruleset(ruleset_id), D(ratio))
    assert (judgement.damage_class, judgement.rule_version, judgement.basis) == (expected, ruleset_id, "floor_ratio")
    assert judgement.verified is FLOOR_VERIFIED[ruleset_id][expected]


@pytest.mark.parametrize("ruleset_id", RATIO_IDS)
def test_every_band_of_the_data_at_and_below_its_minimum(ruleset_id):
    ruleset = get_ruleset(ruleset_id)
    for bands, judge in ((ruleset.ratio_bands, classify_ratio), (ruleset.floor_bands, classify_floor_ratio)):
        for upper, lower in zip(bands, bands[1:]):
            assert judge(ruleset, upper.minimum).damage_class == upper.damage_class
            assert judge(ruleset, upper.minimum - D("0.01")).damage_class == lower.damage_class
            assert judge(ruleset, upper.minimum - D("1e-9")).damage_class == lower.damage_class


def test_49_99_is_large_scale_half_and_50_is_total_collapse_in_every_version_with_large_scale_half():
    for ruleset_id in ("ratio-2004", "ratio-2020", "ratio-2021"):
        ruleset = get_ruleset(ruleset_id)
        assert classify_ratio(ruleset, parse_ratio("49.99%")).damage_class == LARGE
        assert classify_ratio(ruleset, parse_ratio("0.4999")).damage_class == LARGE
        assert classify_ratio(ruleset, parse_ratio("50")).damage_class == TOTAL
        assert classify_ratio(ruleset, parse_ratio("0.5")).damage_class == TOTAL


@pytest.mark.parametrize("bad", [D("-0.01"), D("100.01"), "120", "abc", "", D("NaN"), "Infinity", True, None])
def test_ratio_out_of_range_or_not_a_number(bad):
    with pytest.raises(DomainError, match="損害割合"):
        classify_ratio(get_ruleset("ratio-2021"), bad)


def test_ratio_accepts_int_float_and_percent_string():
    ruleset = get_ruleset("ratio-2021")
    assert classify_ratio(ruleset, 40).damage_class == LARGE
    assert classify_ratio(ruleset, 39.99).damage_class == MEDIUM
    assert classify_ratio(ruleset, "39.99%").damage_class == MEDIUM
    assert classify_ratio(ruleset, "５０％").damage_class == TOTAL


def test_ratio_needs_a_ratio_ruleset():
    with pytest.raises(DomainError, match="flood-2018"):
        classify_ratio(get_ruleset("flood-2018"), 50)
    with pytest.raises(DomainError, match="ratio-2021"):
        classify_flood(get_ruleset("ratio-2021"), D("1"))


@pytest.mark.parametrize(
    ("text", "percent"),
    [
        ("49.99%", "49.99"),
        ("49.99", "49.99"),
        ("0.4999", "49.99"),
        ("50%", "50"),
        ("50", "50"),
        ("0.5", "50"),
        ("1", "100"),
        ("1%", "1"),
        ("0.5%", "0.5"),
        ("0", "0"),
        ("100", "100"),
        ("100%", "100"),
        (" 12.5 % ", "12.5"),
        ("４９．９９％", "49.99"),
        ("1.01", "1.01"),
    ],
)
def test_parse_ratio(text, percent):
    assert parse_ratio(text) == D(percent)


@pytest.mark.parametrize("text", ["", "  ", "abc", "-1", "-0.5", "100.5", "101%", "NaN", "1e3", "0,5", "%"])
def test_parse_ratio_refuses(text):
    with pytest.raises(DomainError):
        parse_ratio(text)


# ---------------------------------------------------------------- flood


@pytest.mark.parametrize(
    ("ruleset_id", "external_force", "depth", "expected"),
    [(rid, ext, depth, cls) for (rid, ext), cases in FLOOD_CASES.items() if cases for depth, cls in cases],
)
def test_flood_boundaries(ruleset_id, external_force, depth, expected):
    ruleset = get_ruleset(ruleset_id)
    washed = depth == "washed"
    args = (ruleset, None if washed else (None if depth is None else D(depth)), external_force)
    if expected is None:
        with pytest.raises(DomainError, match="流失"):
            classify_flood(*args, washed_away=washed)
        return
    judgement = classify_flood(*args, washed_away=washed)
    assert judgement.damage_class == expected
    assert judgement.label == dict(EXPECTED_CLASSES[ruleset_id])[expected]
    assert judgement.rule_version == ruleset_id and judgement.basis == "flood"
    assert judgement.condition == ("external_force" if external_force else "no_external_force")
    assert judgement.verified is FLOOD_TABLE_VERIFIED[(ruleset_id, external_force)]


@pytest.mark.parametrize(("ruleset_id", "external_force"), [k for k, v in FLOOD_CASES.items() if v is None])
def test_flood_without_a_table_for_the_case_is_refused(ruleset_id, external_force):
    with pytest.raises(DomainError, match="外力なし"):
        classify_flood(get_ruleset(ruleset_id), D("1.2"), external_force)


@pytest.mark.parametrize("ruleset_id", FLOOD_IDS)
def test_every_flood_band_of_the_data_at_and_below_its_minimum(ruleset_id):
    ruleset = get_ruleset(ruleset_id)
    for table in ruleset.flood:
        external = table.condition == "external_force"
        for upper, lower in zip(table.bands, table.bands[1:]):
            assert classify_flood(ruleset, upper.minimum, external).damage_class == upper.damage_class
            assert classify_flood(ruleset, upper.minimum - D("0.01"), external).damage_class == lower.damage_class
        assert classify_flood(ruleset, D("0.001"), external).damage_class == table.bands[-1].damage_class
        assert classify_flood(ruleset, D(0), external).damage_class == table.below_floor


def test_flood_depth_forms():
    ruleset = get_ruleset("flood-2022-naisui")
    assert classify_flood(ruleset, 1).damage_class == MEDIUM
    assert classify_flood(ruleset, "1.8").damage_class == LARGE
    assert classify_flood(ruleset, 0.09).damage_class == QUASI
    assert parse_depth("1.2m") == D("1.2")
    assert parse_depth("１．２") == D("1.2")
    assert parse_depth("床下") == 0 and parse_depth("below-floor") == 0
    assert parse_depth("none") is None and parse_depth("なし") is None
    with pytest.raises(DomainError, match="浸水深"):
        parse_depth("deep")
    with pytest.raises(DomainError, match="浸水深"):
        classify_flood(ruleset, "deep")


# ---------------------------------------------------------------- choosing the version


@pytest.mark.parametrize(("kind", "on", "expected"), DATE_CASES)
def test_version_by_date(kind, on, expected):
    if expected is None:
        with pytest.raises(DomainError, match=on.isoformat()):
            rules_for(on, kind=kind)
    else:
        assert rules_for(on, kind=kind).id == expected
        assert rules_for(datetime(on.year, on.month, on.day, 23, 59), kind=kind).id == expected


def test_every_valid_from_is_in_the_date_table():
    tested = {(kind, on) for kind, on, _ in DATE_CASES}
    for ruleset in RULESETS:
        assert (ruleset.kind, ruleset.valid_from) in tested, ruleset.id
        assert (ruleset.kind, ruleset.valid_from - timedelta(days=1)) in tested, ruleset.id


def test_default_kind_is_ratio():
    assert rules_for(date(2024, 1, 1)).id == "ratio-2021"


def test_override():
    day = date(2020, 7, 4)  # 令和2年7月豪雨: 中規模半壊 applied although the 指針 revision came in 2021/3
    assert rules_for(day).id == "ratio-2020"
    assert rules_for(day, "ratio-2021").id == "ratio-2021"
    assert rules_for(day, " ratio-2021 ").id == "ratio-2021"
    assert rules_for(day, "ratio-2021", kind="flood").id == "flood-2018"  # not overridden: by date
    assert rules_for(day, "ratio-2021,flood-2021-unverified", kind="flood").id == "flood-2021-unverified"
    assert rules_for(date(1990, 1, 1), "ratio-2004").id == "ratio-2004"  # an override works outside validity
    assert rules_for(day, "").id == "ratio-2020"
    assert rules_for(day, None).id == "ratio-2020"
    with pytest.raises(NotFound, match="ratio-1999"):
        rules_for(day, "ratio-1999")
    with pytest.raises(DomainError, match="2つ"):
        rules_for(day, "ratio-2021,ratio-2020")
    with pytest.raises(DomainError, match="種類"):
        rules_for(day, kind="money")


def test_get_ruleset_unknown():
    with pytest.raises(NotFound, match="nope"):
        get_ruleset("nope")


# ---------------------------------------------------------------- manual class


def test_manual_judgement():
    ruleset = get_ruleset("ratio-2021")
    judgement = manual_judgement("medium_scale_half", "  応急危険度判定で危険、内部確認不能  ", ruleset)
    assert judgement == Judgement(
        "medium_scale_half",
        "中規模半壊",
        "ratio-2021",
        "manual",
        manual=True,
        reason="応急危険度判定で危険、内部確認不能",
        note="手動判定",
    )
    assert judgement.verified is None
    assert manual_judgement("none", "浸水なしを確認", get_ruleset("flood-2018")).label == "被害なし"


def test_manual_judgement_refusals():
    with pytest.raises(DomainError, match="medium_scale_half"):
        manual_judgement("medium_scale_half", "理由", get_ruleset("ratio-2004"))  # no 中規模半壊 before 2021
    with pytest.raises(DomainError, match="理由"):
        manual_judgement("half", "", get_ruleset("ratio-2021"))
    with pytest.raises(DomainError, match="理由"):
        manual_judgement("half", " \u3000 ", get_ruleset("ratio-2021"))
    with pytest.raises(DomainError, match="被害区分"):
        manual_judgement("collapsed", "理由", get_ruleset("ratio-2021"))


def test_judgement_to_dict_and_most_severe():
    ruleset = get_ruleset("ratio-2021")
    ratio = classify_ratio(ruleset, D("45"))
    floor = classify_floor_ratio(ruleset, D("72"))
    assert most_severe(ratio, floor) == floor
    assert most_severe(floor, ratio, ruleset=ruleset).damage_class == TOTAL
    assert ratio.to_dict() == {
        "damage_class": LARGE,
        "label": "大規模半壊",
        "rule_version": "ratio-2021",
        "basis": "ratio",
        "manual": False,
        "reason": "",
        "value": "45",
        "note": "損害割合 45%",
        "condition": "",
        "verified": True,
    }
    with pytest.raises(DomainError, match="規則バージョン"):
        most_severe(ratio, classify_ratio(get_ruleset("ratio-2020"), D("45")))
    with pytest.raises(DomainError):
        most_severe()


# ---------------------------------------------------------------- part weights


@pytest.mark.parametrize(("key", "expected"), sorted(EXPECTED_WEIGHTS.items()))
def test_part_weights(key, expected):
    ruleset_id, structure, survey = key
    table = get_ruleset(ruleset_id).part_weights(structure, survey)
    assert {p.code: p.weight for p in table.parts} == {k: D(v) for k, v in expected.items()}
    assert sum(D(v) for v in expected.values()) == 100
    assert sum(p.weight for p in table.parts) == 100


def test_ratio_from_parts():
    ruleset = get_ruleset("ratio-2021")
    assert ratio_from_parts(ruleset, "wooden", {}, survey="first") == 0
    assert ratio_from_parts(ruleset, "wooden", {p: 1 for p in _SECOND_CURRENT}) == 100
    assert ratio_from_parts(ruleset, "wooden", {"roof": "1", "columns": "0.5", "equipment": D("0.2")}) == D("25.5")
    # 15 × 1 + 75 × 0.46666 = 49.9995 → 大規模半壊; 0.46667 → 50.00025 → 全壊
    assert ratio_from_parts(ruleset, "wooden", {"roof": 1, "exterior_wall": "0.46666"}, survey="first") == D("49.9995")
    assert (
        classify_parts(ruleset, "wooden", {"roof": 1, "exterior_wall": "0.46666"}, survey="first").damage_class == LARGE
    )
    total = classify_parts(ruleset, "wooden", {"roof": 1, "exterior_wall": "0.46667"}, survey="first")
    assert (total.damage_class, total.basis, total.rule_version, total.verified) == (TOTAL, "parts", "ratio-2021", True)
    # the 2nd-survey weights carry an unverified weight (設備), so the judgement says so
    assert classify_parts(ruleset, "wooden", {"roof": 1}).verified is False
    # the same damage under the older weights
    assert ratio_from_parts(get_ruleset("ratio-2004"), "wooden", {"interior_wall": 1, "equipment": 1}) == 25
    assert ratio_from_parts(ruleset, "wooden", {"interior_wall": 1, "equipment": 1}) == 25


def test_ratio_from_parts_refusals():
    ruleset = get_ruleset("ratio-2021")
    with pytest.raises(DomainError, match="chimney"):
        ratio_from_parts(ruleset, "wooden", {"chimney": 1})
    with pytest.raises(DomainError, match="0〜1"):
        ratio_from_parts(ruleset, "wooden", {"roof": "1.5"})
    with pytest.raises(DomainError, match="0〜1"):
        ratio_from_parts(ruleset, "wooden", {"roof": -1})
    with pytest.raises(DomainError, match="columns"):
        ratio_from_parts(ruleset, "wooden", {"columns": 1}, survey="first")  # not a 1st-survey part
    with pytest.raises(DomainError, match="non_wooden"):
        ratio_from_parts(ruleset, "non_wooden", {"roof": 1})  # no non-wooden weights in the rule data
    with pytest.raises(DomainError, match="ratio-2001"):
        ratio_from_parts(get_ruleset("ratio-2001"), "wooden", {"roof": 1})
    with pytest.raises(DomainError, match="調査"):
        ratio_from_parts(ruleset, "wooden", {"roof": 1}, survey="third")
    with pytest.raises(DomainError):
        ratio_from_parts(get_ruleset("flood-2018"), "wooden", {"roof": 1})


# ---------------------------------------------------------------- loading checks


RULESET_DIR = Path(rules_module.__file__).parent / "rulesets"


def _copy_with(tmp_path: Path, name: str, old: str, new: str) -> Path:
    for file in RULESET_DIR.glob("*.toml"):
        shutil.copy(file, tmp_path / file.name)
    target = tmp_path / name
    text = target.read_text(encoding="utf-8")
    assert old in text
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    return tmp_path


def test_copy_of_the_packaged_files_loads(tmp_path):
    _copy_with(tmp_path, "ratio-2021.toml", 'id = "ratio-2021"', 'id = "ratio-2021"')
    assert [r.id for r in load_rulesets(tmp_path)] == [r.id for r in RULESETS]


@pytest.mark.parametrize(
    ("name", "old", "new", "message"),
    [
        ("ratio-2021.toml", 'ratio_min = "40"', 'ratio_min = "55"', "順に"),
        ("ratio-2021.toml", 'ratio_min = "50"', "ratio_min = 50.0", "文字列"),
        ("ratio-2021.toml", 'ratio_min = "0"', 'ratio_min = "1"', '"0"'),
        (
            "ratio-2021.toml",
            '{ code = "ceiling", label = "天井", weight = "5" }',
            '{ code = "ceiling", label = "天井", weight = "6" }',
            "101",
        ),
        ("ratio-2021.toml", 'id = "ratio-2021"', 'id = "ratio-2022"', "ファイル名"),
        ("ratio-2021.toml", "valid_from = 2021-03-01", "valid_from = 2021-02-01", "重なって"),
        ("ratio-2020.toml", "valid_from = 2020-03-01", 'valid_from = "2020-03-01"', "日付"),
        ("ratio-2021.toml", "verified = false\nunverified", "verified = true\nunverified", "unverified"),
        ("flood-2018.toml", 'below_floor = "partial"', 'below_floor = "quasi_half"', "quasi_half"),
        ("flood-2018.toml", "[flood.external_force]", "[flood.some_force]", "external_force"),
        ("flood-2018.toml", 'kind = "flood"', 'kind = "money"', "kind"),
    ],
)
def test_bad_data_files_are_refused(tmp_path, name, old, new, message):
    _copy_with(tmp_path, name, old, new)
    with pytest.raises(DomainError, match=message) as caught:
        load_rulesets(tmp_path)
    assert name in str(caught.value) or name.removesuffix(".toml") in str(caught.value)


def test_verified_true_with_unverified_bands_is_refused(tmp_path):
    _copy_with(
        tmp_path,
        "flood-2021-unverified.toml",
        "verified = false\nunverified = [",
        "verified = true\nunverified = [] \nx = [",
    )
    with pytest.raises(DomainError, match="未検証"):
        load_rulesets(tmp_path)


# ---------------------------------------------------------------- CLI


@pytest.fixture
def cli():
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(rules_cli, list(args))

    return invoke


def _error_line(result) -> str:
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    return lines[0]


def test_cli_list(cli):
    result = cli("list")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:6] == ["id", "kind", "valid_from", "valid_until", "verified", "title"]
    for ruleset_id, status in EXPECTED_STATUS.items():
        row = next(line for line in lines if line.startswith(ruleset_id + " "))
        assert status in row.split()[3:5]  # valid_until is blank for the versions in force
    assert "2021-03-01" in result.output and "平成30年7月豪雨" in result.output  # the flood-2018 source is listed
    data = json.loads(cli("list", "--kind", "flood", "--json").output)
    assert [d["id"] for d in data] == ["flood-2018", "flood-2021-unverified", "flood-2022-naisui"]
    assert data[1]["verified"] is False and data[1]["unverified"]
    assert data[0]["valid_until"] == "2021-02-28" and data[2]["valid_until"] is None


def test_cli_show(cli):
    result = cli("show", "ratio-2021")
    assert result.exit_code == 0, result.output
    assert "中規模半壊" in result.output and "30% – <40%" in result.output and "UNVERIFIED" in result.output
    data = json.loads(cli("show", "flood-2022-naisui", "--json").output)
    assert [t["condition"] for t in data["flood"]] == ["no_external_force", "external_force"]
    assert "nope" in _error_line(cli("show", "nope"))


@pytest.mark.parametrize(
    ("args", "cls", "version", "basis"),
    [
        (["--ratio", "49.99", "--on", "2026-01-01"], "large_scale_half 大規模半壊", "ratio-2021", "損害割合 49.99%"),
        (["--ratio", "49.99%", "--on", "2026-01-01"], "large_scale_half 大規模半壊", "ratio-2021", "損害割合 49.99%"),
        (["--ratio", "0.4999", "--on", "2026-01-01"], "large_scale_half 大規模半壊", "ratio-2021", "損害割合 49.99%"),
        (["--ratio", "50", "--on", "2026-01-01"], "total_collapse 全壊", "ratio-2021", "損害割合 50%"),
        (["--ratio", "35", "--on", "2021-03-01"], "medium_scale_half 中規模半壊", "ratio-2021", "35%"),
        (["--ratio", "35", "--on", "2021-02-28"], "half 半壊", "ratio-2020", "35%"),
        (["--ratio", "35", "--rules", "ratio-2021"], "medium_scale_half 中規模半壊", "ratio-2021", "35%"),
        (["--ratio", "15", "--on", "2019-10-12"], "partial 一部損壊（半壊に至らない）", "ratio-2004", "15%"),
        (
            ["--floor-ratio", "69.99%", "--on", "2026-01-01"],
            "large_scale_half 大規模半壊",
            "ratio-2021",
            "床面積の損壊割合 69.99%",
        ),
        (
            ["--ratio", "45", "--floor-ratio", "70", "--on", "2026-01-01"],
            "total_collapse 全壊",
            "ratio-2021",
            "床面積の損壊割合 70%",
        ),
        (
            ["--part", "roof=1", "--part", "exterior_wall=0.46666", "--survey", "first", "--on", "2026-01-01"],
            "large_scale_half 大規模半壊",
            "ratio-2021",
            "49.9995%",
        ),
        (
            ["--flood-depth", "1.8", "--on", "2023-06-01"],
            "large_scale_half 大規模半壊",
            "flood-2022-naisui",
            "床上浸水 1.8 m（外力なし）",
        ),
        (
            ["--flood-depth", "1.8", "--external-force", "--on", "2023-06-01"],
            "total_collapse 全壊",
            "flood-2022-naisui",
            "床上浸水 1.8 m（外力あり）",
        ),
        (["--flood-depth", "0.99", "--external-force", "--on", "2018-07-07"], "half 半壊", "flood-2018", "0.99 m"),
        (
            ["--flood-depth", "床下", "--on", "2023-06-01"],
            "partial 準半壊に至らない（一部損壊）",
            "flood-2022-naisui",
            "床下浸水",
        ),
        (
            ["--washed-away", "--external-force", "--rules", "flood-2021-unverified"],
            "total_collapse 全壊",
            "flood-2021-unverified",
            "流失",
        ),
    ],
)
def test_cli_damage_class(cli, args, cls, version, basis):
    result = cli("damage-class", *args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"class: {cls}"
    assert lines[1].startswith(f"rules: {version} ")
    assert basis in result.output


def test_cli_damage_class_marks_unverified_bands(cli):
    result = cli("damage-class", "--flood-depth", "1.2", "--external-force", "--on", "2021-06-01")
    assert "(UNVERIFIED)" in result.output
    result = cli("damage-class", "--ratio", "45", "--on", "2024-01-01")
    assert "(verified)" in result.output and "chosen by: date 2024-01-01" in result.output


def test_cli_damage_class_json(cli):
    result = cli("damage-class", "--ratio", "0.4999", "--rules", "ratio-2020", "--json")
    data = json.loads(result.output)
    assert (data["damage_class"], data["label"], data["rule_version"], data["chosen_by"]) == (
        LARGE,
        "大規模半壊",
        "ratio-2020",
        "--rules",
    )
    assert data["judgements"][0]["value"] == "49.99" and data["judgements"][0]["rule_version"] == "ratio-2020"


def test_cli_damage_class_defaults_to_today(cli):
    result = cli("damage-class", "--ratio", "10")
    assert result.exit_code == 0, result.output
    assert "rules: ratio-2021 " in result.output and "chosen by: date " in result.output


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ([], "--ratio"),
        (["--ratio", "abc"], "abc"),
        (["--ratio", "120"], "120"),
        (["--ratio", "35", "--on", "1999-01-01"], "1999-01-01"),
        (["--ratio", "35", "--rules", "nope"], "nope"),
        (["--ratio", "35", "--rules", "flood-2018"], "flood-2018"),
        (["--ratio", "35", "--on", "2024-01-01", "--rules", "ratio-2021"], "--on"),
        (["--ratio", "35", "--flood-depth", "1"], "同時"),
        (["--ratio", "35", "--part", "roof=1"], "同時"),
        (["--ratio", "35", "--external-force"], "--external-force"),
        (["--flood-depth", "1", "--on", "2019-01-01"], "外力なし"),
        (["--flood-depth", "deep"], "deep"),
        (["--washed-away", "--on", "2023-06-01"], "流失"),
        (["--part", "roof"], "roof"),
        (["--part", "chimney=1"], "chimney"),
        (["--part", "roof=1", "--rules", "ratio-2001"], "ratio-2001"),
        (["--part", "roof=1", "--structure", "non_wooden"], "non_wooden"),
    ],
)
def test_cli_damage_class_errors(cli, args, fragment):
    assert fragment in _error_line(cli("damage-class", *args))


def test_cli_help(cli):
    for args in (["--help"], ["list", "--help"], ["show", "--help"], ["damage-class", "--help"]):
        result = cli(*args)
        assert result.exit_code == 0 and "Usage" in result.output
