"""Damage surveys and certificates as services, on SQLite and PostgreSQL: judging with the
disaster's rule version, supersession chains, class inheritance by households, the survey plan,
gapless certificate numbers under concurrency, reprint / re-issue / cancellation, status, CSV,
and the PDF's extractable text."""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import uuid
from datetime import date

import pytest
from sqlalchemy import select
from sqlmodel import Session

from core.errors import Conflict, DomainError
from ledgers.certificates import services as certificates
from ledgers.certificates.models import Certificate, CertificateApplication, CertificateStatus
from ledgers.disasters.models import Disaster
from ledgers.disasters.services import DisasterInput, add_disaster
from ledgers.households import services as households
from ledgers.registry.models import Dwelling, Occupancy
from ledgers.surveys import services as surveys
from ledgers.surveys.services import SurveyInput
from tests.concurrency import run_on_two_instances, values
from tests.factories import load_register, register_town

REQUIRE_BROWSER = __import__("os").environ.get("REQUIRE_BROWSER") == "1"


def _disaster(
    db: Session,
    municipality_id: int,
    *,
    occurred_on: date = date(2026, 11, 20),
    override: str = "",
    kind: str = "earthquake",
) -> Disaster:
    disaster = add_disaster(
        db,
        municipality_id,
        DisasterInput(name="令和8年試験地震", kind=kind, occurred_on=occurred_on, number=f"T-{uuid.uuid4().hex[:8]}"),
    )
    disaster.damage_rules_override = override
    db.add(disaster)
    db.commit()
    return disaster


@pytest.fixture
def town(db, municipality):
    """A register with dwellings, a disaster, and every 世帯 registered as a victim household."""
    disaster = _disaster(db, municipality.id)
    city, registered, dwellings = register_town(db, municipality.id, disaster)
    return dict(city=city, disaster=disaster, households=registered, dwellings=dwellings, municipality=municipality)


def _survey(db, disaster, dwelling, **fields) -> object:
    data = SurveyInput(
        surveyed_on=fields.pop("surveyed_on", date(2026, 11, 22)),
        surveyors="調査 一郎、調査 二郎",
        team="A班",
        **fields,
    )
    survey = surveys.record_survey(db, disaster, dwelling, data, None)
    db.commit()
    return survey


def _single_dwelling_household(town):
    for d in town["city"].dwellings:
        if len(d["household_nos"]) == 1:
            return town["households"][d["household_nos"][0]], town["dwellings"][d["house_no"]]
    raise AssertionError("no single-household dwelling")


# ---------------------------------------------------------------- surveys


def test_survey_judges_with_the_disasters_rule_version_and_boundaries(db, town):
    disaster = town["disaster"]
    dwelling = next(iter(town["dwellings"].values()))
    s = _survey(db, disaster, dwelling, ratio="49.99")
    assert (s.damage_class, s.rule_version, s.basis) == ("large_scale_half", "ratio-2021", "ratio")
    assert s.judgement["value"] == "49.99" and s.damage_label == "大規模半壊"
    s2 = _survey(db, disaster, dwelling, kind="second", ratio="50")
    assert s2.damage_class == "total_collapse"
    # ratio and floor-area criterion together: the more severe wins
    s3 = _survey(db, disaster, dwelling, kind="resurvey", ratio="12", floor_ratio="72%")
    assert s3.damage_class == "total_collapse" and s3.basis == "floor_ratio"
    # per-part degrees with the weights of the version (wooden, 1st survey: 屋根15 外壁75 基礎10)
    s4 = _survey(db, disaster, dwelling, kind="first", parts={"roof": "1", "exterior_wall": "0.4"})
    assert s4.basis == "parts" and s4.judgement["value"] in ("45", "45.0", "45.00")
    assert s4.damage_class == "large_scale_half"
    # the chain: every event kept, only the last is current
    chain = surveys.survey_chain(db, disaster.id, dwelling.id)
    assert [c.id for c in chain] == [s.id, s2.id, s3.id, s4.id]
    assert [c.superseded_by_id for c in chain] == [s2.id, s3.id, s4.id, None]
    assert surveys.current_survey(db, disaster.id, dwelling.id).id == s4.id


