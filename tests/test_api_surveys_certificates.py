"""JSON API of issue 4 beyond single surveys and certificates: the survey plan (list, progress,
build, add, team assignment), bulk application and issuance, the damage rules of a disaster,
and several photos in one survey form; on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from litestar.testing import TestClient
from sqlalchemy import func, select

from core.audit import AuditEntry
from core.clock import today_jst
from ledgers.certificates.models import Certificate, CertificateApplication
from ledgers.disasters.services import set_damage_rules_override
from ledgers.registry.models import Dwelling
from ledgers.surveys import services as surveys
from ledgers.surveys.models import Survey, SurveyPhoto, SurveyPlanItem
from tests.conftest import TEST_PASSWORD, make_municipality, make_user
from tests.factories import make_disaster, make_household, register_town
from tests.webclient import csrf_of, login
from tests.webclient import select as choose
from victim_support.accounts.services import create_api_token

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


def _token(db, user) -> dict[str, str]:
    raw, _ = create_api_token(db, user)
    db.commit()
    return {"Authorization": f"Bearer {raw}"}


@pytest.fixture
def town(db):
    """A municipality with a register, a disaster whose households are registered from it, and
    API tokens of a staff member, a surveyor and a viewer."""
    municipality = make_municipality(db, "見本市")
    disaster = make_disaster(db, municipality.id, number="2026-01", name="令和8年見本地震")
    city, registered, dwellings = register_town(db, municipality.id, disaster)
    staff, surveyor, viewer = (make_user(db, municipality, role) for role in ("staff", "surveyor", "viewer"))
    db.commit()
    return dict(
        m=municipality,
        d=disaster,
        city=city,
        households=registered,
        dwellings=dwellings,
        staff=staff,
        viewer=viewer,
        base=f"/api/v1/municipalities/{municipality.code}/disasters/{disaster.number}",
        h_staff=_token(db, staff),
        h_surveyor=_token(db, surveyor),
        h_viewer=_token(db, viewer),
    )


@pytest.fixture
def other(db):
    """Another municipality: a disaster, a dwelling of its own 家屋番号 in its survey plan, a
    household, and a staff member's token."""
    municipality = make_municipality(db, "別市")
    disaster = make_disaster(db, municipality.id, number="2026-09", name="別市水害")
    dwelling = Dwelling(
        municipality_id=municipality.id, house_no="別-1", location="別市川町一丁目1番", structure="木造"
    )
    db.add(dwelling)
    db.commit()
    item = surveys.add_to_plan(db, disaster, "別-1")
    make_household(db, disaster)
    db.commit()
    staff = make_user(db, municipality, "staff")
    return dict(m=municipality, d=disaster, dwelling=dwelling, item=item, h_staff=_token(db, staff))


