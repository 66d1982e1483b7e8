"""A list request costs a fixed number of SQL statements however many rows it returns (no query per
row), on SQLite and PostgreSQL, with 500 rows of each list: households with two members each,
disasters, surveys with a photo each, the survey plan, and certificates (half of them re-issued, so
every row names the certificate it supersedes or is superseded by).

The statements of one request are counted with a before_cursor_execute listener on the app's engine.
Before the lists were made set-based, the disaster, survey and certificate lists of the API ran one
or two queries per row (about 510 statements for 500 rows); the household list, the survey plan and
the list pages already ran a fixed number and are kept here so they stay that way."""

from __future__ import annotations

import contextlib
from datetime import date

import pytest
from sqlalchemy import bindparam, event, insert, select, update

from core.text import name_key
from ledgers.certificates.models import Certificate
from ledgers.disasters.models import Disaster
from ledgers.households.models import VictimHousehold, VictimMember
from ledgers.registry.models import Dwelling
from ledgers.surveys.models import Survey, SurveyPhoto, SurveyPlanItem
from tests.conftest import TEST_PASSWORD, make_municipality, make_user
from tests.factories import make_disaster
from tests.webclient import login
from tests.webclient import select as choose
from victim_support.accounts.services import create_api_token

ROWS = 500
# Signing in and scoping the request (session or token, grants, municipality, disaster; BEGIN on
# SQLite) take up to 8 statements, the list itself 1 to 3: never one per row.
MAX_STATEMENTS = 10


