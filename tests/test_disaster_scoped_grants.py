"""A grant limited to one disaster acts on that disaster only: never on another disaster, never on a
municipality-wide action, in the pages, the JSON API and downloads alike (the one check of
RequestContext). Before: a municipality_admin granted only 2026-01 renamed 2026-02 and changed its
damage rules through the HTML forms, created a disaster through the API, opened the import and
issuer admin pages; a staff grant limited to 2026-01 fetched a survey photo of 2026-02."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import TEST_PASSWORD, make_municipality, make_user
from sqlalchemy import select

from core.accounts import User
from ledgers.disasters.models import Disaster
from ledgers.disasters.services import DisasterInput, add_disaster
from ledgers.registry.models import Dwelling
from ledgers.surveys import services as surveys
from tests.factories import load_register
from tests.webclient import csrf_of, login
from tests.webclient import select as choose
from victim_support.accounts import services as accounts


@pytest.fixture
def scoped(db, tmp_path, monkeypatch):
    monkeypatch.setenv("VS_PHOTO_DIR", str(tmp_path / "photos"))
    municipality = make_municipality(db, "限定市")
    first, second = (
        add_disaster(
            db,
            municipality.id,
            DisasterInput(name=name, kind="earthquake", occurred_on=date(2026, 11, 1), number=number),
        )
        for number, name in (("2026-01", "第一地震"), ("2026-02", "第二豪雨"))
    )
    db.commit()
    load_register(db, municipality.id, 20, seed=3)
    dwelling = db.execute(select(Dwelling).where(Dwelling.municipality_id == municipality.id)).scalars().first()
    survey = surveys.record_survey(
        db, second, dwelling, surveys.SurveyInput(surveyed_on=date(2026, 11, 3), ratio="30"), None
    )
    photo = surveys.add_photo(
        db,
        survey,
        "外観.png",
        b"\x89PNG\r\n\x1a\n" + b"1" * 64,
        "image/png",
        tmp_path / "photos",
        municipality.code,
        second.number,
    )
    db.commit()
    admin = make_user(db, municipality, "municipality_admin", disaster_id=first.id)
    staff = make_user(db, municipality, "staff", disaster_id=first.id)
    return dict(m=municipality, first=first, second=second, admin=admin, staff=staff, photo=photo)


def _enter(client, user: User, s) -> None:
    assert login(client, user.username, TEST_PASSWORD).status_code == 302
    assert choose(client, s["m"].code, s["first"].number).status_code in (302, 303)


def _post(client, form_url: str, action: str, data: dict) -> int:
    page = client.get(form_url)
    token = csrf_of(page.text) if page.status_code == 200 else csrf_of(client.get("/").text)
    return client.post(action, data={**data, "_csrf": token}, follow_redirects=False).status_code


def test_a_disaster_scoped_admin_acts_on_its_disaster_only(client, db, scoped):
    s = scoped
    _enter(client, s["admin"], s)
    # its own disaster: allowed
    assert client.get("/disasters/2026-01/edit").status_code == 200
    # another disaster: refused, in the form and in the post
    assert client.get("/disasters/2026-02/edit").status_code == 403
    rename = {"name": "書き換え", "kind": "flood", "occurred_on": "2026-11-01", "version": str(s["second"].version)}
    assert _post(client, "/disasters/2026-01/edit", "/disasters/2026-02/edit", rename) == 403
    assert (
        _post(
            client,
            "/disasters/2026-01/edit",
            "/disasters/2026-02/damage-rules",
            {"damage_rules_override": "ratio-2004", "version": str(s["second"].version)},
        )
        == 403
    )
    db.rollback()
    second = db.get(Disaster, s["second"].id)
    assert second.name == "第二豪雨" and second.damage_rules_override == ""
    # municipality-wide actions: refused for a grant limited to one disaster
    assert client.get("/disasters/new").status_code == 403
    assert (
        _post(
            client,
            "/disasters/2026-01/edit",
            "/disasters",
            {"name": "新しい災害", "kind": "flood", "occurred_on": "2026-11-02"},
        )
        == 403
    )
    assert client.get("/admin/imports/").status_code == 403
    assert client.get("/admin/issuer").status_code == 403
    assert len(db.execute(select(Disaster).where(Disaster.municipality_id == s["m"].id)).scalars().all()) == 2


def test_the_api_refuses_a_municipality_wide_action_to_a_scoped_grant(client, db, scoped):
    s = scoped
    raw, _ = accounts.create_api_token(db, s["admin"], label="probe")
    db.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    base = f"/api/v1/municipalities/{s['m'].code}"
    created = client.post(
        f"{base}/disasters", json={"name": "API災害", "kind": "flood", "occurred_on": "2026-11-02"}, headers=headers
    )
    assert created.status_code == 403
    listed = client.get(f"{base}/disasters", headers=headers)
    assert listed.status_code == 200 and [d["number"] for d in listed.json()] == ["2026-01"]
    assert client.get(f"{base}/disasters/2026-02", headers=headers).status_code in (403, 404)
    assert client.put(
        f"{base}/disasters/2026-02/damage-rules",
        json={"damage_rules_override": "ratio-2004", "version": s["second"].version},
        headers=headers,
    ).status_code in (403, 404)


def test_a_scoped_staff_cannot_download_a_photo_of_another_disaster(client, db, scoped):
    s = scoped
    _enter(client, s["staff"], s)
    response = client.get(f"/surveys/photos/{s['photo'].id}")
    assert response.status_code == 403 and not response.content.startswith(b"\x89PNG")
