"""Tests for importers.synthetic_city (synthetic register of the fictional 見本市)."""

import re
import time
from collections import Counter, defaultdict
from datetime import date

import pytest

from core.addresses import address_key
from core.codes import is_valid_mod11, is_valid_municipality_code
from core.text import contains_gaiji, looks_like_kana
from core.wareki import to_wareki
from importers.synthetic_city import (
    CITY_NAME,
    FEMALE_NAMES,
    MALE_NAMES,
    MUNICIPALITY_CODE,
    SURNAMES,
    CityData,
    generate_city,
)

RESIDENT_KEYS = {
    "atena_no",
    "household_no",
    "name",
    "name_kana",
    "birth_date",
    "birth_date_raw",
    "birth_date_unknown",
    "sex",
    "relationship",
    "is_householder",
    "address",
    "address_code",
    "postal_code",
    "phone",
    "status",
}
ADDRESS_RE = re.compile(r"^見本市[^\d]+?(?:[一二三四五六七八九十]+丁目)?\d+番\d+号$")


@pytest.fixture(scope="module")
def city() -> CityData:
    return generate_city(3000, seed=1)


def test_exact_count_and_types(city):
    assert isinstance(city, CityData)
    assert len(city.residents) == 3000
    assert city.households and city.dwellings
    assert sum(h["size"] for h in city.households) == 3000


def test_resident_keys_exact(city):
    for r in city.residents:
        assert set(r) == RESIDENT_KEYS


def test_fast_enough():
    t = time.perf_counter()
    generate_city(3000, seed=7)
    assert time.perf_counter() - t < 0.5


def test_deterministic():
    a, b = generate_city(500, seed=3), generate_city(500, seed=3)
    assert a.residents == b.residents
    assert a.households == b.households
    assert a.dwellings == b.dwellings
    c = generate_city(500, seed=4)
    assert [r["name"] for r in a.residents] != [r["name"] for r in c.residents]


def test_zero_and_negative():
    assert generate_city(0).residents == []
    with pytest.raises(ValueError):
        generate_city(-1)


def test_identifiers(city):
    atena = [r["atena_no"] for r in city.residents]
    assert len(set(atena)) == len(atena)
    for a in atena:
        assert len(a) == 10 and is_valid_mod11(a)
    hh_nos = [h["household_no"] for h in city.households]
    assert len(set(hh_nos)) == len(hh_nos)
    for h in hh_nos:
        assert len(h) == 8 and is_valid_mod11(h)
    assert is_valid_municipality_code(MUNICIPALITY_CODE)
    assert MUNICIPALITY_CODE.startswith("99")  # prefecture 99 does not exist
    for r in city.residents:
        assert len(r["address_code"]) == 11 and r["address_code"].isdigit()
        assert r["address_code"].startswith(MUNICIPALITY_CODE[:5])
        assert re.fullmatch(r"999-00\d\d", r["postal_code"])
        assert r["phone"] is None or re.fullmatch(r"099-0\d\d-\d{4}", r["phone"])
        assert r["status"] == "resident"


def test_households_consistent_with_residents(city):
    by_hh = defaultdict(list)
    for r in city.residents:
        by_hh[r["household_no"]].append(r)
    assert set(by_hh) == {h["household_no"] for h in city.households}
    for h in city.households:
        members = by_hh[h["household_no"]]
        assert len(members) == h["size"]
        heads = [m for m in members if m["is_householder"]]
        assert len(heads) == 1
        assert heads[0]["relationship"] == "世帯主"
        assert heads[0]["atena_no"] == h["householder_atena_no"]
        assert heads[0]["name"] == h["householder_name"]
        assert all(m["relationship"] != "世帯主" for m in members if not m["is_householder"])
        assert {m["address"] for m in members} == {h["address"]}
        assert {m["postal_code"] for m in members} == {h["postal_code"]}
        assert h["address"].startswith(CITY_NAME + h["town"])
        assert h["address"].endswith(f"{h['block']}番{h['lot']}号")


def test_household_size_distribution(city):
    sizes = Counter(h["size"] for h in city.households)
    assert set(sizes) <= set(range(1, 7))
    single_share = sizes[1] / len(city.households)
    assert 0.28 <= single_share <= 0.42
    assert sizes[6] > 0


def test_names_and_kana(city):
    surnames = {s for s, _ in SURNAMES}
    for r in city.residents:
        sur, given = r["name"].split("\u3000")
        assert sur in surnames
        kana_sur, kana_given = r["name_kana"].split("\u3000")
        assert looks_like_kana(r["name_kana"])
        assert all("\u30a1" <= c <= "\u30fc" for c in kana_sur + kana_given)  # full-width katakana
        assert not contains_gaiji(r["name"])  # gaiji only when requested
        table = MALE_NAMES if r["sex"] == "male" else FEMALE_NAMES
        assert any((given, kana_given) in gen for gen in table)
    # family members share the household surname (except 同居人)
    by_hh = defaultdict(set)
    for r in city.residents:
        if r["relationship"] != "同居人":
            by_hh[r["household_no"]].add(r["name"].split("\u3000")[0])
    assert all(len(s) == 1 for s in by_hh.values())