@contextlib.contextmanager
def counted(engine):
    """The SQL statements the engine executes inside the block."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def bulk(db, model, rows: list[dict]) -> None:
    """One multi-row INSERT (model defaults such as empty JSON lists filled in)."""
    db.execute(insert(model), [model(**row).model_dump(exclude={"id"}) for row in rows])


def _ids(db, model, **where) -> list[int]:
    query = select(model.id).order_by(model.id)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return list(db.execute(query).scalars())


@pytest.fixture
def big_town(db):
    """A municipality with a disaster of ROWS households (two members each), ROWS dwellings with a
    current survey, a photo and a place in the survey plan each, ROWS certificates (ROWS/2 issued, then
    re-issued) and ROWS further disasters, inserted in bulk."""
    municipality = make_municipality(db, "大量市")
    disaster = make_disaster(db, municipality.id, number="2026-01", name="大量地震")
    m, d = municipality.id, disaster.id
    bulk(
        db,
        VictimHousehold,
        [
            {
                "municipality_id": m,
                "disaster_id": d,
                "victim_no": n,
                "head_name": f"被災 {n}郎",
                "head_kana": "ヒサイ",
                "address": f"大量市本町{n}番",
                "basic_snapshot": {},
            }
            for n in range(1, ROWS + 1)
        ],
    )
    households = _ids(db, VictimHousehold, disaster_id=d)
    bulk(
        db,
        VictimMember,
        [
            {
                "household_id": h,
                "municipality_id": m,
                "name": f"被災 {h}-{i}",
                "name_key": name_key(f"被災 {h}-{i}"),
                "is_householder": i == 0,
                "sort_order": i,
                "basic_snapshot": {},
            }
            for h in households
            for i in range(2)
        ],
    )
    bulk(
        db,
        Dwelling,
        [
            {"municipality_id": m, "house_no": f"{n:05d}", "location": f"大量市本町{n}番", "structure": "木造"}
            for n in range(1, ROWS + 1)
        ],
    )
    dwellings = _ids(db, Dwelling, municipality_id=m)
    bulk(
        db,
        Survey,
        [
            {
                "municipality_id": m,
                "disaster_id": d,
                "dwelling_id": w,
                "kind": "first",
                "surveyed_on": date(2026, 11, 3),
                "basis": "ratio",
                "inputs": {"ratio": "25"},
                "damage_class": "half",
                "damage_label": "半壊",
                "rule_version": "ratio-2021",
                "judgement": {},
            }
            for w in dwellings
        ],
    )
    bulk(
        db,
        SurveyPlanItem,
        [
            {"municipality_id": m, "disaster_id": d, "dwelling_id": w, "town": "本町", "team": "第1班"}
            for w in dwellings
        ],
    )
    surveys = _ids(db, Survey, disaster_id=d)
    bulk(
        db,
        SurveyPhoto,
        [
            {
                "municipality_id": m,
                "survey_id": s,
                "file_name": "p.jpg",
                "stored_path": f"x/{s}.jpg",
                "size": 1,
                "sha256": "0" * 64,
            }
            for s in surveys
        ],
    )
    half = ROWS // 2

    def certificate(number: int, household: int, **values) -> dict:
        return {
            "municipality_id": m,
            "disaster_id": d,
            "household_id": household,
            "number": number,
            "head_name": f"世帯主 {number}",
            "issued_on": date(2026, 11, 10),
            "damage_class": "half",
            "damage_label": "半壊",
            **values,
        }

    bulk(db, Certificate, [certificate(n, households[n - 1], status="superseded") for n in range(1, half + 1)])
    originals = _ids(db, Certificate, disaster_id=d)
    bulk(
        db,
        Certificate,
        [certificate(half + n, households[n - 1], supersedes_id=originals[n - 1]) for n in range(1, half + 1)],
    )
    reissues = _ids(db, Certificate, disaster_id=d)[half:]
    db.execute(
        update(Certificate.__table__)
        .where(Certificate.__table__.c.id == bindparam("original"))
        .values(superseded_by_id=bindparam("reissue")),
        [{"original": o, "reissue": r} for o, r in zip(originals, reissues, strict=True)],
    )
    db.execute(update(Disaster).where(Disaster.id == d).values(last_victim_no=ROWS, last_certificate_no=ROWS))
    bulk(
        db,
        Disaster,
        [
            {
                "municipality_id": m,
                "number": f"2025-{n:03d}",
                "name": f"過去の災害{n}",
                "kind": "flood",
                "occurred_on": date(2025, 1, 1),
            }
            for n in range(1, ROWS)
        ],
    )
    db.commit()
    user = make_user(db, municipality, "staff")
    raw, _ = create_api_token(db, user)
    db.commit()
    return dict(
        m=municipality,
        d=disaster,
        user=user,
        headers={"Authorization": f"Bearer {raw}"},
        api=f"/api/v1/municipalities/{municipality.code}",
    )


API_LISTS = {
    "disasters": "/disasters",
    "households": "/disasters/2026-01/households",
    "surveys": "/disasters/2026-01/surveys",
    "certificates": "/disasters/2026-01/certificates",
    "survey-plan": "/disasters/2026-01/survey-plan",
}


@pytest.mark.parametrize("name", API_LISTS)
def test_api_list_costs_a_fixed_number_of_statements(client, engine, big_town, name):
    # Once before counting: the token's last use is written at most every five minutes.
    assert client.get(big_town["api"] + "/disasters/2026-01", headers=big_town["headers"]).status_code == 200
    with counted(engine) as statements:
        response = client.get(big_town["api"] + API_LISTS[name], params={"limit": ROWS}, headers=big_town["headers"])
    assert response.status_code == 200, response.text
    body = response.json()
    assert len(body) == ROWS
    if name == "disasters":
        assert {d["number"]: d["households"] for d in body}["2026-01"] == ROWS
    if name == "surveys":
        assert all(s["photos"] == 1 for s in body)
    if name == "certificates":
        assert all((c["supersedes"] is None) != (c["superseded_by"] is None) for c in body)
        assert body[0]["superseded_by"] == ROWS // 2 + 1 and body[-1]["supersedes"] == ROWS // 2
    assert len(statements) <= MAX_STATEMENTS, f"{name}: {len(statements)} statements for {ROWS} rows"


PAGES = {  # name: (path, a text of the listed rows)
    "households": ("/households", "被災 200郎"),  # the first 200
    "certificates": ("/certificates", "世帯主 500"),
    "surveys": ("/surveys", "大量市本町500番"),
    "counter": ("/counter?q=被災", "被災 30郎"),  # the first 30 (by member name)
    "disasters": ("/disasters", "過去の災害499"),
}


@pytest.mark.parametrize("name", PAGES)
def test_list_page_costs_a_fixed_number_of_statements(client, engine, big_town, name):
    assert login(client, big_town["user"].username, TEST_PASSWORD).status_code == 302
    assert choose(client, big_town["m"].code, "2026-01").status_code == 302
    path, listed = PAGES[name]
    with counted(engine) as statements:
        response = client.get(path)
    assert response.status_code == 200, response.text
    assert listed in response.text
    assert len(statements) <= MAX_STATEMENTS, f"{name}: {len(statements)} statements"