def test_rule_override_flood_and_manual(db, municipality):
    load_register(db, municipality.id, 30, seed=3)
    dwelling = db.execute(select(Dwelling).where(Dwelling.municipality_id == municipality.id)).scalars().first()
    old = _disaster(db, municipality.id, occurred_on=date(2019, 10, 12), override="ratio-2020", kind="typhoon")
    s = _survey(db, old, dwelling, ratio="15", surveyed_on=date(2019, 10, 20))
    assert (s.rule_version, s.damage_class) == ("ratio-2020", "quasi_half")
    older = _disaster(db, municipality.id, occurred_on=date(2016, 4, 14))
    s = _survey(db, older, dwelling, ratio="35", surveyed_on=date(2016, 4, 20))
    assert (s.rule_version, s.damage_class, s.damage_label) == ("ratio-2004", "half", "半壊")
    flood = _disaster(db, municipality.id, occurred_on=date(2023, 6, 2), kind="flood")
    s = _survey(db, flood, dwelling, flood_depth="1.79", external_force=True, surveyed_on=date(2023, 6, 5))
    assert (s.rule_version, s.damage_class, s.flood_class) == ("flood-2022-naisui", "large_scale_half", "above_floor")
    s = _survey(db, flood, dwelling, kind="second", flood_depth="床下", surveyed_on=date(2023, 6, 6))
    assert s.flood_class == "below_floor"
    with pytest.raises(DomainError, match="理由"):
        _survey(
            db, flood, dwelling, kind="resurvey", manual_class="half", manual_reason="", surveyed_on=date(2023, 6, 7)
        )
    db.rollback()
    s = _survey(
        db,
        flood,
        dwelling,
        kind="resurvey",
        manual_class="half",
        manual_reason="傾斜のため",
        surveyed_on=date(2023, 6, 7),
    )
    assert s.manual and s.manual_reason == "傾斜のため" and s.basis == "manual" and s.damage_class == "half"
    with pytest.raises(DomainError):
        _survey(db, flood, dwelling, ratio="10", flood_depth="1")
    db.rollback()
    with pytest.raises(DomainError, match="発生日"):
        _survey(db, flood, dwelling, ratio="10", surveyed_on=date(2023, 6, 1))
    db.rollback()


def test_households_inherit_the_class_of_their_dwellings(db, town):
    disaster = town["disaster"]
    shared = next(d for d in town["city"].dwellings if len(d["household_nos"]) >= 2)
    dwelling = town["dwellings"][shared["house_no"]]
    _survey(db, disaster, dwelling, ratio="42")
    for household_no in shared["household_nos"]:  # two (or more) households in one dwelling: all get it
        damage = surveys.household_damage(db, disaster, town["households"][household_no])
        assert damage.decisive[1].damage_class == "large_scale_half"
    assert len(surveys.households_of_dwelling(db, disaster, dwelling.id)) == len(shared["household_nos"])
    # a household in two dwellings (母屋と離れ): the most severe, whichever order they were surveyed in
    household, main = _single_dwelling_household(town)
    annex = next(d for d in town["dwellings"].values() if d.id not in (main.id, dwelling.id))
    db.add(
        Occupancy(
            municipality_id=town["municipality"].id,
            household_no=household.source_household_no,
            dwelling_id=annex.id,
            unit="離れ",
        )
    )
    db.commit()
    _survey(db, disaster, main, ratio="25")
    damage = surveys.household_damage(db, disaster, household)
    assert len(damage.dwellings) == 2 and damage.pending == [annex] and damage.decisive[1].damage_class == "half"
    _survey(db, disaster, annex, ratio="55")
    damage = surveys.household_damage(db, disaster, household)
    assert damage.decisive[0].id == annex.id and damage.decisive[1].damage_class == "total_collapse"


