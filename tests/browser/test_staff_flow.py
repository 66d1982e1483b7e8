"""In Chromium: log in (with TOTP enrolment), create a disaster, register a household from the
resident register, and find it again by half-width kana."""

from __future__ import annotations

import re

import pyotp
from sqlmodel import Session

from tests.conftest import TEST_PASSWORD, make_municipality, make_user
from tests.factories import load_register
from victim_support.db import make_engine

HALFWIDTH = dict(
    zip(
        "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンーァィゥェォャュョッ",
        "ｱｲｳｴｵｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾅﾆﾇﾈﾉﾊﾋﾌﾍﾎﾏﾐﾑﾒﾓﾔﾕﾖﾗﾘﾙﾚﾛﾜｦﾝｰｧｨｩｪｫｬｭｮｯ",
    )
)
VOICED = dict(zip("ガギグゲゴザジズゼゾダヂヅデドバビブベボ", "ｶｷｸｹｺｻｼｽｾｿﾀﾁﾂﾃﾄﾊﾋﾌﾍﾎ"))
SEMI = dict(zip("パピプペポ", "ﾊﾋﾌﾍﾎ"))


def halfwidth(text: str) -> str:
    out = []
    for ch in text:
        if ch in VOICED:
            out.append(VOICED[ch] + "ﾞ")
        elif ch in SEMI:
            out.append(SEMI[ch] + "ﾟ")
        else:
            out.append(HALFWIDTH.get(ch, ch))
    return "".join(out)


def test_login_create_disaster_register_and_find_by_halfwidth_kana(browser, live_server):
    base_url, database_url = live_server
    engine = make_engine(database_url)
    with Session(engine) as db:
        municipality = make_municipality(db, "ブラウザ市")
        city = load_register(db, municipality.id, 80, seed=11)
        admin = make_user(db, municipality, "municipality_admin")
        code, username = municipality.code, admin.username
    engine.dispose()
    head = next(r for r in city.residents if r["is_householder"] and len(r["name_kana"]) >= 5)

    page = browser.new_page(viewport={"width": 1366, "height": 768}, locale="ja-JP")
    page.goto(f"{base_url}/")
    assert page.url.startswith(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.click("form[action='/login'] button[type=submit]")
    # Admins enrol a second factor at first login: read the key the page shows, as an app would.
    page.wait_for_selector("#totp-secret")
    assert page.locator(".qr svg").count() == 1
    secret = page.inner_text("#totp-secret").strip()
    page.fill("input[name=code]", pyotp.TOTP(secret).now())
    page.click("form[action='/login/totp'] button[type=submit]")
    page.wait_for_url(f"{base_url}/select")

    page.click(f"form:has(input[value='{code}']) button[type=submit]")
    page.wait_for_url(f"{base_url}/")
    page.click("text=災害")
    page.click("text=災害を登録")
    page.fill("input[name=name]", "令和8年ブラウザ地震")
    page.select_option("select[name=kind]", "earthquake")
    page.fill("input[name=occurred_on]", "2026-11-20")
    page.fill("input[name=relief_act_applied_on]", "2026-11-20")
    page.click("button:has-text('保存')")
    page.wait_for_url(re.compile(r".*/disasters\?created=.*"))
    assert "令和8年ブラウザ地震" in page.content()
    number = page.url.rsplit("=", 1)[1]

    page.goto(f"{base_url}/select")
    page.select_option(f"form:has(input[value='{code}']) select[name=disaster]", number)
    page.click(f"form:has(input[value='{code}']) button[type=submit]")
    page.wait_for_url(f"{base_url}/")

    page.click("text=住民基本台帳から世帯を登録")
    page.fill("#rq", head["name"].split("\u3000")[0])
    page.wait_for_selector(f"text=世帯番号 {head['household_no']}")
    group = page.locator(".register-group", has_text=f"世帯番号 {head['household_no']}")
    group.locator("button:has-text('この世帯を被災者台帳に登録')").click()
    page.wait_for_url(re.compile(r".*/households/\d+\?created=1"))
    victim_no = page.inner_text("#victim-no")
    assert victim_no == "1"
    ledger_path = re.search(r"/households/\d+", page.url).group(0)

    page.click("nav >> text=世帯検索")
    query = halfwidth(head["name_kana"].replace("\u3000", ""))
    assert query != head["name_kana"]
    page.fill("#q", query)
    row = page.locator(f"#household-results a[href='{ledger_path}']").first
    row.wait_for()
    row.click()
    page.wait_for_url(f"{base_url}{ledger_path}")
    assert head["name"] in page.content().replace("&nbsp;", " ")
