"""importers.synthetic: files in the preset layouts that read back to the generated town."""

import io
from collections import Counter

import pytest

from core.addresses import normalize_address
from core.text import contains_gaiji
from importers.layout import load_preset
from importers.pipeline import read_rows
from importers.synthetic import (
    INVALID_KINDS,
    write_address_registry,
    write_dwellings,
    write_land,
    write_residents,
    write_tax,
)
from importers.synthetic_city import generate_city


@pytest.fixture(scope="module")
def city():
    return generate_city(1500, seed=4, with_gaiji=True)


@pytest.mark.parametrize(("fixed", "encoding"), [(False, None), (True, None), (False, "utf-8-sig")])
def test_residents_read_back(city, tmp_path, fixed, encoding):
    path = tmp_path / "residents"
    written = write_residents(path, city, fixed=fixed, encoding=encoding, n_invalid=6)
    assert written.rows == len(city.residents)
    assert sorted(Counter(written.invalid.values()).values()) == [2, 2, 2] and set(written.invalid.values()) == set(
        INVALID_KINDS
    )
    layout = load_preset("chukan-residents-fixed" if fixed else "chukan-residents")
    if encoding:
        from dataclasses import replace

        layout = replace(layout, encoding="auto")
    rows = list(read_rows(path, layout))
    assert len(rows) == len(city.residents)
    # exactly the spoilt lines are invalid, each for the intended reason
    expected_code = {"check_digit": "check_digit", "bad_date": "bad_date", "missing_name": "missing"}
    invalid = {r.line_no: [i.code for i in r.issues if i.severity == "error"] for r in rows if not r.ok}
    assert invalid == {line: [expected_code[kind]] for line, kind in written.invalid.items()}
    by_atena = {r["atena_no"]: r for r in city.residents}
    katagaki = {h["household_no"]: h["katagaki"] for h in city.households}
    gaiji_rows = 0
    for row in rows:
        if not row.ok:
            continue
        v = row.values
        person = by_atena[v["atena_no"]]
        assert v["name"] == person["name"]
        assert v["kana_key"] == person["name_kana"].replace("\u3000", "")
        assert v["birth_date"] == person["birth_date"]
        assert v["birth_date_unknown"] == person["birth_date_unknown"]
        if person["birth_date_unknown"] and not fixed:
            assert v["birth_date_raw"] == person["birth_date_raw"]
        assert (v["sex"], v["relationship"], v["is_householder"]) == (
            person["sex"],
            person["relationship"],
            person["is_householder"],
        )
        room = katagaki[person["household_no"]]
        assert v["address"] == (f"{person['address']}\u3000{room}" if room else person["address"])
        assert (v["postal_code"], v["address_code"], v["status"]) == (
            person["postal_code"],
            person["address_code"],
            "resident",
        )
        assert v["phone"] == person["phone"]
        assert v["extra"] == {"住民種別": "1"}
        if contains_gaiji(person["name"]):
            gaiji_rows += 1
            assert v["has_gaiji"] and [i.code for i in row.issues] == ["unmapped_gaiji"]
        else:
            assert row.issues == []
    assert gaiji_rows > 0


def test_residents_to_a_stream(city):
    stream = io.BytesIO()
    written = write_residents(stream, city)
    assert not stream.closed and written.encoding == "cp932"
    stream.seek(0)
    assert stream.read(8).decode("cp932") == "宛名番号"


def test_dwellings_land_tax_read_back(city, tmp_path):
    for writer, preset, count in (
        (write_dwellings, "chukan-dwellings", len(city.dwellings)),
        (write_land, "chukan-land", None),
        (write_tax, "chukan-tax", None),
    ):
        path = tmp_path / f"{preset}.csv"
        written = writer(path, city)
        rows = list(read_rows(path, load_preset(preset)))
        assert len(rows) == written.rows and (count is None or written.rows == count)
        assert all(r.ok for r in rows), [r.issues for r in rows if not r.ok][:3]
        if preset == "chukan-dwellings":
            owners = {r.values["owner_atena_no"] for r in rows} - {None}
            assert owners <= {p["atena_no"] for p in city.residents}
            assert any(r.values["co_owner_atena_nos"] for r in rows)
            by_house = {d["house_no"]: d for d in city.dwellings}
            for r in rows:
                d = by_house[r.values["house_no"]]
                assert (r.values["lon"], r.values["lat"], r.values["floors"]) == (d["lon"], d["lat"], d["floors"])
                assert r.values["built_on"].year == d["built_year"]
        if preset == "chukan-tax":
            assert {r.values["fiscal_year"] for r in rows} == {city.as_of.year}
            assert {r.values["taxable"] for r in rows} == {True, False}


def test_address_registry_matches_every_dwelling(city, tmp_path):
    files = write_address_registry(tmp_path / "gaiku.csv", tmp_path / "oaza.csv", city)
    reader = read_rows(tmp_path / "gaiku.csv", load_preset("isj-gaiku"))
    blocks = {r.values["match_key"]: (r.values["lat"], r.values["lon"]) for r in reader}
    assert reader.skipped == files["gaiku"].skipped_rows > 0  # stale 更新前履歴フラグ=3 rows are skipped
    assert len(blocks) == files["gaiku"].rows - files["gaiku"].skipped_rows  # no duplicate key left
    towns = {r.values["match_key"] for r in read_rows(tmp_path / "oaza.csv", load_preset("isj-oaza"))}
    for d in city.dwellings:
        parts = normalize_address(d["location"])
        lat, lon = blocks[parts.match_key("block")]
        assert abs(lat - d["lat"]) < 0.01 and abs(lon - d["lon"]) < 0.01
        assert parts.match_key("town") in towns
    for h in city.households:
        assert normalize_address(h["address"]).match_key("block") in blocks