def test_plan_assignment_progress_and_towns(db, town):
    disaster = town["disaster"]
    assert surveys.town_of("見本市緑ヶ丘一丁目3番1号") == "緑ヶ丘一丁目"
    assert surveys.town_of("テスト県見本市本町12番地", "見本市") == "本町"
    assert surveys.town_of("見本市大字山田123") == "大字山田"
    added = surveys.build_plan(db, disaster)
    db.commit()
    assert added == len(town["city"].dwellings)
    assert surveys.build_plan(db, disaster) == 0
    rows = surveys.plan_rows(db, disaster)
    half = [r.item.id for r in rows[: len(rows) // 2]]
    assert surveys.assign_team(db, disaster, half, "第1班") == len(half)
    db.commit()
    _survey(db, disaster, rows[0].dwelling, ratio="5")
    progress = surveys.progress(db, disaster)
    teams = {t["name"]: t for t in progress["teams"]}
    assert teams["第1班"] == {"name": "第1班", "total": len(half), "surveyed": 1}
    assert teams[""]["total"] == len(rows) - len(half) and teams[""]["surveyed"] == 0
    towns = {t["name"]: t for t in progress["towns"]}
    assert sum(t["total"] for t in towns.values()) == len(rows) and all(name and "見本市" not in name for name in towns)
    assert len(surveys.plan_rows(db, disaster, team="第1班", pending_only=True)) == len(half) - 1
    # a dwelling outside the victim households can be added by 家屋番号
    extra = Dwelling(
        municipality_id=town["municipality"].id, house_no="999-1", location="見本市港町五丁目1番", structure="木造"
    )
    db.add(extra)
    db.commit()
    item = surveys.add_to_plan(db, disaster, "999-1", team="第2班")
    db.commit()
    assert (item.town, item.team, item.source) == ("港町五丁目", "第2班", "added")


def test_photos_are_stored_as_files_with_their_hash(db, town, tmp_path):
    disaster = town["disaster"]
    dwelling = next(iter(town["dwellings"].values()))
    s = _survey(db, disaster, dwelling, ratio="30")
    content = b"\xff\xd8\xff\xe0" + b"x" * 5000
    photo = surveys.add_photo(db, s, "外観.jpg", content, "image/jpeg", tmp_path, "992011", disaster.number)
    db.commit()
    import hashlib

    assert photo.sha256 == hashlib.sha256(content).hexdigest() and photo.size == len(content)
    assert (tmp_path / photo.stored_path).read_bytes() == content
    assert photo.stored_path.startswith(f"992011/{disaster.number}/")
    with pytest.raises(DomainError):
        surveys.add_photo(db, s, "a.exe", b"MZ", "application/octet-stream", tmp_path, "992011", disaster.number)


# ---------------------------------------------------------------- certificates


def test_issue_reprint_reissue_cancel_and_status(db, town):
    disaster = town["disaster"]
    household, dwelling = _single_dwelling_household(town)
    status = lambda: certificates.household_status(db, household)  # noqa: E731
    assert status() == "not_applied"
    with pytest.raises(DomainError, match="調査"):
        certificates.issue_damage_certificate(db, household, None)
    db.rollback()
    certificates.apply(db, household, None)
    db.commit()
    assert status() == "applied"
    first_survey = _survey(db, disaster, dwelling, ratio="35")
    assert status() == "surveyed"
    first = certificates.issue_damage_certificate(db, household, None, on=date(2026, 11, 24))
    db.commit()
    assert (first.number, first.damage_class, first.house_no, first.survey_id) == (
        1,
        "medium_scale_half",
        dwelling.house_no,
        first_survey.id,
    )
    assert status() == "issued"
    with pytest.raises(Conflict, match="第1号"):
        certificates.issue_damage_certificate(db, household, None)
    db.rollback()
    certificates.reprint(db, first, on=date(2026, 12, 1))
    db.commit()
    assert (first.number, first.reprint_count, first.last_reprinted_on) == (1, 1, date(2026, 12, 1))
    # the victim disputes: re-survey requested, then re-surveyed, then re-issued with a new number
    with pytest.raises(DomainError):
        certificates.request_resurvey(db, household, "  ", None)
    certificates.request_resurvey(db, household, "内壁の損傷が反映されていない", None)
    db.commit()
    assert status() == "resurvey_requested"
    _survey(db, disaster, dwelling, kind="second", ratio="45")
    assert status() == "resurvey_requested"
    second = certificates.issue_damage_certificate(db, household, None, on=date(2026, 12, 1))
    db.commit()
    db.refresh(first)
    assert second.number == 2 and second.supersedes_id == first.id and second.damage_class == "large_scale_half"
    assert first.status == CertificateStatus.superseded.value and first.superseded_by_id == second.id
    assert [c.number for c in certificates.chain_of(db, first)] == [1, 2]
    assert status() == "reissued"
    with pytest.raises(DomainError, match="第2号"):
        certificates.reprint(db, first)
    # 被災証明書 uses the same sequence
    victim = certificates.issue_victim_certificate(
        db, household, "自家用車（見本 300 あ 12-34）が浸水により損傷", "見本市役所駐車場", None
    )
    db.commit()
    assert victim.number == 3 and victim.kind == "victim"
    certificates.cancel(db, second, "世帯主の記載誤り", on=date(2026, 12, 1))
    db.commit()
    assert second.status == "cancelled" and second.cancel_reason == "世帯主の記載誤り"
    with pytest.raises(Conflict):
        certificates.cancel(db, second, "again")
    db.rollback()
    with pytest.raises(DomainError):
        certificates.reprint(db, second)
    db.rollback()
    assert status() == "surveyed"
    counts = certificates.status_counts(db, disaster)
    assert counts["surveyed"] == 1 and sum(counts.values()) == len(town["households"])


def test_bulk_apply_and_issue_and_csv(db, town):
    disaster = town["disaster"]
    shared = next(d for d in town["city"].dwellings if len(d["household_nos"]) >= 2)
    _survey(db, disaster, town["dwellings"][shared["house_no"]], ratio="22")
    assert certificates.bulk_apply(db, disaster, None) == len(shared["household_nos"])
    db.commit()
    assert certificates.bulk_apply(db, disaster, None) == 0
    issued = certificates.bulk_issue(db, disaster, None, on=date(2026, 11, 25))
    db.commit()
    assert sorted(c.number for c in issued) == list(range(1, len(shared["household_nos"]) + 1))
    assert certificates.bulk_issue(db, disaster, None) == []
    counts = certificates.status_counts(db, disaster)
    assert counts["issued"] == len(shared["household_nos"])
    assert counts["not_applied"] == len(town["households"]) - len(shared["household_nos"])
    household = town["households"][shared["household_nos"][0]]
    db.execute(
        Certificate.__table__.update()
        .where(Certificate.household_id == household.id)
        .values(head_name='=HYPERLINK("x")')
    )
    db.commit()
    db.expire_all()
    data = certificates.ledger_csv(certificates.ledger_rows(db, disaster))
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0][:3] == ["交付番号", "種別", "交付日"] and len(rows) == len(issued) + 1
    assert all(r[8] == "半壊" and r[2] == "2026-11-25" for r in rows[1:])
    assert sum(r[4] == '\'=HYPERLINK("x")' for r in rows[1:]) == 1  # formula injection guarded


def test_pdf_text_is_extractable(db, town):
    if shutil.which("pdftotext") is None:
        if REQUIRE_BROWSER:
            pytest.fail("pdftotext is required (REQUIRE_BROWSER=1) but missing")
        pytest.skip("pdftotext not installed")
    disaster = town["disaster"]
    household, dwelling = _single_dwelling_household(town)
    _survey(db, disaster, dwelling, ratio="41.5")
    certificate = certificates.issue_damage_certificate(db, household, None, on=date(2026, 11, 24))
    db.commit()
    certificates.save_issuer(db, town["municipality"].id, "見本市", "見本　太郎")
    db.commit()
    issuer = certificates.issuer_config(db, town["municipality"].id, town["municipality"].name)
    pdf = certificates.render(db, certificate, disaster, issuer, reprint_on=date(2026, 12, 1))
    text = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    flat = text.replace(" ", "").replace("\u3000", "")
    assert household.head_name.replace("\u3000", "") in flat
    assert household.address in flat
    assert dwelling.location in flat
    assert "■大規模半壊" in flat
    assert "第1号" in flat and "令和8年11月24日" in flat and "再交付" in flat and "見本市市長見本太郎" in flat


# ---------------------------------------------------------------- gapless numbers under concurrency


def _households_in_one_surveyed_dwelling(db, disaster, municipality, count: int) -> list[int]:
    """``count`` manual households living in one dwelling surveyed as 中規模半壊."""
    dwelling = Dwelling(
        municipality_id=municipality.id,
        house_no=f"B-{uuid.uuid4().hex[:6]}",
        location="見本市本町二丁目2番",
        structure="木造",
    )
    db.add(dwelling)
    db.commit()
    ids = []
    for i in range(count):
        h = households.register_manual(
            db,
            disaster,
            households.HouseholdInput(
                address=f"見本市本町二丁目2番{i}号",
                members=[households.MemberInput(name=f"一括 {i}", name_kana="イッカツ", is_householder=True)],
            ),
            None,
        )
        h.basic_snapshot = {"source": "manual", "dwellings": [{"house_no": dwelling.house_no}]}
        db.add(h)
        ids.append(h.id)
    db.commit()
    _survey(db, disaster, dwelling, ratio="33")
    return ids


THREADS = 50
FAILING = {5, 17, 29, 44}  # counters that crash after taking a number, before commit


def test_concurrent_issuance_from_two_instances_is_gapless(db, database_url, municipality):
    """50 counters issuing at once from two app instances (engines); 4 crash after taking a
    number: the committed certificates are numbered exactly 1..46."""
    disaster = _disaster(db, municipality.id)
    ids = _households_in_one_surveyed_dwelling(db, disaster, municipality, THREADS)

    def work(session: Session, i: int) -> int:
        household = households.get_household(session, municipality.id, ids[i])
        return certificates.issue_damage_certificate(session, household, None).number

    results = run_on_two_instances(database_url, THREADS, work, crash=FAILING, retry_transient=True)
    committed = sorted(values(results, "committed"))
    expected = THREADS - len(FAILING)
    assert committed == list(range(1, expected + 1))
    db.rollback()
    stored = list(
        db.execute(
            select(Certificate.number).where(Certificate.disaster_id == disaster.id).order_by(Certificate.number)
        ).scalars()
    )
    assert stored == list(range(1, expected + 1))
    assert db.get(Disaster, disaster.id, populate_existing=True).last_certificate_no == expected


def test_concurrent_issuance_for_one_household_issues_once(db, database_url, town):
    disaster = town["disaster"]
    household, dwelling = _single_dwelling_household(town)
    _survey(db, disaster, dwelling, ratio="60")

    def work(session: Session, i: int) -> None:
        own = households.get_household(session, town["municipality"].id, household.id)
        certificates.issue_damage_certificate(session, own, None)

    threads = 8
    outcomes = [outcome for outcome, _ in run_on_two_instances(database_url, threads, work)]
    assert outcomes.count("committed") == 1 and outcomes.count("conflict") == threads - 1
    db.rollback()
    assert [c.number for c in certificates.certificates_of(db, household.id)] == [1]


def _issued_by_household(db, disaster) -> dict[int, list[int]]:
    db.rollback()
    rows = db.execute(
        select(Certificate.household_id, Certificate.number).where(
            Certificate.disaster_id == disaster.id, Certificate.status == CertificateStatus.issued.value
        )
    ).all()
    issued: dict[int, list[int]] = {}
    for household_id, number in rows:
        issued.setdefault(household_id, []).append(number)
    return issued


def test_bulk_issue_and_counters_at_once(db, database_url, municipality):
    """A bulk issuance of a disaster while counters issue to some of the same households: no
    deadlock, no error a client would see, one certificate per household, numbers 1..N."""
    disaster = _disaster(db, municipality.id)
    ids = _households_in_one_surveyed_dwelling(db, disaster, municipality, 24)
    assert certificates.bulk_apply(db, disaster, None) == len(ids)
    db.commit()

    def work(session: Session, i: int) -> list[int]:
        if i == 0:
            own = session.get(Disaster, disaster.id)
            return [c.number for c in certificates.bulk_issue(session, own, None)]
        household = households.get_household(session, municipality.id, ids[i])
        return [certificates.issue_damage_certificate(session, household, None).number]

    threads = 12
    results = run_on_two_instances(database_url, threads, work)  # a transient error fails the test
    outcomes = [outcome for outcome, _ in results]
    assert outcomes[0] == "committed"
    assert set(outcomes[1:]) <= {"committed", "conflict"}  # a counter after the bulk finds it issued
    issued = _issued_by_household(db, disaster)
    assert sorted(issued) == sorted(ids) and all(len(numbers) == 1 for numbers in issued.values())
    assert sorted(n for numbers in issued.values() for n in numbers) == list(range(1, len(ids) + 1))
    counter_numbers = [n for numbers in values(results, "committed")[1:] for n in numbers]
    assert len(counter_numbers) + len(results[0][1]) == len(ids)


def test_bulk_apply_and_counters_at_once(db, database_url, municipality):
    """A bulk application while counters apply and issue: each household has one application."""
    disaster = _disaster(db, municipality.id)
    ids = _households_in_one_surveyed_dwelling(db, disaster, municipality, 16)

    def work(session: Session, i: int) -> int:
        if i == 0:
            return certificates.bulk_apply(session, session.get(Disaster, disaster.id), None)
        household = households.get_household(session, municipality.id, ids[i])
        return certificates.issue_damage_certificate(session, household, None).number

    threads = 10
    results = run_on_two_instances(database_url, threads, work)
    assert [outcome for outcome, _ in results] == ["committed"] * threads
    db.rollback()
    applied = db.execute(
        select(CertificateApplication.household_id, CertificateApplication.channel).where(
            CertificateApplication.disaster_id == disaster.id
        )
    ).all()
    assert sorted(h for h, _ in applied) == sorted(
        ids
    )  # one each: the bulk did not apply again for a counter's household
    assert sum(channel == "bulk" for _, channel in applied) == results[0][1]
    assert sorted(n for _, n in results[1:]) == list(range(1, threads))


def test_dates_before_the_disaster_or_in_the_future_are_refused(db, town, municipality):
    # Before: a certificate issued on 1900-01-01 for a 2026 disaster, a survey dated 9999-12-31 that
    # became the current survey, and a disaster dated 0001-01-01 were all accepted.
    from datetime import timedelta

    from core.clock import today_jst

    disaster = town["disaster"]
    household, dwelling = _single_dwelling_household(town)
    with pytest.raises(DomainError, match="未来") as future:
        _survey(db, disaster, dwelling, ratio="35", surveyed_on=date(9999, 12, 31))
    assert future.value.field == "surveyed_on"
    db.rollback()
    assert dwelling.id not in surveys.current_surveys(db, disaster)
    _survey(db, disaster, dwelling, ratio="35")
    with pytest.raises(DomainError, match="発生日") as early:
        certificates.issue_damage_certificate(db, household, None, on=date(1900, 1, 1))
    assert early.value.field == "on"
    db.rollback()
    with pytest.raises(DomainError, match="未来"):
        certificates.issue_damage_certificate(db, household, None, on=today_jst() + timedelta(days=1))
    db.rollback()
    assert db.execute(select(Certificate).where(Certificate.household_id == household.id)).first() is None
    issued = certificates.issue_damage_certificate(db, household, None)
    assert issued.issued_on == today_jst() and issued.number == 1  # no number was used by the refusals
    db.rollback()
    for occurred_on in (date(1, 1, 1), date(1868, 1, 24), today_jst() + timedelta(days=1)):
        with pytest.raises(DomainError) as refused:
            add_disaster(db, municipality.id, DisasterInput(name="誤入力", kind="earthquake", occurred_on=occurred_on))
        assert refused.value.field == "occurred_on"
        db.rollback()


@pytest.mark.parametrize(
    ("victim_text", "notes", "field"),
    [("車" * 1000, "", "victim_text"), ("自家用車が浸水😀", "", "victim_text"), ("自家用車が浸水", "\x07", "notes")],
)
def test_a_certificate_that_cannot_be_printed_is_refused_before_a_number_is_used(db, town, victim_text, notes, field):
    # Before: a 被災証明書 with ≈1,000 characters or an emoji was issued (number used, audited) and
    # its PDF was a 500 forever.
    household, _ = _single_dwelling_household(town)
    with pytest.raises(DomainError) as refused:
        certificates.issue_victim_certificate(db, household, victim_text, "見本市役所駐車場", None, notes=notes)
    assert refused.value.field == field and (
        "長すぎ" in refused.value.message or "印字できない" in refused.value.message
    )
    db.rollback()
    assert db.execute(select(Certificate).where(Certificate.household_id == household.id)).first() is None
    ok = certificates.issue_victim_certificate(db, household, "自家用車が浸水", "見本市役所駐車場", None)
    assert ok.number == 1  # the refused one used no number
    db.rollback()