def _problem(response, status: int, field: str | None = None) -> dict:
    """A problem-details answer with a Japanese message (naming the field when given)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert JAPANESE.search(body["detail"]), body
    if field is not None:
        assert body.get("field") == field or field in body["detail"], body
    return body


def _audit(db, municipality, action: str) -> list[dict]:
    db.rollback()
    rows = db.execute(
        select(AuditEntry.detail)
        .where(AuditEntry.acting_municipality == municipality.code, AuditEntry.action == action)
        .order_by(AuditEntry.seq)
    ).scalars()
    return [json.loads(d) if d else {} for d in rows]


def _survey(client, t, house_no: str, ratio: str, kind: str = "first") -> dict:
    response = client.post(
        f"{t['base']}/surveys",
        headers=t["h_staff"],
        json={"house_no": house_no, "kind": kind, "surveyed_on": "2026-11-03", "ratio": ratio},
    )
    assert response.status_code == 201, response.text
    return response.json()


# ---------------------------------------------------------------- disasters: damage rules


def test_disaster_out_has_rule_override_and_effective_versions(client, db, town, other):
    t = town
    url = f"/api/v1/municipalities/{t['m'].code}/disasters/{t['d'].number}"
    body = client.get(url, headers=t["h_viewer"]).json()
    assert body["damage_rules_override"] == ""
    assert body["damage_rules"] == {"ratio": "ratio-2021", "flood": "flood-2022-naisui"}
    db.rollback()
    set_damage_rules_override(db, t["d"], "ratio-2020", t["d"].version)
    db.commit()
    body = client.get(url, headers=t["h_viewer"]).json()
    assert body["damage_rules_override"] == "ratio-2020"
    assert body["damage_rules"] == {"ratio": "ratio-2020", "flood": "flood-2022-naisui"}  # flood still by date
    listed = client.get(f"/api/v1/municipalities/{t['m'].code}/disasters", headers=t["h_viewer"]).json()
    assert [(d["number"], d["damage_rules"]["ratio"]) for d in listed] == [(t["d"].number, "ratio-2020")]
    # a survey recorded now is judged by the version the API announced
    assert _survey(client, t, next(iter(t["dwellings"])), "35")["rule_version"] == "ratio-2020"
    assert "damage_rules_override" in client.get("/schema/openapi.json").text
    # another municipality's staff: refused; this municipality's path with the other's disaster: not found
    _problem(client.get(url, headers=other["h_staff"]), 403)
    _problem(
        client.get(f"/api/v1/municipalities/{t['m'].code}/disasters/{other['d'].number}", headers=t["h_staff"]), 404
    )


def test_an_admin_sets_the_rule_override_over_the_api(client, db, town):
    t = town
    url = f"/api/v1/municipalities/{t['m'].code}/disasters/{t['d'].number}"
    admin = make_user(db, t["m"], "municipality_admin")
    h_admin = _token(db, admin)
    version = client.get(url, headers=h_admin).json()["version"]
    body = {"damage_rules_override": "ratio-2020", "version": version}
    _problem(client.put(f"{url}/damage-rules", headers=t["h_staff"], json=body), 403)  # staff may not
    changed = client.put(f"{url}/damage-rules", headers=h_admin, json=body)
    assert changed.status_code == 200, changed.text
    assert changed.json()["damage_rules"]["ratio"] == "ratio-2020" and changed.json()["version"] == version + 1
    assert _audit(db, t["m"], "disaster.damage_rules") == [{"before": "", "after": "ratio-2020"}]
    assert _survey(client, t, next(iter(t["dwellings"])), "35")["rule_version"] == "ratio-2020"
    # a stale version, an unknown rule set, two of one kind: refused with the reason, nothing changed
    _problem(client.put(f"{url}/damage-rules", headers=h_admin, json=body), 409)
    _problem(
        client.put(
            f"{url}/damage-rules", headers=h_admin, json={"damage_rules_override": "ratio-1999", "version": version + 1}
        ),
        400,
        "damage_rules_override",
    )
    _problem(
        client.put(
            f"{url}/damage-rules",
            headers=h_admin,
            json={"damage_rules_override": "ratio-2020,ratio-2021", "version": version + 1},
        ),
        400,
        "damage_rules_override",
    )
    back = client.put(
        f"{url}/damage-rules", headers=h_admin, json={"damage_rules_override": "", "version": version + 1}
    )
    assert back.json()["damage_rules_override"] == "" and back.json()["damage_rules"]["ratio"] == "ratio-2021"


# ---------------------------------------------------------------- survey plan


def test_survey_plan_build_list_assign_and_progress(client, db, town):
    t = town
    n = len(t["city"].dwellings)
    built = client.post(f"{t['base']}/survey-plan/build", headers=t["h_surveyor"])
    assert built.status_code == 200, built.text
    assert built.json() == {"added": n, "planned": n}
    assert client.post(f"{t['base']}/survey-plan/build", headers=t["h_surveyor"]).json() == {"added": 0, "planned": n}
    plan = client.get(f"{t['base']}/survey-plan", headers=t["h_viewer"]).json()
    assert len(plan) == n and {p["house_no"] for p in plan} == set(t["dwellings"])
    assert all(p["team"] == "" and p["surveyed"] is False and p["damage_class"] is None and p["town"] for p in plan)
    assert [p["town"] for p in plan] == sorted(p["town"] for p in plan)
    # paging
    pages = [
        client.get(f"{t['base']}/survey-plan", params={"limit": 5, "offset": o}, headers=t["h_viewer"]).json()
        for o in (0, 5)
    ]
    assert [p["house_no"] for p in pages[0] + pages[1]] == [p["house_no"] for p in plan[:10]]
    # a survey, then three dwellings (one of them the surveyed one) to 第1班
    chosen = [p["house_no"] for p in plan[:3]]
    survey = _survey(client, t, chosen[0], "25")
    assigned = client.post(
        f"{t['base']}/survey-plan/assign", json={"house_nos": chosen, "team": " 第1班 "}, headers=t["h_surveyor"]
    )
    assert assigned.status_code == 200, assigned.text
    body = assigned.json()
    assert (body["team"], body["assigned"]) == ("第1班", 3)
    assert [i["house_no"] for i in body["items"]] == chosen and all(i["team"] == "第1班" for i in body["items"])
    assert (
        body["items"][0]["surveyed"]
        and body["items"][0]["survey_id"] == survey["id"]
        and body["items"][0]["damage_class"] == "half"
    )
    team = client.get(f"{t['base']}/survey-plan", params={"team": "第1班"}, headers=t["h_viewer"]).json()
    assert sorted(p["house_no"] for p in team) == sorted(chosen)
    unassigned = client.get(f"{t['base']}/survey-plan", params={"team": ""}, headers=t["h_viewer"]).json()
    assert len(unassigned) == n - 3 and not set(chosen) & {p["house_no"] for p in unassigned}
    pending = client.get(
        f"{t['base']}/survey-plan", params={"team": "第1班", "pending": "true"}, headers=t["h_viewer"]
    ).json()
    assert sorted(p["house_no"] for p in pending) == sorted(chosen[1:])
    town_name = plan[0]["town"]
    in_town = client.get(f"{t['base']}/survey-plan", params={"town": town_name}, headers=t["h_viewer"]).json()
    assert in_town and {p["town"] for p in in_town} == {town_name}
    # progress per team and per 町丁目
    progress = client.get(f"{t['base']}/survey-plan/progress", headers=t["h_viewer"]).json()
    assert (progress["planned"], progress["surveyed"], progress["pending"]) == (n, 1, n - 1)
    teams = {r["name"]: r for r in progress["teams"]}
    assert teams["第1班"] == {"name": "第1班", "total": 3, "surveyed": 1, "pending": 2}
    assert teams[""] == {"name": "", "total": n - 3, "surveyed": 0, "pending": n - 3}
    towns = {r["name"]: r for r in progress["towns"]}
    assert sum(r["total"] for r in towns.values()) == n and towns[town_name]["surveyed"] == 1
    # "" unassigns
    back = client.post(
        f"{t['base']}/survey-plan/assign", json={"house_nos": chosen[2:], "team": ""}, headers=t["h_staff"]
    )
    assert back.status_code == 200 and back.json()["items"][0]["team"] == ""
    # a dwelling outside the victim households, added by 家屋番号 with a team
    db.add(Dwelling(municipality_id=t["m"].id, house_no="999-1", location="見本市港町五丁目1番", structure="木造"))
    db.commit()
    added = client.post(
        f"{t['base']}/survey-plan/items", json={"house_no": "999-1", "team": "第2班"}, headers=t["h_surveyor"]
    )
    assert added.status_code == 201, added.text
    assert {k: added.json()[k] for k in ("house_no", "town", "team", "source", "surveyed")} == {
        "house_no": "999-1",
        "town": "港町五丁目",
        "team": "第2班",
        "source": "added",
        "surveyed": False,
    }
    again = client.post(f"{t['base']}/survey-plan/items", json={"house_no": "999-1"}, headers=t["h_surveyor"])
    assert again.status_code == 201 and again.json()["id"] == added.json()["id"]
    assert len(client.get(f"{t['base']}/survey-plan", headers=t["h_viewer"]).json()) == n + 1
    # audited
    assert [a["added"] for a in _audit(db, t["m"], "survey.plan_build")] == [n, 0]
    assert [(a["team"], a["count"], a["house_nos"]) for a in _audit(db, t["m"], "survey.assign")] == [
        ("第1班", 3, chosen),
        ("", 1, chosen[2:]),
    ]
    assert len(_audit(db, t["m"], "survey.plan_add")) == 2


def test_survey_plan_refuses_viewer_and_bad_input_naming_the_field(client, db, town):
    t = town
    assert client.post(f"{t['base']}/survey-plan/build", headers=t["h_staff"]).status_code == 200
    plan = client.get(f"{t['base']}/survey-plan", headers=t["h_viewer"]).json()
    house_no = plan[0]["house_no"]
    # a viewer reads but may not change the plan
    assert client.get(f"{t['base']}/survey-plan/progress", headers=t["h_viewer"]).status_code == 200
    _problem(client.post(f"{t['base']}/survey-plan/build", headers=t["h_viewer"]), 403)
    _problem(client.post(f"{t['base']}/survey-plan/items", json={"house_no": house_no}, headers=t["h_viewer"]), 403)
    _problem(
        client.post(
            f"{t['base']}/survey-plan/assign", json={"house_nos": [house_no], "team": "第1班"}, headers=t["h_viewer"]
        ),
        403,
    )
    # bad input: a clear 4xx, in Japanese, naming the field (and the record)
    assign = f"{t['base']}/survey-plan/assign"
    _problem(client.post(assign, json={"house_nos": [house_no], "team": "班" * 41}, headers=t["h_staff"]), 400, "team")
    _problem(client.post(assign, json={"house_nos": [], "team": "第1班"}, headers=t["h_staff"]), 400, "house_nos")
    _problem(client.post(assign, json={"house_nos": " ", "team": "第1班"}, headers=t["h_staff"]), 400, "house_nos")
    _problem(client.post(assign, json={"team": "第1班"}, headers=t["h_staff"]), 400, "house_nos")
    missing = _problem(
        client.post(assign, json={"house_nos": [house_no, "no-such"], "team": "第1班"}, headers=t["h_staff"]),
        404,
        "house_nos",
    )
    assert "no-such" in missing["detail"] and house_no not in missing["detail"]
    db.add(Dwelling(municipality_id=t["m"].id, house_no="999-2", location="見本市港町五丁目2番", structure="木造"))
    db.commit()
    unplanned = _problem(
        client.post(assign, json={"house_nos": [house_no, "999-2"], "team": "第1班"}, headers=t["h_staff"]),
        400,
        "house_nos",
    )
    assert "999-2" in unplanned["detail"] and "調査計画にありません" in unplanned["detail"]
    items = f"{t['base']}/survey-plan/items"
    _problem(client.post(items, json={"house_no": ""}, headers=t["h_staff"]), 400, "house_no")
    assert (
        "no-such"
        in _problem(client.post(items, json={"house_no": "no-such"}, headers=t["h_staff"]), 404, "house_no")["detail"]
    )
    _problem(client.post(items, json={"house_no": "999-2", "team": "班" * 41}, headers=t["h_staff"]), 400, "team")
    _problem(client.post(items, json={"house_no": "999-2", "colour": "red"}, headers=t["h_staff"]), 400, "colour")
    # nothing was written by any refused request
    db.rollback()
    teams = set(db.execute(select(SurveyPlanItem.team).where(SurveyPlanItem.disaster_id == t["d"].id)).scalars())
    assert teams == {""}
    assert db.execute(
        select(func.count()).select_from(SurveyPlanItem).where(SurveyPlanItem.disaster_id == t["d"].id)
    ).scalar_one() == len(plan)
    assert _audit(db, t["m"], "survey.assign") == [] and _audit(db, t["m"], "survey.plan_add") == []


def test_validation_errors_are_japanese_and_name_the_field(client, town):
    """msgspec's own messages (a missing field, a wrong type, …) reach the user in Japanese, with the
    path of the field at fault (also as ``field``), never as "Object missing required field"."""
    t = town
    surveys_url, headers = f"{t['base']}/surveys", t["h_staff"]
    missing = _problem(client.post(surveys_url, json={"surveyed_on": "2026-11-03"}, headers=headers), 400)
    assert missing["detail"] == "入力内容に誤りがあります: house_no: 必須の項目です。指定してください"
    assert missing["field"] == "house_no"
    wrong = _problem(client.post(surveys_url, json={"house_no": 5, "surveyed_on": "2026-11-03"}, headers=headers), 400)
    assert (
        wrong["detail"]
        == "入力内容に誤りがあります: house_no: 「文字列」で指定してください（「整数」が指定されました）"
    )
    assert wrong["field"] == "house_no"
    late = _problem(
        client.post(surveys_url, json={"house_no": "1", "surveyed_on": "昨日"}, headers=headers), 400, "surveyed_on"
    )
    assert "surveyed_on: 日付は YYYY-MM-DD の形式で指定してください" in late["detail"]
    limit = _problem(
        client.post(f"{t['base']}/certificates/bulk-issue", json={"limit": "all"}, headers=headers), 400, "limit"
    )
    assert "limit: 「整数」または「null」で指定してください" in limit["detail"]
    # a field inside a list: the whole path
    households_url = f"/api/v1/municipalities/{t['m'].code}/disasters/{t['d'].number}/households"
    nested = _problem(
        client.post(
            households_url, json={"address": "見本市本町1番", "members": [{"name_kana": "ア"}]}, headers=headers
        ),
        400,
        "members[0].name",
    )
    assert nested["detail"].endswith("members[0].name: 必須の項目です。指定してください")
    unknown = _problem(
        client.post(surveys_url, json={"house_no": "1", "surveyed_on": "2026-11-03", "colour": "red"}, headers=headers),
        400,
        "colour",
    )
    body = _problem(client.post(surveys_url, json=[1, 2], headers=headers), 400)
    assert body["detail"].endswith("リクエスト本文: 「オブジェクト」で指定してください（「配列」が指定されました）")
    malformed = _problem(
        client.post(surveys_url, content=b"{house_no", headers={**headers, "content-type": "application/json"}), 400
    )
    assert malformed["detail"].startswith("JSON の書式に誤りがあります")
    for problem in (missing, wrong, late, limit, nested, unknown, body, malformed):
        assert not re.search(r"Expected|Object |missing|unknown field|Invalid|malformed", problem["detail"]), problem


def test_survey_plan_is_scoped_to_the_municipality(client, db, town, other):
    t = town
    assert client.post(f"{t['base']}/survey-plan/build", headers=t["h_staff"]).status_code == 200
    house_no = client.get(f"{t['base']}/survey-plan", headers=t["h_staff"]).json()[0]["house_no"]
    # another municipality's staff cannot reach this plan at all
    for method, path, body in (
        ("get", "/survey-plan", None),
        ("get", "/survey-plan/progress", None),
        ("post", "/survey-plan/build", None),
        ("post", "/survey-plan/items", {"house_no": house_no}),
        ("post", "/survey-plan/assign", {"house_nos": [house_no], "team": "乗っ取り"}),
    ):
        kwargs = {"json": body} if body is not None else {}
        _problem(getattr(client, method)(f"{t['base']}{path}", headers=other["h_staff"], **kwargs), 403)
    # this municipality's path with the other's disaster number: not found
    foreign = f"/api/v1/municipalities/{t['m'].code}/disasters/{other['d'].number}"
    _problem(client.get(f"{foreign}/survey-plan", headers=t["h_staff"]), 404)
    _problem(
        client.post(
            f"{foreign}/survey-plan/assign", json={"house_nos": ["別-1"], "team": "第1班"}, headers=t["h_staff"]
        ),
        404,
    )
    # the other's dwelling (its 家屋番号) is unknown here, and its plan item stays as it was
    _problem(
        client.post(
            f"{t['base']}/survey-plan/assign", json={"house_nos": ["別-1"], "team": "第1班"}, headers=t["h_staff"]
        ),
        404,
        "house_nos",
    )
    _problem(
        client.post(f"{t['base']}/survey-plan/items", json={"house_no": "別-1"}, headers=t["h_staff"]), 404, "house_no"
    )
    # the other municipality's own path with this municipality's token: refused
    _problem(
        client.get(
            f"/api/v1/municipalities/{other['m'].code}/disasters/{other['d'].number}/survey-plan", headers=t["h_staff"]
        ),
        403,
    )
    db.rollback()
    item = db.get(SurveyPlanItem, other["item"].id)
    db.refresh(item)
    assert item.team == ""
    assert (
        db.execute(
            select(func.count()).select_from(SurveyPlanItem).where(SurveyPlanItem.dwelling_id == other["dwelling"].id)
        ).scalar_one()
        == 1
    )


# ---------------------------------------------------------------- bulk application and issuance


def _households_of(t, house_nos: set[str]) -> set[int]:
    """り災番号 of the households living in the given dwellings (from the synthetic city)."""
    numbers = {no for d in t["city"].dwellings if d["house_no"] in house_nos for no in d["household_nos"]}
    return {t["households"][no].victim_no for no in numbers}


def test_bulk_apply_and_bulk_issue(client, db, town, other):
    t = town
    shared = next(d for d in t["city"].dwellings if len(d["household_nos"]) >= 2)
    single = next(d for d in t["city"].dwellings if len(d["household_nos"]) == 1)
    _survey(client, t, shared["house_no"], "25")
    _survey(client, t, single["house_no"], "55")
    expected = _households_of(t, {shared["house_no"], single["house_no"]})
    # the other municipality has a surveyed, applied-for household too: never touched from here
    db.rollback()
    other_dwelling = db.get(Dwelling, other["dwelling"].id)
    surveys.record_survey(
        db, other["d"], other_dwelling, surveys.SurveyInput(surveyed_on=other["d"].occurred_on, ratio="60"), None
    )
    db.commit()
    # 一括申請, without a body
    applied = client.post(f"{t['base']}/certificates/bulk-apply", headers=t["h_staff"])
    assert applied.status_code == 200, applied.text
    assert applied.json() == {"applied": len(expected)}
    again = client.post(
        f"{t['base']}/certificates/bulk-apply",
        json={"applied_on": t["d"].occurred_on.isoformat()},
        headers=t["h_staff"],
    )
    assert again.json() == {"applied": 0}
    db.rollback()
    applications = (
        db.execute(select(CertificateApplication).where(CertificateApplication.disaster_id == t["d"].id))
        .scalars()
        .all()
    )
    assert len(applications) == len(expected) and {a.channel for a in applications} == {"bulk"}
    # 一括交付, a first block limited to one certificate, then the rest
    first = client.post(f"{t['base']}/certificates/bulk-issue", json={"limit": 1}, headers=t["h_staff"])
    assert first.status_code == 200, first.text
    assert (first.json()["issued"], first.json()["first_number"], first.json()["last_number"]) == (1, 1, 1)
    rest = client.post(
        f"{t['base']}/certificates/bulk-issue", json={"issued_on": today_jst().isoformat()}, headers=t["h_staff"]
    ).json()
    assert rest["issued"] == len(expected) - 1 and (rest["first_number"], rest["last_number"]) == (2, len(expected))
    issued = first.json()["certificates"] + rest["certificates"]
    assert [c["number"] for c in issued] == list(range(1, len(expected) + 1))
    assert {c["victim_no"] for c in issued} == expected and not any(c["reissue"] for c in issued)
    classes = {c["house_no"]: (c["damage_class"], c["damage_label"]) for c in issued}
    assert classes == {shared["house_no"]: ("half", "半壊"), single["house_no"]: ("total_collapse", "全壊")}
    nothing = client.post(f"{t['base']}/certificates/bulk-issue", json={}, headers=t["h_staff"]).json()
    assert nothing == {"issued": 0, "first_number": None, "last_number": None, "certificates": []}
    # a re-survey of the shared dwelling: the next bulk issuance re-issues to its households
    _survey(client, t, shared["house_no"], "35", kind="second")
    reissued = client.post(f"{t['base']}/certificates/bulk-issue", headers=t["h_staff"]).json()
    assert reissued["issued"] == len(shared["household_nos"]) and all(c["reissue"] for c in reissued["certificates"])
    assert {c["damage_class"] for c in reissued["certificates"]} == {"medium_scale_half"}
    ledger = client.get(f"{t['base']}/certificates", params={"status": "superseded"}, headers=t["h_viewer"]).json()
    assert len(ledger) == len(shared["household_nos"]) and all(c["superseded_by"] for c in ledger)
    victim_no = next(iter(_households_of(t, {single["house_no"]})))
    status = client.get(f"{t['base']}/households/{victim_no}/certificates", headers=t["h_viewer"]).json()
    assert status["status"] == "issued" and status["damage_class"] == "total_collapse"
    # audited like the browser's bulk actions
    assert [a["count"] for a in _audit(db, t["m"], "certificate.bulk_apply")] == [len(expected), 0]
    issues = _audit(db, t["m"], "certificate.bulk_issue")
    assert [(a["count"], a["numbers"]) for a in issues] == [
        (1, "1-1"),
        (len(expected) - 1, f"2-{len(expected)}"),
        (0, ""),
        (len(shared["household_nos"]), f"{len(expected) + 1}-{len(expected) + len(shared['household_nos'])}"),
    ]
    # the other municipality's disaster: no application, no certificate
    db.rollback()
    assert (
        db.execute(
            select(func.count())
            .select_from(CertificateApplication)
            .where(CertificateApplication.disaster_id == other["d"].id)
        ).scalar_one()
        == 0
    )
    assert (
        db.execute(
            select(func.count()).select_from(Certificate).where(Certificate.disaster_id == other["d"].id)
        ).scalar_one()
        == 0
    )


def test_bulk_operations_refuse_viewer_other_municipality_and_bad_input(client, db, town, other):
    t = town
    _survey(client, t, next(d["house_no"] for d in t["city"].dwellings), "30")
    apply_url, issue_url = f"{t['base']}/certificates/bulk-apply", f"{t['base']}/certificates/bulk-issue"
    # a viewer and a surveyor may not apply or issue
    for headers in (t["h_viewer"], t["h_surveyor"]):
        _problem(client.post(apply_url, json={}, headers=headers), 403)
        _problem(client.post(issue_url, json={}, headers=headers), 403)
    # another municipality's staff: refused; this municipality's path with the other's disaster: not found
    _problem(client.post(apply_url, json={}, headers=other["h_staff"]), 403)
    _problem(client.post(issue_url, json={}, headers=other["h_staff"]), 403)
    foreign = f"/api/v1/municipalities/{t['m'].code}/disasters/{other['d'].number}"
    _problem(client.post(f"{foreign}/certificates/bulk-apply", json={}, headers=t["h_staff"]), 404)
    _problem(client.post(f"{foreign}/certificates/bulk-issue", json={}, headers=t["h_staff"]), 404)
    # bad input names the field, in Japanese
    before = (t["d"].occurred_on - timedelta(days=1)).isoformat()
    tomorrow = (today_jst() + timedelta(days=1)).isoformat()
    assert (
        "災害の発生日"
        in _problem(client.post(apply_url, json={"applied_on": before}, headers=t["h_staff"]), 400, "applied_on")[
            "detail"
        ]
    )
    _problem(client.post(apply_url, json={"applied_on": tomorrow}, headers=t["h_staff"]), 400, "applied_on")
    _problem(client.post(apply_url, json={"applied_on": "昨日"}, headers=t["h_staff"]), 400, "applied_on")
    _problem(client.post(issue_url, json={"issued_on": before}, headers=t["h_staff"]), 400, "issued_on")
    _problem(client.post(issue_url, json={"issued_on": tomorrow}, headers=t["h_staff"]), 400, "issued_on")
    _problem(client.post(issue_url, json={"limit": 0}, headers=t["h_staff"]), 400, "limit")
    _problem(client.post(issue_url, json={"limit": "all"}, headers=t["h_staff"]), 400, "limit")
    _problem(client.post(issue_url, json={"number_from": 5}, headers=t["h_staff"]), 400, "number_from")
    # nothing was written by any refused request
    db.rollback()
    assert (
        db.execute(
            select(func.count())
            .select_from(CertificateApplication)
            .where(CertificateApplication.disaster_id == t["d"].id)
        ).scalar_one()
        == 0
    )
    assert (
        db.execute(
            select(func.count()).select_from(Certificate).where(Certificate.disaster_id == t["d"].id)
        ).scalar_one()
        == 0
    )
    assert _audit(db, t["m"], "certificate.bulk_apply") == [] and _audit(db, t["m"], "certificate.bulk_issue") == []


# ---------------------------------------------------------------- several photos in one survey form


PNG = b"\x89PNG\r\n\x1a\n"
JPEG = b"\xff\xd8\xff\xe0"
WEBP = b"RIFF\x00\x00\x00\x00WEBPVP8 "


def _entry(client, t, dwelling, files, **fields):
    page = client.get(f"/surveys/dwellings/{dwelling.id}")
    assert page.status_code == 200
    data = {
        "_csrf": csrf_of(page.text),
        "kind": "first",
        "surveyed_on": "2026-11-03",
        "surveyors": "調査 一郎",
        "ratio": "30",
        **fields,
    }
    return client.post(f"/surveys/dwellings/{dwelling.id}", data=data, files=files, follow_redirects=False)


def _stored_files(directory) -> list:
    return sorted(p for p in directory.rglob("*") if p.is_file())


def test_survey_form_with_three_photos_stores_and_lists_them_all(client, db, town, tmp_path, monkeypatch):
    t = town
    monkeypatch.setenv("VS_PHOTO_DIR", str(tmp_path))
    assert login(client, t["staff"].username, TEST_PASSWORD).status_code == 302
    choose(client, t["m"].code, t["d"].number)
    dwelling = next(iter(t["dwellings"].values()))
    photos = [
        ("外観.png", PNG + b"a" * 300, "image/png"),
        ("屋根.jpg", JPEG + b"b" * 400, "image/jpeg"),
        ("室内.webp", WEBP + b"c" * 500, "image/webp"),
    ]
    response = _entry(client, t, dwelling, [("photos", photo) for photo in photos])
    assert response.status_code == 302 and "saved=" in response.headers["location"], response.text
    db.rollback()
    survey = db.execute(select(Survey).where(Survey.dwelling_id == dwelling.id)).scalar_one()
    stored = (
        db.execute(select(SurveyPhoto).where(SurveyPhoto.survey_id == survey.id).order_by(SurveyPhoto.id))
        .scalars()
        .all()
    )
    assert [(p.file_name, p.content_type, p.size) for p in stored] == [
        (name, kind, len(content)) for name, content, kind in photos
    ]
    assert [(tmp_path / p.stored_path).read_bytes() for p in stored] == [content for _, content, _ in photos]
    assert len(_stored_files(tmp_path)) == 3
    # the entry page lists the three, and each link gives its file back
    page = client.get(response.headers["location"])
    links = re.findall(r'href="(/surveys/photos/\d+)"[^>]*>([^<]+)</a>', page.text)
    assert [name for _, name in links] == [name for name, _, _ in photos]
    assert [client.get(url).content for url, _ in links] == [content for _, content, _ in photos]
    # the API counts them on the survey
    api = client.get(f"{t['base']}/dwellings/{dwelling.house_no}/surveys", headers=t["h_viewer"]).json()
    assert [s["photos"] for s in api] == [3]


@pytest.mark.parametrize(
    "bad", [("メモ.txt", b"not a photo", "text/plain"), ("偽装.png", b"plain text, not a PNG", "image/png")]
)
def test_one_bad_photo_refuses_the_whole_form_and_writes_nothing(client, db, town, tmp_path, monkeypatch, bad):
    t = town
    monkeypatch.setenv("VS_PHOTO_DIR", str(tmp_path))
    assert login(client, t["staff"].username, TEST_PASSWORD).status_code == 302
    choose(client, t["m"].code, t["d"].number)
    dwelling = next(iter(t["dwellings"].values()))
    files = [
        ("photos", ("外観.png", PNG + b"a" * 300, "image/png")),
        ("photos", ("屋根.jpg", JPEG + b"b" * 400, "image/jpeg")),
        ("photos", bad),
    ]
    response = _entry(client, t, dwelling, files, ratio="42")
    assert response.status_code == 400, response.text
    assert bad[0] in response.text and "JPEG・PNG・HEIC・WebP" in response.text and 'value="42"' in response.text
    db.rollback()
    assert (
        db.execute(select(func.count()).select_from(Survey).where(Survey.dwelling_id == dwelling.id)).scalar_one() == 0
    )
    assert (
        db.execute(
            select(func.count()).select_from(SurveyPhoto).where(SurveyPhoto.municipality_id == t["m"].id)
        ).scalar_one()
        == 0
    )
    assert _stored_files(tmp_path) == []
    assert _audit(db, t["m"], "survey.create") == []
    # the same form without the bad file goes through
    assert _entry(client, t, dwelling, files[:2]).status_code == 302
    assert len(_stored_files(tmp_path)) == 2


def test_api_survey_plan_in_openapi(client):
    paths = client.get("/schema/openapi.json").json()["paths"]
    base = "/api/v1/municipalities/{code}/disasters/{number}"
    for path in (
        "/survey-plan",
        "/survey-plan/progress",
        "/survey-plan/build",
        "/survey-plan/items",
        "/survey-plan/assign",
        "/certificates/bulk-apply",
        "/certificates/bulk-issue",
    ):
        assert base + path in paths, path


def test_api_takes_tokens_not_browser_sessions(app, town):
    """The API takes bearer tokens only: a signed-in browser session is not enough (so the API
    needs no CSRF token and a forged cross-site form cannot reach it)."""
    t = town
    with TestClient(app) as browser:
        assert login(browser, t["staff"].username, TEST_PASSWORD).status_code == 302
        _problem(browser.post(f"{t['base']}/certificates/bulk-apply", json={}), 401)
        _problem(browser.get(f"{t['base']}/survey-plan"), 401)
