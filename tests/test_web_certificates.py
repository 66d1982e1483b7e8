"""Surveys and certificates in the browser UI and the JSON API, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from core.audit import AuditEntry
from ledgers.certificates.models import Certificate
from ledgers.certificates.pdf import sample_seal_png
from ledgers.registry.models import Dwelling
from ledgers.surveys.models import Survey
from tests.browser.test_staff_flow import halfwidth
from tests.conftest import TEST_PASSWORD, make_municipality, make_user
from tests.factories import make_disaster, register_town
from tests.webclient import csrf_of, login, post_form
from tests.webclient import select as choose
from victim_support.accounts.services import create_api_token


@pytest.fixture
def setup(db):
    municipality = make_municipality(db, "見本市")
    disaster = make_disaster(db, municipality.id, number="2026-01", name="令和8年見本地震")
    city, registered, dwellings = register_town(db, municipality.id, disaster)
    staff = make_user(db, municipality, "staff")
    viewer = make_user(db, municipality, "viewer")
    db.commit()
    single = next(d for d in city.dwellings if len(d["household_nos"]) == 1)
    return dict(
        m=municipality,
        d=disaster,
        city=city,
        households=registered,
        staff=staff,
        viewer=viewer,
        household=registered[single["household_nos"][0]],
        dwelling=dwellings[single["house_no"]],
        head=next(r for r in city.residents if r["household_no"] == single["household_nos"][0] and r["is_householder"]),
    )


def _enter(client, s, user=None):
    assert login(client, (user or s["staff"]).username, TEST_PASSWORD).status_code == 302
    choose(client, s["m"].code, s["d"].number)


def _survey_form(client, dwelling_id, files=None, **fields):
    page = client.get(f"/surveys/dwellings/{dwelling_id}")
    assert page.status_code == 200
    data = {
        "_csrf": csrf_of(page.text),
        "kind": "first",
        "surveyed_on": "2026-11-03",
        "surveyors": "調査 一郎",
        "team": "第1班",
        **fields,
    }
    return client.post(
        f"/surveys/dwellings/{dwelling_id}",
        data=data,
        files=files or {"photos": ("", b"", "application/octet-stream")},
        follow_redirects=False,
    )


def test_counter_flow_survey_issue_print_reprint_reissue_cancel(client, setup, db, tmp_path, monkeypatch):
    s = setup
    monkeypatch.setenv("VS_PHOTO_DIR", str(tmp_path))
    _enter(client, s)
    household, dwelling = s["household"], s["dwelling"]
    # find by half-width kana at the counter
    query = halfwidth(s["head"]["name_kana"].replace("\u3000", ""))
    page = client.get("/counter", params={"q": query})
    assert page.status_code == 200 and f'href="/counter/{household.id}"' in page.text and "autofocus" in page.text
    # by り災番号 and by 宛名番号 too
    assert f'/counter/{household.id}"' in client.get("/counter", params={"q": str(household.victim_no)}).text
    assert f'/counter/{household.id}"' in client.get("/counter", params={"q": s["head"]["atena_no"]}).text
    page = client.get(f"/counter/{household.id}")
    assert "被害認定調査が済んでいない" in page.text and 'id="issue-button"' not in page.text
    # a surveyor's entry (with a photo), judged by the disaster's rules
    photo = b"\x89PNG\r\n\x1a\n" + b"0" * 100
    response = _survey_form(client, dwelling.id, files={"photos": ("外観.png", photo, "image/png")}, ratio="39.99")
    assert response.status_code == 302 and "saved=" in response.headers["location"], response.headers
    db.rollback()
    survey = db.execute(select(Survey).where(Survey.dwelling_id == dwelling.id)).scalar_one()
    assert (survey.damage_class, survey.rule_version) == ("medium_scale_half", "ratio-2021")
    entry = client.get(response.headers["location"])
    assert "中規模半壊" in entry.text and "調査結果を保存しました" in entry.text
    photo_link = re.search(r'href="(/surveys/photos/\d+)"', entry.text).group(1)
    assert client.get(photo_link).content == photo
    # a bad entry keeps the input and says why
    bad = _survey_form(client, dwelling.id, ratio="12", flood_depth="1.0")
    assert bad.status_code == 400 and "同時に入力できません" in bad.text and 'value="12"' in bad.text
    # issue at the counter: Enter on the autofocused button
    page = client.get(f"/counter/{household.id}")
    assert 'id="issue-button"' in page.text and 'accesskey="i"' in page.text and "中規模半壊" in page.text
    response = client.post(f"/counter/{household.id}/issue", data={"_csrf": csrf_of(page.text)}, follow_redirects=False)
    assert response.status_code == 302
    done = client.get(response.headers["location"])
    assert "第1号 を交付しました" in done.text and 'id="print-link"' in done.text
    pdf_url = re.search(r'id="print-link" href="([^"]+)"', done.text).group(1)
    pdf = client.get(pdf_url)
    assert (
        pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    )
    # issuing again is refused with the number
    again = client.post(f"/counter/{household.id}/issue", data={"_csrf": csrf_of(done.text)}, follow_redirects=False)
    assert again.status_code == 409 and "第1号" in again.text
    db.rollback()
    certificate = db.execute(select(Certificate).where(Certificate.household_id == household.id)).scalar_one()
    # reprint keeps the number and is audited
    reprint = client.post(f"/certificates/{certificate.id}/reprint", data={"_csrf": csrf_of(done.text)})
    assert reprint.status_code in (200, 201) and reprint.content.startswith(b"%PDF")
    db.rollback()
    db.refresh(certificate)
    assert certificate.reprint_count == 1
    # the ledger's 罹災証明 tab (HTMX partial) shows status and chain; re-survey request then 2次 → re-issue
    tab = client.get(f"/households/{household.id}/certificates")
    assert "交付済" in tab.text and "第1号" in tab.text
    assert 'hx-get="/households/' in client.get(f"/households/{household.id}?tab=certificates").text
    response = post_form(
        client,
        f"/households/{household.id}?tab=certificates",
        f"/households/{household.id}/certificates/resurvey",
        {"reason": "内部の損傷が反映されていない"},
    )
    assert response.status_code == 302
    assert "再調査依頼中" in client.get(f"/households/{household.id}/certificates").text
    assert _survey_form(client, dwelling.id, kind="second", ratio="50").status_code == 302
    tab = client.get(f"/households/{household.id}/certificates")
    assert "再調査の結果で再交付" in tab.text
    response = client.post(
        f"/households/{household.id}/certificates/issue", data={"_csrf": csrf_of(tab.text)}, follow_redirects=False
    )
    assert response.status_code == 302
    tab = client.get(f"/households/{household.id}/certificates")
    assert (
        "再交付済（再調査後）" in tab.text and "更新済 → 第2号" in tab.text and "第1号 を再調査により更新" in tab.text
    )
    db.rollback()
    new = db.execute(
        select(Certificate).where(Certificate.household_id == household.id, Certificate.number == 2)
    ).scalar_one()
    # cancel with a reason
    response = client.post(
        f"/certificates/{new.id}/cancel",
        data={"_csrf": csrf_of(tab.text), "reason": "記載誤り"},
        follow_redirects=False,
    )
    assert response.status_code == 302
    assert "取消" in client.get(f"/households/{household.id}/certificates").text
    # 被災証明書
    response = client.post(
        f"/households/{household.id}/certificates/victim",
        data={"_csrf": csrf_of(tab.text), "victim_text": "自家用車が浸水", "location": "見本市役所"},
        follow_redirects=False,
    )
    assert response.status_code == 302
    db.rollback()
    actions = set(db.execute(select(AuditEntry.action).where(AuditEntry.acting_municipality == s["m"].code)).scalars())
    assert {
        "survey.create",
        "certificate.issue",
        "certificate.print",
        "certificate.reprint",
        "certificate.reissue",
        "certificate.cancel",
        "certificate.resurvey_request",
    } <= actions


def test_ledger_csv_batch_bulk_and_dashboard(client, setup, db):
    s = setup
    _enter(client, s)
    shared = next(d for d in s["city"].dwellings if len(d["household_nos"]) >= 2)
    db.rollback()
    dwelling = db.execute(
        select(Dwelling).where(Dwelling.municipality_id == s["m"].id, Dwelling.house_no == shared["house_no"])
    ).scalar_one()
    assert _survey_form(client, dwelling.id, ratio="25").status_code == 302
    page = client.get("/certificates")
    assert (
        client.post("/certificates/bulk-apply", data={"_csrf": csrf_of(page.text)}, follow_redirects=False).status_code
        == 302
    )
    response = client.post("/certificates/bulk-issue", data={"_csrf": csrf_of(page.text)}, follow_redirects=False)
    n = len(shared["household_nos"])
    assert response.headers["location"] == f"/certificates?created={n}"
    ledger = client.get("/certificates")
    assert f"第{n}号" in ledger.text
    exported = client.get("/certificates.csv")
    assert exported.content.startswith(b"\xef\xbb\xbf") and "attachment" in exported.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert len(rows) == n + 1 and all(r[8] == "半壊" for r in rows[1:])
    batch = client.post("/certificates/batch", data={"_csrf": csrf_of(ledger.text), "numbers": f"1-{n}"})
    assert (
        batch.status_code in (200, 201)
        and batch.content.startswith(b"%PDF")
        and batch.content.count(b"/Type /Page\n") + batch.content.count(b"/Type /Page ") >= 1
    )
    missing = client.post("/certificates/batch", data={"_csrf": csrf_of(ledger.text), "numbers": f"1-{n + 1}"})
    assert missing.status_code == 400 and str(n + 1) in missing.text
    summary = client.get("/certificates/summary")
    assert f'id="count-cert-issued">{n}<' in summary.text
    assert 'hx-get="/certificates/summary"' in client.get("/").text


def test_survey_plan_assignment_and_sheet(client, setup, db):
    s = setup
    _enter(client, s)
    page = client.get("/surveys")
    response = client.post("/surveys/plan/build", data={"_csrf": csrf_of(page.text)}, follow_redirects=False)
    assert response.headers["location"] == f"/surveys?added={len(s['city'].dwellings)}"
    page = client.get("/surveys")
    ids = re.findall(r'name="item" value="(\d+)"', page.text)
    assert len(ids) == len(s["city"].dwellings)
    response = client.post(
        "/surveys/plan/assign",
        data={"_csrf": csrf_of(page.text), "item": ids[:3], "team": "第1班"},
        follow_redirects=False,
    )
    assert response.status_code == 302
    page = client.get("/surveys", params={"team": "第1班"})
    assert len(re.findall(r'name="item"', page.text)) == 3
    assert re.search(r"第1班</a></td><td>3</td><td>0</td>", page.text)
    sheet = client.get("/surveys/sheet", params={"team": "第1班"})
    assert sheet.status_code == 200 and sheet.text.count('class="sheet"') == 3 and "屋根" in sheet.text
    missing = post_form(client, "/surveys", "/surveys/plan/add", {"house_no": "no-such"})
    assert missing.status_code == 404


def test_permissions_isolation_issuer_and_rule_override(client, setup, db):
    s = setup
    # a viewer sees but may not issue or survey
    _enter(client, s, s["viewer"])
    page = client.get(f"/counter/{s['household'].id}")
    assert page.status_code == 200
    assert client.post(f"/counter/{s['household'].id}/issue", data={"_csrf": csrf_of(page.text)}).status_code == 403
    assert _survey_form(client, s["dwelling"].id, ratio="10").status_code == 403
    # another municipality's staff gets 404 for this one's households and certificates
    other = make_municipality(db, "別市")
    make_disaster(db, other.id)
    outsider = make_user(db, other, "staff")
    with TestClient(client.app) as second:
        assert login(second, outsider.username, TEST_PASSWORD).status_code == 302
        choose(second, other.code, "2026-01")
        assert second.get(f"/counter/{s['household'].id}").status_code == 404
        assert second.get(f"/households/{s['household'].id}/certificates").status_code == 404
        assert second.get(f"/surveys/dwellings/{s['dwelling'].id}").status_code == 404
    # admin: issuer with an uploaded seal, and the per-disaster rule override
    admin = make_user(
        db,
        s["m"],
        "municipality_admin",
    )
    from core.accounts import User

    db.get(User, admin.id)
    with TestClient(client.app) as third:
        assert login(third, admin.username, TEST_PASSWORD).status_code == 302
        choose(third, s["m"].code, s["d"].number)
        page = third.get("/admin/issuer")
        assert page.status_code == 200
        response = third.post(
            "/admin/issuer",
            data={"_csrf": csrf_of(page.text), "issuer_name": "見本市", "mayor_name": "見本　太郎"},
            files={"seal": ("seal.png", sample_seal_png(120), "image/png")},
            follow_redirects=False,
        )
        assert response.status_code == 302
        bad = third.post(
            "/admin/issuer",
            data={"_csrf": csrf_of(page.text), "issuer_name": "見本市"},
            files={"seal": ("seal.gif", b"GIF89a", "image/gif")},
        )
        assert bad.status_code == 400
        assert third.get("/admin/issuer/sample.pdf").content.startswith(b"%PDF")
        form = third.get(f"/disasters/{s['d'].number}/edit")
        assert 'id="damage-rules-form"' in form.text
        version = re.search(r'id="damage-rules-form">.*?name="version" value="(\d+)"', form.text, re.S).group(1)
        wrong = third.post(
            f"/disasters/{s['d'].number}/damage-rules",
            data={"_csrf": csrf_of(form.text), "version": version, "damage_rules_override": "ratio-2020,ratio-2021"},
        )
        assert wrong.status_code == 400
        ok = third.post(
            f"/disasters/{s['d'].number}/damage-rules",
            data={"_csrf": csrf_of(form.text), "version": version, "damage_rules_override": "ratio-2020"},
            follow_redirects=False,
        )
        assert ok.status_code == 302
        assert _survey_form(third, s["dwelling"].id, ratio="35").status_code == 302
    db.rollback()
    survey = db.execute(select(Survey).where(Survey.dwelling_id == s["dwelling"].id)).scalar_one()
    assert (survey.rule_version, survey.damage_class) == ("ratio-2020", "half")
    # staff may not configure
    _enter(client, s)
    assert client.get("/admin/issuer").status_code == 403


# ---------------------------------------------------------------- JSON API


def test_api_surveys_and_certificates(client, setup, db):
    s = setup
    raw, _ = create_api_token(db, s["staff"])
    db.commit()
    headers = {"Authorization": f"Bearer {raw}"}
    base = f"/api/v1/municipalities/{s['m'].code}/disasters/{s['d'].number}"
    house_no = s["dwelling"].house_no
    body = {
        "house_no": house_no,
        "kind": "first",
        "surveyed_on": "2026-11-03",
        "surveyors": "調査 一郎",
        "ratio": "49.99",
    }
    created = client.post(f"{base}/surveys", json=body, headers=headers)
    assert created.status_code == 201, created.text
    assert created.json()["damage_class"] == "large_scale_half" and created.json()["rule_version"] == "ratio-2021"
    second = client.post(f"{base}/surveys", json={**body, "kind": "second", "ratio": "50"}, headers=headers)
    assert second.json()["damage_class"] == "total_collapse"
    chain = client.get(f"{base}/dwellings/{house_no}/surveys", headers=headers).json()
    assert [c["damage_class"] for c in chain] == ["large_scale_half", "total_collapse"]
    assert chain[0]["superseded_by"] == chain[1]["id"] and chain[1]["superseded_by"] is None
    bad = client.post(f"{base}/surveys", json={**body, "ratio": "abc"}, headers=headers)
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("application/problem+json")
    unknown = client.post(f"{base}/surveys", json={**body, "house_no": "none"}, headers=headers)
    assert unknown.status_code == 404
    victim_no = s["household"].victim_no
    issued = client.post(f"{base}/households/{victim_no}/certificates", json={}, headers=headers)
    assert issued.status_code == 201, issued.text
    cert = issued.json()
    assert (cert["number"], cert["damage_class"], cert["status"]) == (1, "total_collapse", "issued")
    assert client.post(f"{base}/households/{victim_no}/certificates", json={}, headers=headers).status_code == 409
    status = client.get(f"{base}/households/{victim_no}/certificates", headers=headers).json()
    assert (
        status["status"] == "issued" and status["damage_class"] == "total_collapse" and len(status["certificates"]) == 1
    )
    pdf = client.get(f"{base}/certificates/1/pdf", headers=headers)
    assert pdf.headers["content-type"] == "application/pdf"
    reprinted = client.post(f"{base}/certificates/1/reprint", json={}, headers=headers)
    assert reprinted.status_code == 201 and reprinted.json()["reprint_count"] == 1
    listing = client.get(f"{base}/certificates", headers=headers).json()
    assert [c["number"] for c in listing] == [1]
    cancelled = client.post(f"{base}/certificates/1/cancel", json={"reason": "誤り"}, headers=headers)
    assert cancelled.json()["status"] == "cancelled"
    assert client.post(f"{base}/certificates/1/cancel", json={"reason": "誤り"}, headers=headers).status_code == 409
    victim = client.post(
        f"{base}/households/{victim_no}/certificates",
        json={"kind": "victim", "victim_text": "車が浸水"},
        headers=headers,
    )
    assert victim.status_code == 201 and victim.json()["number"] == 2 and victim.json()["kind"] == "victim"
    # tenant isolation: another municipality's token cannot reach these
    other = make_municipality(db, "別市")
    outsider = make_user(db, other, "staff")
    other_token, _ = create_api_token(db, outsider)
    db.commit()
    denied = client.get(f"{base}/certificates", headers={"Authorization": f"Bearer {other_token}"})
    assert denied.status_code == 403
    viewer_token, _ = create_api_token(db, s["viewer"])
    db.commit()
    assert (
        client.post(f"{base}/surveys", json=body, headers={"Authorization": f"Bearer {viewer_token}"}).status_code
        == 403
    )
    assert date.today()  # keep import used
