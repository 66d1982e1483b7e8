"""In Chromium, by keyboard at the counter (窓口): find a household by half-width kana, see its
dwelling and damage class, issue the 罹災証明書 and receive the PDF, then go to the next one."""

from __future__ import annotations

import re
from datetime import date

from sqlmodel import Session

from ledgers.households import services as households
from ledgers.registry.models import Dwelling
from ledgers.surveys import services as surveys
from tests.browser.test_staff_flow import halfwidth
from tests.conftest import TEST_PASSWORD, make_municipality, make_user
from tests.factories import load_register, make_disaster
from victim_support.db import make_engine


def test_counter_issue_by_keyboard_and_pdf_arrives(browser, live_server):
    base_url, database_url = live_server
    engine = make_engine(database_url)
    with Session(engine, expire_on_commit=False) as db:
        municipality = make_municipality(db, "窓口市")
        city = load_register(db, municipality.id, 60, seed=5)
        disaster = make_disaster(db, municipality.id, number="2026-01", name="令和8年窓口地震")
        single = next(d for d in city.dwellings if len(d["household_nos"]) == 1)
        household = households.register_from_resident_household(db, disaster, single["household_nos"][0], None)
        db.commit()
        dwelling = (
            db.query(Dwelling)
            .filter(Dwelling.municipality_id == municipality.id, Dwelling.house_no == single["house_no"])
            .one()
        )
        surveys.record_survey(
            db, disaster, dwelling, surveys.SurveyInput(surveyed_on=date(2026, 11, 3), ratio="45"), None
        )
        db.commit()
        staff = make_user(db, municipality, "staff")
        code, username, household_id = municipality.code, staff.username, household.id
    engine.dispose()
    head = next(r for r in city.residents if r["household_no"] == single["household_nos"][0] and r["is_householder"])

    page = browser.new_page(viewport={"width": 1280, "height": 800}, locale="ja-JP")
    page.goto(f"{base_url}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", TEST_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base_url}/select")
    page.select_option(f"form:has(input[value='{code}']) select[name=disaster]", "2026-01")
    page.click(f"form:has(input[value='{code}']) button[type=submit]")
    page.wait_for_url(f"{base_url}/")

    page.click("nav >> text=窓口")
    page.wait_for_url(f"{base_url}/counter")
    # the search box has the focus: type half-width kana and press Enter
    page.keyboard.type(halfwidth(head["name_kana"].replace("\u3000", "")))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/counter\?q=.*"))
    # the first result has the focus: Enter opens it
    assert page.evaluate("document.activeElement.classList.contains('counter-pick')")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base_url}/counter/{household_id}")
    assert "大規模半壊" in page.inner_text("#damage-dwellings")
    assert single["house_no"] in page.inner_text("#damage-dwellings")
    # the issue button has the focus: Enter issues
    assert page.evaluate("document.activeElement.id") == "issue-button"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf".*/counter/{household_id}\?issued=\d+"))
    assert "第1号 を交付しました" in page.inner_text("#issued-message")
    assert page.evaluate("document.activeElement.id") == "print-link"
    href = page.get_attribute("#print-link", "href")
    response = page.context.request.get(f"{base_url}{href}")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")
    # next: back to an empty search with the focus in the box
    page.click("#next-link")
    page.wait_for_url(f"{base_url}/counter")
    assert page.evaluate("document.activeElement.id") == "cq"