def test_name_lists_size():
    assert len(SURNAMES) >= 100
    assert sum(len(g) for g in MALE_NAMES) >= 100
    assert sum(len(g) for g in FEMALE_NAMES) >= 100


def test_birth_dates(city):
    as_of = city.as_of
    for r in city.residents:
        assert r["sex"] in ("male", "female")
        if r["birth_date_unknown"]:
            assert r["birth_date"] is None
            assert "不詳" in r["birth_date_raw"] or r["birth_date_raw"].endswith("頃")
        else:
            d = r["birth_date"]
            assert isinstance(d, date) and d <= as_of
            assert as_of.year - d.year <= 101
            assert r["birth_date_raw"] == to_wareki(d)


def test_unknown_birth_dates_are_rare():
    big = generate_city(20000, seed=2)
    n = sum(r["birth_date_unknown"] for r in big.residents)
    assert 10 <= n <= 100  # ~0.2%


def _born(r):
    return r["birth_date"]


def test_generations_are_ordered(city):
    by_hh = defaultdict(list)
    for r in city.residents:
        by_hh[r["household_no"]].append(r)
    checked = 0
    for members in by_hh.values():
        rel = defaultdict(list)
        for m in members:
            if m["birth_date"] is not None:
                rel[m["relationship"]].append(m)
        parents = rel["世帯主"] + rel["妻"] + rel["夫"]
        for child in rel["子"]:
            for p in parents:
                assert _born(child) > _born(p), (child, p)
                checked += 1
        for elder in rel["父"] + rel["母"]:
            for head in rel["世帯主"]:
                assert _born(elder) < _born(head)
        for grandchild in rel["子の子"]:
            for p in rel["子"] + rel["子の妻"] + rel["子の夫"]:
                assert _born(grandchild) > _born(p)
    assert checked > 500


def test_spouse_pairs_have_opposite_relationship_words(city):
    heads = {r["household_no"]: r for r in city.residents if r["is_householder"]}
    for r in city.residents:
        if r["relationship"] == "妻":
            assert r["sex"] == "female" and heads[r["household_no"]]["sex"] == "male"
        if r["relationship"] == "夫":
            assert r["sex"] == "male" and heads[r["household_no"]]["sex"] == "female"


def test_addresses(city):
    for r in city.residents:
        assert ADDRESS_RE.match(r["address"]), r["address"]
    # typed variants of a generated address match via address_key
    addr = city.households[0]["address"]
    typed = addr.replace("番", "-").replace("号", "")
    assert address_key(typed) == address_key(addr)


def test_dwellings(city):
    house_nos = [d["house_no"] for d in city.dwellings]
    assert len(set(house_nos)) == len(house_nos)
    hh_by_no = {h["household_no"]: h for h in city.households}
    atena = {r["atena_no"] for r in city.residents}
    owned_by_resident_householder = 0
    for d in city.dwellings:
        assert re.fullmatch(r"\d+-\d+", d["house_no"])
        assert d["structure"] in ("木造", "鉄骨造", "鉄筋コンクリート造")
        assert 1 <= d["floors"] <= 12
        assert isinstance(d["floor_area"], float) and d["floor_area"] > 20
        assert 1950 <= d["built_year"] < city.as_of.year
        assert 139.4 < d["lon"] < 139.6 and 35.4 < d["lat"] < 35.6
        assert d["household_nos"]
        for no in d["household_nos"]:
            assert hh_by_no[no]["house_no"] == d["house_no"]
            assert hh_by_no[no]["address"] == d["location"]
        if d["owner_atena_no"] is not None:
            assert d["owner_atena_no"] in atena
            if d["owner_atena_no"] in {hh_by_no[n]["householder_atena_no"] for n in d["household_nos"]}:
                owned_by_resident_householder += 1
    assert owned_by_resident_householder / len(city.dwellings) > 0.6
    # every household lives in exactly one listed dwelling
    assert sum(len(d["household_nos"]) for d in city.dwellings) == len(city.households)


def test_apartments_have_rooms(city):
    apartments = [d for d in city.dwellings if len(d["household_nos"]) > 1]
    assert apartments
    hh_by_no = {h["household_no"]: h for h in city.households}
    for d in apartments:
        rooms = [hh_by_no[n]["katagaki"] for n in d["household_nos"]]
        assert all(r and r.endswith("号室") for r in rooms)
        assert len(set(rooms)) == len(rooms)


def test_gaiji_option():
    plain = generate_city(5000, seed=5)
    gaiji = generate_city(5000, seed=5, with_gaiji=True)
    with_pua = [r for r in gaiji.residents if contains_gaiji(r["name"])]
    share = len(with_pua) / len(gaiji.residents)
    assert 0.005 <= share <= 0.05
    for r in with_pua:
        assert all(not ("\uf8ff" >= c >= "\ue000") or c <= "\ue0ff" for c in r["name"])
    # only names differ; everything else is identical
    assert len(plain.residents) == len(gaiji.residents)
    diff = 0
    for a, b in zip(plain.residents, gaiji.residents):
        assert {k: v for k, v in a.items() if k != "name"} == {k: v for k, v in b.items() if k != "name"}
        if a["name"] != b["name"]:
            diff += 1
            assert contains_gaiji(b["name"]) and len(a["name"]) == len(b["name"])
    assert diff == len(with_pua)
