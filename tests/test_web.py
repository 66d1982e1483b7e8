"""The browser UI and JSON API over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import re
import unicodedata

import pytest
from litestar.testing import TestClient
from sqlalchemy import select

from core.audit import AuditEntry
from core.settings import Settings
from ledgers.households.models import VictimHousehold, VictimMember
from tests.conftest import TEST_PASSWORD, make_municipality, make_user
from tests.factories import load_register, make_disaster, make_household
from tests.webclient import SESSION_COOKIE, csrf_of, login, post_form
from tests.webclient import select as choose
from victim_support.accounts.services import create_api_token


@pytest.fixture
def other_client(app):
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def two_tenants(db):
    """Municipalities A and B, each with a disaster, a household and a staff user."""
    tenants = {}
    for key in ("A", "B"):
        municipality = make_municipality(db, f"試験市{key}")
        disaster = make_disaster(db, municipality.id)
        household = make_household(db, disaster, name=f"被災 {key}郎", kana=f"ヒサイ {key}ロウ")
        member = db.execute(select(VictimMember).where(VictimMember.household_id == household.id)).scalar_one()
        user = make_user(db, municipality, "staff")
        raw_token, _ = create_api_token(db, user)
        db.commit()
        tenants[key] = dict(m=municipality, d=disaster, h=household, member=member, user=user, token=raw_token)
    return tenants


def household_urls(h, member):
    return [
        f"/households/{h.id}",
        f"/households/{h.id}?tab=members",
        f"/households/{h.id}/edit",
        f"/households/{h.id}/members/new",
        f"/households/{h.id}/members/{member.id}/edit",
    ]


def api_urls(t):
    base = f"/api/v1/municipalities/{t['m'].code}"
    return [
        f"{base}/disasters",
        f"{base}/disasters/{t['d'].number}",
        f"{base}/disasters/{t['d'].number}/households",
        f"{base}/disasters/{t['d'].number}/households/{t['h'].victim_no}",
        f"{base}/residents?q=ヒサイ",
    ]


def test_tenant_isolation_html(client, two_tenants):
    a, b = two_tenants["A"], two_tenants["B"]
    assert login(client, a["user"].username, TEST_PASSWORD).status_code == 302
    choose(client, a["m"].code, a["d"].number)
    # Own household: visible (so the refusals below are not a broken page).
    for url in household_urls(a["h"], a["member"]):
        assert client.get(url).status_code == 200, url
    for url in household_urls(b["h"], b["member"]):
        response = client.get(url)
        assert response.status_code in (403, 404), url
        assert "被災 B郎" not in response.text
    token = csrf_of(client.get("/households").text)
    for url in (f"/households/{b['h'].id}/edit", f"/households/{b['h'].id}/members/{b['member'].id}/edit"):
        response = client.post(url, data={"_csrf": token, "version": "1", "address": "改ざん", "name": "改ざん"})
        assert response.status_code in (403, 404), url
    # Selecting B is refused too: A's user has no grant there.
    assert choose(client, b["m"].code).status_code == 403


def test_tenant_isolation_api(client, two_tenants, db):
    a, b = two_tenants["A"], two_tenants["B"]
    own = {"Authorization": f"Bearer {a['token']}"}
    for url in api_urls(a):
        assert client.get(url, headers=own).status_code == 200, url
    for url in api_urls(b):
        response = client.get(url, headers=own)
        assert response.status_code in (403, 404), url
        assert response.headers["content-type"].startswith("application/problem+json")
    patch = client.patch(f"{api_urls(b)[3]}", headers=own, json={"version": b["h"].version, "notes": "改ざん"})
    assert patch.status_code in (403, 404)
    create = client.post(f"{api_urls(b)[2]}", headers=own, json={"address": "x", "members": [{"name": "x"}]})
    assert create.status_code in (403, 404)
    db.refresh(b["h"])
    assert b["h"].notes == "" and b["h"].version == 1


def test_api_requires_token(client, two_tenants):
    url = api_urls(two_tenants["A"])[0]
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": "Bearer nope"}).status_code == 401


def test_session_rotates_at_login_and_on_switching_municipality(client, db):
    a = make_municipality(db, "回転市")
    b = make_municipality(db, "切替市")
    user = make_user(db, a, "staff")
    from victim_support.accounts.services import add_grant

    add_grant(db, user, "viewer", b)
    db.commit()
    client.cookies.set(SESSION_COOKIE, "attacker-chosen-value", domain="testserver.local")
    login(client, user.username, TEST_PASSWORD)
    first = client.cookies.get(SESSION_COOKIE)
    assert first and first != "attacker-chosen-value"
    choose(client, a.code)
    acting_a = client.cookies.get(SESSION_COOKIE)
    assert acting_a != first  # entering a tenant is a switch too
    choose(client, a.code, "")
    assert client.cookies.get(SESSION_COOKIE) == acting_a  # same tenant: no new id
    choose(client, b.code)
    switched = client.cookies.get(SESSION_COOKIE)
    assert switched not in (first, acting_a)
    # The old id is dead: it no longer opens a page.
    with TestClient(client.app) as old:
        old.cookies.set(SESSION_COOKIE, acting_a, domain="testserver.local")
        response = old.get("/", follow_redirects=False)
        assert response.status_code == 302 and response.headers["location"].startswith("/login")
    assert client.get("/", follow_redirects=False).status_code == 200


def test_csrf_refused_and_nothing_written(client, db):
    municipality = make_municipality(db)
    disaster = make_disaster(db, municipality.id)
    city = load_register(db, municipality.id, 30)
    user = make_user(db, municipality, "staff")
    login(client, user.username, TEST_PASSWORD)
    choose(client, municipality.code, disaster.number)
    household_no = city.households[0]["household_no"]
    for data in ({"household_no": household_no}, {"household_no": household_no, "_csrf": "forged"}):
        response = client.post("/households/register", data=data, follow_redirects=False)
        assert response.status_code == 403
        assert "トークン" in response.text
    count = db.execute(select(VictimHousehold).where(VictimHousehold.disaster_id == disaster.id)).all()
    assert count == []
    db.rollback()
    # The same post with the page's token goes through.
    ok = post_form(client, "/households/register", "/households/register", {"household_no": household_no})
    assert ok.status_code == 302
    # A login form without its token is refused as well.
    with TestClient(client.app) as anonymous:
        refused = anonymous.post("/login", data={"username": user.username, "password": TEST_PASSWORD})
        assert refused.status_code == 403


def test_lockout_after_repeated_failures(client, db, app):
    municipality = make_municipality(db)
    user = make_user(db, municipality, "staff")
    settings: Settings = app.state.settings
    for _ in range(settings.lockout_threshold):
        assert login(client, user.username, "wrong-password-1").status_code == 401
    response = login(client, user.username, TEST_PASSWORD)
    assert response.status_code == 401
    assert "ロック" in response.text
    assert client.cookies.get(SESSION_COOKIE) is None


def test_register_search_by_halfwidth_kana_and_view_is_audited(client, db):
    municipality = make_municipality(db)
    disaster = make_disaster(db, municipality.id)
    city = load_register(db, municipality.id, 40)
    user = make_user(db, municipality, "staff")
    login(client, user.username, TEST_PASSWORD)
    choose(client, municipality.code, disaster.number)
    head = next(r for r in city.residents if r["is_householder"])
    created = post_form(client, "/households/register", "/households/register", {"household_no": head["household_no"]})
    assert created.status_code == 302
    ledger_url = created.headers["location"].split("?")[0]
    # Half-width kana without spaces finds the household.
    halfwidth = unicodedata.normalize("NFKC", head["name_kana"])  # keeps full-width
    halfwidth = "".join(_to_halfwidth(ch) for ch in head["name_kana"] if not ch.isspace())
    found = client.get("/households", params={"q": halfwidth})
    assert f'href="{ledger_url}"' in found.text
    # Registering the same 世帯 twice is refused with the number it already has.
    again = post_form(client, "/households/register", "/households/register", {"household_no": head["household_no"]})
    assert again.status_code == 409 and "登録済み" in again.text
    before = db.execute(select(AuditEntry).where(AuditEntry.action == "household.view")).all()
    db.rollback()  # end the read snapshot so the next query sees the app's write
    page = client.get(ledger_url)
    assert page.status_code == 200
    # 基本情報 carries the dwelling (家屋) the 世帯 lives in, from the fixed-asset ledger.
    [house] = [d for d in city.dwellings if head["household_no"] in d["household_nos"]]
    assert f"<td>{house['house_no']}</td>" in page.text
    views = (
        db.execute(select(AuditEntry).where(AuditEntry.action == "household.view").order_by(AuditEntry.seq.desc()))
        .scalars()
        .all()
    )
    assert len(views) == len(before) + 1
    assert views[0].actor_name == user.username and views[0].acting_municipality == municipality.code
    assert views[0].disaster_number == disaster.number


def _to_halfwidth(ch: str) -> str:
    table = dict(
        zip(
            "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンー",
            "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝｰ",
        )
    )
    voiced = dict(zip("ガギグゲゴザジズゼゾダヂヅデドバビブベボ", "ｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾊﾋﾌﾍﾎ"))
    semi = dict(zip("パピプペポ", "ﾊﾋﾌﾍﾎ"))
    small = dict(zip("ァィゥェォャュョッ", "ｧｨｩｪｫｬｭｮｯ"))
    if ch in voiced:
        return voiced[ch] + "ﾞ"
    if ch in semi:
        return semi[ch] + "ﾟ"
    return table.get(ch) or small.get(ch) or ch


def test_stale_edit_refused_in_browser_keeps_input(client, other_client, db):
    municipality = make_municipality(db)
    disaster = make_disaster(db, municipality.id)
    household = make_household(db, disaster)
    for c in (client, other_client):
        user = make_user(db, municipality, "staff")
        login(c, user.username, TEST_PASSWORD)
        choose(c, municipality.code, disaster.number)
    url = f"/households/{household.id}/edit"
    form_1 = client.get(url).text
    form_2 = other_client.get(url).text
    base = {
        "address": "見本市桜町二丁目3番4号",
        "status": "in_support",
        "residence": "",
        "contact_phone": "",
        "contact_address": "",
        "version": "1",
    }
    first = client.post(url, data={**base, "residence": "避難所A", "_csrf": csrf_of(form_1)}, follow_redirects=False)
    assert first.status_code == 302
    second = other_client.post(
        url, data={**base, "residence": "親戚宅B", "_csrf": csrf_of(form_2)}, follow_redirects=False
    )
    assert second.status_code == 409
    assert "他の職員によって更新" in second.text
    assert 'value="親戚宅B"' in second.text  # nothing the user typed is lost
    db.refresh(household)
    assert household.residence == "避難所A" and household.version == 2


def test_api_household_flow_and_stale_patch(client, db):
    municipality = make_municipality(db)
    disaster = make_disaster(db, municipality.id)
    city = load_register(db, municipality.id, 30)
    user = make_user(db, municipality, "staff")
    token, _ = create_api_token(db, user)
    db.commit()
    headers = {"Authorization": f"Bearer {token}"}
    base = f"/api/v1/municipalities/{municipality.code}/disasters/{disaster.number}/households"
    household_no = city.households[1]["household_no"]
    created = client.post(base, headers=headers, json={"household_no": household_no})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["victim_no"] == 1 and body["basic"]["household_no"] == household_no
    assert all(m["registered"] for m in body["members"])
    manual = client.post(
        base,
        headers=headers,
        json={
            "address": "見本市港町1番",
            "members": [{"name": "避難 花子", "name_kana": "ヒナン ハナコ", "sex": "female"}],
        },
    )
    assert manual.status_code == 201 and manual.json()["victim_no"] == 2
    url = f"{base}/1"
    ok = client.patch(url, headers=headers, json={"version": 1, "residence": "避難所"})
    assert ok.status_code == 200 and ok.json()["version"] == 2 and ok.json()["residence"] == "避難所"
    stale = client.patch(url, headers=headers, json={"version": 1, "residence": "別の場所"})
    assert stale.status_code == 409
    problem = stale.json()
    assert stale.headers["content-type"].startswith("application/problem+json")
    assert problem["status"] == 409 and "更新" in problem["detail"]
    assert client.get(url, headers=headers).json()["residence"] == "避難所"
    # Basic information stays the register's snapshot after edits.
    assert client.get(url, headers=headers).json()["basic"]["address"] == body["basic"]["address"]
    bad = client.post(
        base,
        headers=headers,
        content=b"{not json",
    )
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("application/problem+json")
    invalid = client.post(base, headers=headers, json={"address": "x", "members": [{"name": "x", "sex": "unknown"}]})
    assert invalid.status_code == 400
    search = client.get(base, headers=headers, params={"q": "ﾋﾅﾝ"})
    assert [h["victim_no"] for h in search.json()] == [2]


def test_viewer_cannot_write(client, db):
    municipality = make_municipality(db)
    disaster = make_disaster(db, municipality.id)
    household = make_household(db, disaster)
    user = make_user(db, municipality, "viewer")
    login(client, user.username, TEST_PASSWORD)
    choose(client, municipality.code, disaster.number)
    assert client.get(f"/households/{household.id}").status_code == 200
    assert client.get(f"/households/{household.id}/edit").status_code == 403
    assert client.get("/disasters/new").status_code == 403


def test_admin_creates_disaster_with_second_factor(client, db):
    municipality = make_municipality(db)
    admin = make_user(db, municipality, "municipality_admin")
    response = login(client, admin.username, TEST_PASSWORD)  # enrols TOTP on first login
    assert response.status_code == 302 and response.headers["location"] == "/select"
    db.refresh(admin)
    assert admin.totp_enabled
    choose(client, municipality.code)
    created = post_form(
        client,
        "/disasters/new",
        "/disasters",
        {
            "name": "令和8年試験豪雨",
            "kind": "flood",
            "occurred_on": "2026-07-01",
            "relief_act_applied_on": "2026-07-02",
        },
    )
    assert created.status_code == 302
    listing = client.get("/disasters").text
    assert "令和8年試験豪雨" in listing and "2026-01" in listing
    invalid = post_form(
        client, "/disasters/new", "/disasters", {"name": "", "kind": "flood", "occurred_on": "2026-07-01"}
    )
    assert invalid.status_code == 400 and "災害名" in invalid.text


def test_second_factor_required_before_any_page(client, db):
    municipality = make_municipality(db)
    admin = make_user(db, municipality, "municipality_admin")
    page = client.get("/login")
    client.post("/login", data={"username": admin.username, "password": TEST_PASSWORD, "_csrf": csrf_of(page.text)})
    # Password alone is not enough for an admin.
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 302 and response.headers["location"].startswith("/login")
    form = client.get("/login/totp")
    wrong = client.post("/login/totp", data={"code": "000000", "_csrf": csrf_of(form.text)})
    assert wrong.status_code == 401


def test_errors_are_pages_not_tracebacks(client, db):
    municipality = make_municipality(db)
    user = make_user(db, municipality, "staff")
    login(client, user.username, TEST_PASSWORD)
    choose(client, municipality.code)
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "<html" in response.text and "Traceback" not in response.text
    anonymous = TestClient(client.app)
    assert anonymous.get("/households", follow_redirects=False).headers["location"].startswith("/login")


def test_openapi_lists_the_api(client):
    spec = client.get("/schema/openapi.json").json()
    paths = spec["paths"]
    assert "/api/v1/municipalities/{code}/disasters/{number}/households/{victim_no}" in paths
    assert not any(p.startswith("/households") for p in paths)
    assert json.dumps(spec["components"]["schemas"]).count("HouseholdOut") >= 1


def test_consent_to_provision_recorded_and_withdrawn(client, db):
    municipality = make_municipality(db)
    disaster = make_disaster(db, municipality.id)
    household = make_household(db, disaster)
    user = make_user(db, municipality, "staff")
    token, _ = create_api_token(db, user)
    db.commit()
    login(client, user.username, TEST_PASSWORD)
    choose(client, municipality.code, disaster.number)
    tab = f"/households/{household.id}?tab=consents"
    missing = post_form(
        client, tab, f"/households/{household.id}/consents", {"recipient": "", "consented_on": "2026-11-21"}
    )
    assert missing.status_code == 400 and "提供先" in missing.text
    added = post_form(
        client,
        tab,
        f"/households/{household.id}/consents",
        {"recipient": "架空県", "scope": "氏名・住所", "consented_on": "2026-11-21"},
    )
    assert added.status_code == 302
    api = client.get(
        f"/api/v1/municipalities/{municipality.code}/disasters/{disaster.number}/households/{household.victim_no}",
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert [(c["recipient"], c["consented_on"], c["withdrawn_on"]) for c in api["consents"]] == [
        ("架空県", "2026-11-21", None)
    ]
    consent_id = api["consents"][0]["id"]
    withdrawn = post_form(client, tab, f"/households/{household.id}/consents/{consent_id}/withdraw", {})
    assert withdrawn.status_code == 302
    again = post_form(client, tab, f"/households/{household.id}/consents/{consent_id}/withdraw", {})
    assert again.status_code == 409
    assert "撤回日" in client.get(tab).text


def test_a_locked_account_and_an_unknown_name_get_the_same_answer(client, db, app):
    # Before: after the lockout a real account answered ロックされています, an unknown name the generic
    # message, which told an attacker which names exist.
    municipality = make_municipality(db)
    user = make_user(db, municipality, "staff")
    settings: Settings = app.state.settings
    unknown = f"nobody-{user.username}"
    for _ in range(settings.lockout_threshold):
        login(client, user.username, "wrong-password-1")
        login(client, unknown, "wrong-password-1")
    answers = []
    for name, password in ((user.username, TEST_PASSWORD), (user.username, "wrong"), (unknown, "wrong")):
        response = login(client, name, password)
        body = re.sub(r'name="csrf_token" value="[^"]*"', "", response.text)
        answers.append((response.status_code, re.sub(re.escape(name), "NAME", body)))
    assert answers[0][0] == 401
    assert answers[0] == answers[1] == answers[2]


def test_every_response_carries_the_security_headers(client, db):
    # Before: no CSP, no framing protection, no nosniff, and personal-data pages cacheable.
    municipality = make_municipality(db)
    user = make_user(db, municipality, "staff")
    login(client, user.username, TEST_PASSWORD)
    for path in ("/login", "/", "/households", "/api/v1/disasters", "/no-such-page"):
        response = client.get(path)
        csp = response.headers["content-security-policy"]
        assert (
            "script-src 'self'" in csp
            and "frame-ancestors 'none'" in csp
            and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        ), path
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store", path
    static = client.get("/static/app.css")
    assert static.status_code == 200 and static.headers.get("cache-control") != "no-store"
    assert static.headers["x-content-type-options"] == "nosniff"


def test_no_template_has_an_inline_script():
    from pathlib import Path

    templates = Path(__file__).resolve().parents[1] / "templates"
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=", re.IGNORECASE)
    offenders = [str(p.relative_to(templates)) for p in templates.rglob("*.html") if inline.search(p.read_text())]
    assert offenders == []


def test_the_second_factor_cannot_be_guessed_by_re_entering_the_password(client, db, app):
    # Before: the correct password reset the failure count, so an attacker who knew the password
    # re-entered it after every 4 wrong codes and never reached the lockout.
    import pyotp

    municipality = make_municipality(db)
    admin = make_user(db, municipality, "municipality_admin")
    secret = pyotp.random_base32()
    admin.totp_secret, admin.totp_enabled = secret, True
    db.add(admin)
    db.commit()
    settings: Settings = app.state.settings
    wrong_code = f"{(int(pyotp.TOTP(secret).now()) + 500000) % 1000000:06d}"
    answers = []
    for _ in range(settings.lockout_threshold):
        page = client.get("/login")
        client.post("/login", data={"username": admin.username, "password": TEST_PASSWORD, "_csrf": csrf_of(page.text)})
        form = client.get("/login/totp")
        if form.status_code != 200 or "code" not in form.text:
            break
        answers.append(client.post("/login/totp", data={"code": wrong_code, "_csrf": csrf_of(form.text)}).status_code)
    assert answers == [401] * settings.lockout_threshold
    db.refresh(admin)
    assert admin.locked_until is not None  # locked after the threshold, although every password was right
    # and now even the password with a correct code gets in nowhere
    response = login(client, admin.username, TEST_PASSWORD, totp_secret=secret)
    assert response.status_code == 401
    assert client.get("/", follow_redirects=False).headers["location"].startswith("/login")


def test_a_client_address_guessing_across_accounts_is_blocked(db, database_url, engine):
    from sqlalchemy import delete

    from core.accounts import LoginThrottle, User
    from victim_support.app import create_app

    app = create_app(Settings(database_url=database_url, address_failure_threshold=3), engine)
    municipality = make_municipality(db)
    user = make_user(db, municipality, "staff")
    db.execute(delete(LoginThrottle).where(LoginThrottle.address == "testclient"))
    db.commit()
    try:
        with TestClient(app) as client:
            for n in range(3):
                assert login(client, f"guess-{n}-{user.username}", "wrong-password-1").status_code == 401
            blocked = login(client, user.username, TEST_PASSWORD)  # the right password, from that address
            assert blocked.status_code == 401
            db.rollback()
            assert db.get(User, user.id).locked_until is None  # the account itself is not locked
            db.execute(delete(LoginThrottle).where(LoginThrottle.address == "testclient"))
            db.commit()
            assert login(client, user.username, TEST_PASSWORD).status_code == 302
    finally:
        db.execute(delete(LoginThrottle).where(LoginThrottle.address == "testclient"))
        db.commit()


def test_large_bodies_are_read_only_for_a_logged_in_session(client, db, tmp_path, monkeypatch):
    # Before: uploads accepted bodies of up to 4 GiB before login (read in full by the CSRF check).
    monkeypatch.setenv("VS_UPLOAD_DIR", str(tmp_path / "uploads"))
    big = b"x" * (2 * 1024 * 1024)
    page = client.get("/login")
    anonymous = client.post(
        "/admin/imports/",
        data={"_csrf": csrf_of(page.text), "kind": "residents"},
        files={"file": ("big.csv", big, "text/csv")},
        follow_redirects=False,
    )
    assert anonymous.status_code == 413 and "ログインしてから" in anonymous.text  # refused before reading it
    assert not (tmp_path / "uploads").exists() or not any((tmp_path / "uploads").iterdir())
    small = client.post(
        "/admin/imports/",
        data={"_csrf": csrf_of(page.text), "kind": "residents"},
        files={"file": ("small.csv", b"x" * 1000, "text/csv")},
        follow_redirects=False,
    )
    assert small.status_code in (302, 401, 403)  # refused by the page's own checks, not by size
    municipality = make_municipality(db)
    admin = make_user(db, municipality, "municipality_admin")
    login(client, admin.username, TEST_PASSWORD)
    choose(client, municipality.code)
    form = client.get("/admin/imports/")
    logged_in = client.post(
        "/admin/imports/",
        data={"_csrf": csrf_of(form.text), "kind": "residents", "layout": "chukan-residents", "on_error": "abort"},
        files={"file": ("big.csv", big, "text/csv")},
        follow_redirects=False,
    )
    assert logged_in.status_code in (302, 303), logged_in.text[:300]  # read and queued
