"""Importing peacetime ledgers into the database: diff (異動), abort/skip, dry run, geocoding, links.

Runs on SQLite and PostgreSQL. The files are written here, in a layout of the test's own
(a TOML mapping the presets never saw: its own column names and order, CP932, era-code dates).
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core.codes import with_mod11
from importers.layout import load_layout
from ledgers.households import services as households
from ledgers.households.models import VictimHousehold
from ledgers.registry import services as registry
from ledgers.registry.imports import import_file
from ledgers.registry.models import (
    AddressPoint,
    Dwelling,
    ImportIssue,
    ImportRun,
    Occupancy,
    RegisterChange,
    RegisteredHousehold,
    Resident,
    TaxRecord,
)
from tests.conftest import make_municipality
from tests.factories import make_disaster

RESIDENT_MAPPING = """
[layout]
name = "test-town-residents"
kind = "residents"
format = "csv"
encoding = "cp932"
header = true
date_style = "wareki-code"

[columns]
name_kana = "カナ氏名"
atena_no = "個人番号ではない宛名"
name = "漢字氏名"
household_no = "世帯"
birth_date = "生年月日（和暦）"
sex = "性別コード"
relationship = "続柄"
is_householder = "世帯主区分"
address = "住所"
status = "住民状態"

[codes.sex]
"1" = "male"
"2" = "female"

[codes.is_householder]
"1" = true
"0" = false

[codes.status]
"01" = "resident"
"21" = "moved_out"
"22" = "deceased"
"""
HEADER = "カナ氏名,個人番号ではない宛名,漢字氏名,世帯,生年月日（和暦）,性別コード,続柄,世帯主区分,住所,住民状態"
GAIJI = "\ue000"  # a user-defined character (外字), CP932 F040


def atena(n: int) -> str:
    return with_mod11(f"{100000000 + n:09d}")


def household(n: int) -> str:
    return with_mod11(f"{2000000 + n:07d}")


def resident_line(
    n: int,
    *,
    name: str | None = None,
    kana: str | None = None,
    birth: str = "3350101",
    address: str | None = None,
    status: str = "01",
    householder: bool | None = None,
) -> str:
    hh = n // 2
    return ",".join(
        [
            kana or "ﾃｽﾄ ﾀﾛｳ",
            atena(n),
            name or f"試験　太郎{n}",
            household(hh),
            birth,
            "1" if n % 2 else "2",
            "世帯主" if (householder if householder is not None else n % 2 == 0) else "妻",
            "1" if (householder if householder is not None else n % 2 == 0) else "0",
            address or f"見本市桜町二丁目{hh % 20 + 1}番{hh % 7 + 1}号",
            status,
        ]
    )


def write_cp932(path: Path, lines: list[str]) -> Path:
    path.write_bytes(("\r\n".join([HEADER, *lines]) + "\r\n").encode("cp932"))
    return path


@pytest.fixture
def layout(tmp_path):
    mapping = tmp_path / "residents.toml"
    mapping.write_text(RESIDENT_MAPPING, encoding="utf-8")
    return load_layout(mapping)


@pytest.fixture
def town(db):
    return make_municipality(db, "取込市")


def count(db, model, municipality) -> int:
    db.rollback()
    return db.execute(
        select(func.count()).select_from(model).where(model.municipality_id == municipality.id)
    ).scalar_one()


def test_first_import_loads_residents_and_derives_households(db, town, layout, tmp_path):
    lines = [resident_line(n) for n in range(10)]
    lines[3] = resident_line(3, name=f"髙{GAIJI}　花子", kana="ﾀｶﾊｼ ﾊﾅｺ")
    lines[4] = resident_line(4, birth="年月日不詳")
    outcome = import_file(db, town, "residents", write_cp932(tmp_path / "r.csv", lines), layout)
    assert outcome.status == "succeeded", outcome
    assert outcome.counts["added"] == 10 and outcome.counts["invalid"] == 0
    assert count(db, Resident, town) == 10
    assert count(db, RegisteredHousehold, town) == 5
    hanako = registry.get_resident(db, town.id, atena(3))
    assert hanako.name == f"髙{GAIJI}　花子" and hanako.has_gaiji  # unmapped 外字 kept, flagged
    assert hanako.name_kana.replace(" ", "\u3000").startswith("タカハシ")  # half-width kana stored full-width
    assert [r.atena_no for r in registry.search_residents(db, town.id, "ﾀｶﾊｼ")] == [atena(3)]
    unknown = registry.get_resident(db, town.id, atena(4))
    assert unknown.birth_date is None and unknown.birth_date_unknown and unknown.birth_date_raw == "年月日不詳"
    assert registry.get_resident(db, town.id, atena(0)).birth_date == date(1960, 1, 1)  # 昭和35年1月1日
    head = db.execute(
        select(RegisteredHousehold).where(
            RegisteredHousehold.municipality_id == town.id, RegisteredHousehold.household_no == household(0)
        )
    ).scalar_one()
    assert head.householder_name == "試験　太郎0"
    run = db.get(ImportRun, outcome.run_id)
    assert run.status == "succeeded" and run.layout_name == "test-town-residents" and len(run.file_sha256) == 64


def test_abort_writes_nothing_and_reports_each_bad_line(db, town, layout, tmp_path):
    lines = [resident_line(n) for n in range(6)]
    lines[2] = lines[2].replace(atena(2), atena(2)[:-1] + str((int(atena(2)[-1]) + 1) % 10))  # check digit
    lines[4] = resident_line(4, birth="3501340")  # 13th month
    path = write_cp932(tmp_path / "bad.csv", lines)
    outcome = import_file(db, town, "residents", path, layout)
    assert outcome.status == "refused"
    assert count(db, Resident, town) == 0 and count(db, RegisteredHousehold, town) == 0
    issues = (
        db.execute(select(ImportIssue).where(ImportIssue.run_id == outcome.run_id).order_by(ImportIssue.line_no))
        .scalars()
        .all()
    )
    assert [(i.line_no, i.field) for i in issues if i.severity == "error"] == [(4, "atena_no"), (6, "birth_date")]

    skipped = import_file(db, town, "residents", path, layout, on_error="skip")
    assert skipped.status == "succeeded" and skipped.counts["added"] == 4 and skipped.counts["skipped"] == 2
    assert count(db, Resident, town) == 4


def test_dry_run_writes_nothing(db, town, layout, tmp_path):
    outcome = import_file(
        db, town, "residents", write_cp932(tmp_path / "r.csv", [resident_line(1)]), layout, dry_run=True
    )
    assert outcome.status == "checked" and outcome.counts["added"] == 1
    assert count(db, Resident, town) == 0


def test_reimport_is_a_diff_and_leaves_victim_snapshots_alone(db, town, layout, tmp_path):
    first = [resident_line(n) for n in range(8)]
    assert import_file(db, town, "residents", write_cp932(tmp_path / "v1.csv", first), layout).status == "succeeded"
    # The same file again changes nothing.
    before = {
        r.atena_no: r.updated_at
        for r in db.execute(select(Resident).where(Resident.municipality_id == town.id)).scalars()
    }
    again = import_file(db, town, "residents", write_cp932(tmp_path / "v1b.csv", first), layout)
    assert again.counts["unchanged"] == 8 and again.counts["added"] == again.counts["changed"] == 0
    assert again.counts["removed"] == 0 and count(db, RegisterChange, town) == 0
    after = {
        r.atena_no: r.updated_at
        for r in db.execute(select(Resident).where(Resident.municipality_id == town.id)).scalars()
    }
    assert after == before

    # A victim household registered from 世帯 0 before the newer extract arrives.
    disaster = make_disaster(db, town.id)
    victim = households.register_from_resident_household(db, disaster, household(0), None)
    db.commit()
    snapshot = dict(victim.basic_snapshot)
    members_before = [(m.name, m.address, m.basic_snapshot) for m in households.members_of(db, victim.id)]

    newer = list(first)
    newer[0] = resident_line(0, address="見本市港町3番5号")  # moved within the city
    newer[1] = resident_line(1, status="22")  # died: kept, marked
    del newer[7]  # left the extract entirely
    newer.append(resident_line(8))  # born / moved in
    diff = import_file(db, town, "residents", write_cp932(tmp_path / "v2.csv", newer), layout)
    assert diff.status == "succeeded"
    assert (diff.counts["added"], diff.counts["changed"], diff.counts["unchanged"], diff.counts["removed"]) == (
        1,
        2,
        5,
        1,
    )
    assert count(db, Resident, town) == 9  # nobody deleted
    assert registry.get_resident(db, town.id, atena(1)).status == "deceased"
    gone = registry.get_resident(db, town.id, atena(7))
    assert gone.status == "removed" and gone.status_reason
    changes = {
        (c.key, c.field): (c.old_value, c.new_value)
        for c in db.execute(select(RegisterChange).where(RegisterChange.run_id == diff.run_id)).scalars()
    }
    assert changes[(atena(0), "address")][1] == "見本市港町3番5号"
    assert changes[(atena(1), "status")] == ("resident", "deceased")
    assert changes[(atena(7), "status")] == ("resident", "removed")
    assert registry.get_resident(db, town.id, atena(0)).last_run_id == diff.run_id

    db.rollback()
    victim = db.get(VictimHousehold, victim.id)
    assert victim.basic_snapshot == snapshot
    assert [(m.name, m.address, m.basic_snapshot) for m in households.members_of(db, victim.id)] == members_before


def test_dwellings_link_to_households_by_address_and_geocode(db, town, layout, tmp_path):
    lines = [
        resident_line(0, address="見本市桜町二丁目3番4号"),
        resident_line(1, address="見本市桜町二丁目3番4号"),
        resident_line(2, address="見本市桜町2-5-1　桜ハイツ101号室"),
        resident_line(4, address="見本市幻町1番1号"),
    ]
    assert import_file(db, town, "residents", write_cp932(tmp_path / "r.csv", lines), layout).status == "succeeded"
    dwellings = tmp_path / "d.csv"
    dwellings.write_bytes(
        "家屋番号,所在,構造,床面積,建築\r\n101-1,見本市桜町２丁目３番４号,木造,98.5,4550401\r\n"
        "205-2,見本市桜町二丁目5-1,鉄筋コンクリート造,820,4100301\r\n".encode("cp932")
    )
    dwelling_layout = tmp_path / "d.toml"
    dwelling_layout.write_text(
        '[layout]\nname="t-d"\nkind="dwellings"\nformat="csv"\nencoding="cp932"\nheader=true\ndate_style="wareki-code"\n'
        '[columns]\nhouse_no="家屋番号"\nlocation="所在"\nstructure="構造"\nfloor_area="床面積"\nbuilt_on="建築"\n',
        encoding="utf-8",
    )
    outcome = import_file(db, town, "dwellings", dwellings, load_layout(dwelling_layout))
    assert outcome.status == "succeeded" and outcome.counts["added"] == 2
    links = dict(
        db.execute(
            select(Occupancy.household_no, Dwelling.house_no)
            .join(Dwelling, Dwelling.id == Occupancy.dwelling_id)
            .where(Occupancy.municipality_id == town.id)
        ).all()
    )
    assert links == {household(0): "101-1", household(1): "205-2"}
    apartment = registry.dwellings_of_household(db, town.id, household(1))
    assert apartment[0][1].unit.endswith("101号室")

    # The address registry (位置参照情報 街区レベル) geocodes at block level, else town level, else none.
    points = tmp_path / "isj.csv"
    points.write_bytes(
        (
            "都道府県名,市区町村名,大字・町丁目名,小字・通称名,街区符号・地番,座標系番号,X座標,Y座標,緯度,経度,住居表示フラグ,代表フラグ,更新前履歴フラグ,更新後履歴フラグ\r\n"
            "架空県,見本市,桜町二丁目,,3,9,0,0,35.100000,139.200000,1,1,0,0\r\n"
            "架空県,見本市,桜町二丁目,,5,9,0,0,35.100500,139.200500,1,1,0,0\r\n"
        ).encode("cp932")
    )
    from importers.layout import load_preset

    geo = import_file(db, town, "addresses", points, load_preset("isj-gaiku"))
    assert geo.status == "succeeded", geo
    assert count(db, AddressPoint, town) == 2
    assert geo.unmatched_addresses == ["見本市幻町1番1号"]
    first = registry.get_resident(db, town.id, atena(0))
    assert first.geocode_level == "block" and first.lat == pytest.approx(35.1)
    assert registry.get_resident(db, town.id, atena(4)).geocode_level == "none"


def test_tax_records_link_to_people_and_household_income(db, town, layout, tmp_path):
    assert (
        import_file(
            db, town, "residents", write_cp932(tmp_path / "r.csv", [resident_line(n) for n in range(4)]), layout
        ).status
        == "succeeded"
    )
    tax = tmp_path / "t.csv"
    tax.write_bytes(
        (
            "宛名番号,年度,所得,課税\r\n"
            f"{atena(0)},2026,3200000,1\r\n{atena(1)},2026,800000,0\r\n{atena(2)},2026,0,0\r\n"
        ).encode("cp932")
    )
    tax_layout = tmp_path / "t.toml"
    tax_layout.write_text(
        '[layout]\nname="t-t"\nkind="tax"\nformat="csv"\nencoding="cp932"\nheader=true\ndate_style="iso"\n'
        '[columns]\natena_no="宛名番号"\nfiscal_year="年度"\ntotal_income="所得"\ntaxable="課税"\n'
        '[codes.taxable]\n"1"=true\n"0"=false\n',
        encoding="utf-8",
    )
    outcome = import_file(db, town, "tax", tax, load_layout(tax_layout))
    assert outcome.status == "succeeded" and outcome.counts["added"] == 3
    assert count(db, TaxRecord, town) == 3
    assert registry.household_income(db, town.id, household(0), 2026) == 4_000_000
    assert registry.household_income(db, town.id, household(0), 2025) is None


@pytest.mark.parametrize("reader", ["inline", "process"])
def test_my_number_is_encrypted_and_never_in_the_history(db, town, tmp_path, monkeypatch, reader):
    monkeypatch.setenv("VS_MY_NUMBER_KEY_FILE", str(tmp_path / "key"))
    from ledgers.registry import mynumber

    mynumber._key.cache_clear()
    mapping = tmp_path / "m.toml"
    mapping.write_text(
        RESIDENT_MAPPING.replace('status = "住民状態"', 'status = "住民状態"\nmy_number = "マイナンバー"'),
        encoding="utf-8",
    )
    layout = load_layout(mapping)

    def write(name: str, number: str) -> Path:
        path = tmp_path / name
        path.write_bytes((HEADER + ",マイナンバー\r\n" + resident_line(0) + f",{number}\r\n").encode("cp932"))
        return path

    assert (
        import_file(db, town, "residents", write("a.csv", "123456789018"), layout, reader=reader).status == "succeeded"
    )
    stored = registry.get_resident(db, town.id, atena(0))
    assert stored.my_number_cipher and "123456789018" not in stored.my_number_cipher
    assert mynumber.decrypt(stored.my_number_cipher, f"{town.code}:{atena(0)}") == "123456789018"
    same = import_file(db, town, "residents", write("b.csv", "123456789018"), layout, reader=reader)
    assert same.counts["unchanged"] == 1
    changed = import_file(
        db,
        town,
        "residents",
        write("c.csv", "987654321000"[:11] + mynumber.my_number_check_digit("98765432100")),
        layout,
        reader=reader,
    )
    assert changed.counts["changed"] == 1
    history = db.execute(select(RegisterChange).where(RegisterChange.run_id == changed.run_id)).scalars().all()
    assert [c.field for c in history] == ["my_number_cipher"]
    assert all("9876543210" not in c.old_value + c.new_value for c in history)
    mynumber._key.cache_clear()


def test_gaiji_map_is_applied(db, town, layout, tmp_path):
    from ledgers.registry.gaiji import parse_gaiji_csv, replace_gaiji_map

    replace_gaiji_map(db, town.id, parse_gaiji_csv("コード,文字,備考\nE000,𠮷,つちよし\n".encode()))
    db.commit()
    import_file(
        db, town, "residents", write_cp932(tmp_path / "r.csv", [resident_line(0, name=f"{GAIJI}田　一")]), layout
    )
    person = registry.get_resident(db, town.id, atena(0))
    assert person.name == "𠮷田　一" and person.name_raw == f"{GAIJI}田　一"


# ---------------------------------------------------------------- kill during import (CLI, own database)


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found.update(int(c) for c in (task / "children").read_text().split())
    return found


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


@pytest.mark.parametrize("reader", ["inline", "process"])
def test_killed_import_leaves_the_database_as_before(fresh_database_url, tmp_path, reader):
    from sqlmodel import Session

    from core.tenancy import add_municipality
    from victim_support.db import make_engine

    engine = make_engine(fresh_database_url)
    with Session(engine) as session:
        town_id = add_municipality(session, "992011", "見本市", "架空県").id
        session.commit()
    mapping = tmp_path / "r.toml"
    mapping.write_text(RESIDENT_MAPPING, encoding="utf-8")
    path = write_cp932(tmp_path / "big.csv", [resident_line(n) for n in range(60_000)])
    env = {**os.environ, "DATABASE_URL": fresh_database_url, "VS_IMPORT_READER": reader}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "victim_support.cli",
            "import",
            "residents",
            str(path),
            "--municipality",
            "992011",
            "--mapping",
            str(mapping),
        ],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = process.stderr.readline()
            if line.startswith("progress"):
                break
            assert line or process.poll() is None, "the import ended before it could be killed"
        children = _children(process.pid)
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    if reader == "process":
        assert children, "the import should have started its reader process"
        deadline = time.monotonic() + 30
        while not all(_gone(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert all(_gone(pid) for pid in children), "the reader process outlived the killed import"
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(Resident)).scalar_one() == 0
        assert session.execute(select(func.count()).select_from(RegisteredHousehold)).scalar_one() == 0
        run = session.execute(select(ImportRun)).scalar_one()
        from ledgers.registry.imports import run_status

        assert run.status == "running" and run_status(run) == "interrupted"
        assert run.municipality_id == town_id
    # and a new import of the same file then succeeds in full
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "victim_support.cli",
            "import",
            "residents",
            str(path),
            "--municipality",
            "992011",
            "--mapping",
            str(mapping),
            "--quiet",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    with Session(engine) as session:
        assert session.execute(select(func.count()).select_from(Resident)).scalar_one() == 60_000
    engine.dispose()


# ---------------------------------------------------------------- browser upload (background job)


def test_admin_uploads_a_file_follows_progress_and_downloads_the_report(db, town, tmp_path):
    from litestar.testing import TestClient

    from core.settings import Settings
    from tests.conftest import TEST_PASSWORD, make_user
    from tests.webclient import csrf_of, login
    from tests.webclient import select as choose
    from victim_support.app import create_app

    admin = make_user(db, town, "municipality_admin")
    staff = make_user(db, town, "staff")
    lines = [resident_line(n) for n in range(30)]
    lines[5] = resident_line(5, birth="S五十")  # one bad row (not a date)
    data = write_cp932(tmp_path / "upload.csv", lines).read_bytes()
    app = create_app(Settings(database_url=str(db.get_bind().url.render_as_string(hide_password=False))), db.get_bind())
    with TestClient(app) as client:
        login(client, admin.username, TEST_PASSWORD)
        choose(client, town.code)
        page = client.get("/admin/imports/")
        assert page.status_code == 200 and "chukan-residents" in page.text
        response = client.post(
            "/admin/imports/",
            data={"_csrf": csrf_of(page.text), "kind": "residents", "on_error": "skip"},
            files={
                "file": ("住民.csv", data, "text/csv"),
                "mapping": ("m.toml", RESIDENT_MAPPING.encode(), "application/toml"),
            },
            follow_redirects=False,
        )
        assert response.status_code in (302, 303), response.text
        job_url = response.headers["location"]
        deadline = time.monotonic() + 60
        while True:
            partial = client.get(job_url, headers={"HX-Request": "true"})
            assert partial.status_code == 200
            if "結果と報告を見る" in partial.text or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert 'value="100"' in partial.text
        result = client.get(job_url, follow_redirects=True)
        assert "完了" in result.text and "誤り" in result.text
        run_id = int(result.url.path.rstrip("/").split("/")[-1])
        run = db.get(ImportRun, run_id, populate_existing=True)
        assert run.file_name == "住民.csv" and run.file_size == len(data)  # the user's name, not the stored one
        assert run.file_sha256 == hashlib.sha256(data).hexdigest()
        assert "住民.csv" in result.text and run.file_sha256[:16] in result.text
        report = client.get(f"/admin/imports/{run_id}/report.csv")
        assert report.status_code == 200 and report.content.startswith("\ufeff".encode())
        assert "7,birth_date" in report.content.decode("utf-8-sig").replace("\r\n", "\n")
        assert count(db, Resident, town) == 29

    with TestClient(app) as other:
        login(other, staff.username, TEST_PASSWORD)
        choose(other, town.code)
        assert other.get("/admin/imports/").status_code == 403
        assert other.get(f"/admin/imports/{run_id}").status_code == 403
        assert "台帳取込" not in other.get("/").text


def test_an_interrupted_import_job_shows_on_any_instance_and_runs_again_from_the_retry_button(
    database_url, db, town, tmp_path, monkeypatch
):
    """The job page reads the job's row, so a second instance shows the progress of an import that
    another instance runs; when that instance dies the job shows 中断 there too, and 再実行 queues it
    again for whichever instance is free (audited, CSRF-checked, only for the tenant's importers)."""
    from datetime import timedelta

    from litestar.testing import TestClient
    from sqlalchemy import update

    from core import jobs
    from core.audit import Actor, AuditEntry
    from core.clock import utcnow
    from core.jobs import BackgroundJob
    from core.settings import Settings
    from ledgers.registry import import_job
    from tests.conftest import TEST_PASSWORD, make_user
    from tests.webclient import csrf_of, login
    from tests.webclient import select as choose
    from victim_support.app import create_app
    from victim_support.db import make_engine

    monkeypatch.setenv("VS_UPLOAD_DIR", str(tmp_path / "uploads"))
    admin = make_user(db, town, "municipality_admin")
    staff = make_user(db, town, "staff")
    elsewhere = make_municipality(db, "他市")
    outsider = make_user(db, elsewhere, "municipality_admin")
    data = write_cp932(tmp_path / "upload.csv", [resident_line(n) for n in range(12)]).read_bytes()
    (tmp_path / "uploads").mkdir()
    stored = tmp_path / "uploads" / "0123-住民.csv"
    stored.write_bytes(data)
    # as the upload page leaves it, then taken by an instance (on another host) that has read 5 rows
    params = import_job.import_params(
        kind="residents",
        stored_path=stored,
        file_name="住民.csv",
        file_sha256=hashlib.sha256(data).hexdigest(),
        on_error="abort",
        dry_run=False,
        mapping=RESIDENT_MAPPING,
        mapping_name="m.toml",
        actor=Actor(user_id=admin.id, username=admin.username, acting_municipality=town.code),
    )
    job = jobs.enqueue(db, import_job.KIND, town.id, params, created_by_id=admin.id, total=12)
    job.state, job.owner, job.attempts, job.progress_done = "running", "gone-host:4242:0abc", 1, 5
    job.started_at = job.heartbeat_at = utcnow()
    db.commit()
    job_url = f"/admin/imports/jobs/{job.id}"

    engines = [make_engine(database_url), make_engine(database_url)]
    apps = [create_app(Settings(database_url=database_url), engine) for engine in engines]
    try:
        with TestClient(apps[0]) as first, TestClient(apps[1]) as second:
            login(first, admin.username, TEST_PASSWORD)
            choose(first, town.code)
            second.cookies.update(first.cookies)  # one browser, its requests spread over two instances
            form = first.get("/admin/imports/").text
            wrong = first.post(
                "/admin/imports/",
                data={"_csrf": csrf_of(form), "kind": "dwellings"},
                files={
                    "file": ("住民.csv", data, "text/csv"),
                    "mapping": ("m.toml", RESIDENT_MAPPING.encode(), "application/toml"),
                },
                follow_redirects=False,
            )
            assert wrong.status_code == 400 and "合いません" in wrong.text  # refused before anything is stored
            assert [path.name for path in (tmp_path / "uploads").iterdir()] == [stored.name]
            running = second.get(job_url, headers={"HX-Request": "true"})
            assert running.status_code == 200
            assert "実行中" in running.text and 'value="41"' in running.text and "hx-get" in running.text
            assert "再実行" not in running.text

            db.execute(
                update(BackgroundJob)
                .where(BackgroundJob.id == job.id)
                .values(heartbeat_at=utcnow() - timedelta(minutes=2))
            )  # the instance died
            db.commit()
            page = first.get(job_url)
            assert page.status_code == 200 and "中断" in page.text and "再実行" in page.text
            assert "住民.csv" in page.text and "hx-get" not in page.text
            listing = second.get("/admin/imports/")
            assert job_url in listing.text and "中断" in listing.text

            refused = second.post(f"{job_url}/retry", data={}, follow_redirects=False)
            assert refused.status_code == 403  # no CSRF token
            assert jobs.get_job(db, job.id).state == "interrupted"
            db.rollback()

            retried = second.post(f"{job_url}/retry", data={"_csrf": csrf_of(page.text)}, follow_redirects=False)
            assert retried.status_code in (302, 303) and retried.headers["location"] == job_url
            deadline = time.monotonic() + 60
            while True:
                partial = first.get(job_url, headers={"HX-Request": "true"})
                if "結果と報告を見る" in partial.text or time.monotonic() > deadline:
                    break
                time.sleep(0.1)
            assert 'value="100"' in partial.text and "完了" in partial.text
            result = second.get(job_url, follow_redirects=True)
            assert "完了" in result.text and "住民.csv" in result.text
            assert count(db, Resident, town) == 12
            done = db.get(BackgroundJob, job.id, populate_existing=True)
            assert (done.state, done.attempts) == ("succeeded", 2)
            assert done.owner != "gone-host:4242:0abc" and done.owner in {app.state.jobs.owner for app in apps}
            assert not stored.exists()  # kept for the retry, removed once the import had an outcome
            run = db.get(ImportRun, done.result["run_id"])
            assert run.status == "succeeded" and run.started_by_id == admin.id and run.file_name == "住民.csv"
            audit = db.execute(
                select(AuditEntry.action, AuditEntry.actor_id, AuditEntry.target_id).where(
                    AuditEntry.action.in_(("job.retry", "import.residents")),
                    AuditEntry.acting_municipality == town.code,
                )
            ).all()
            assert sorted(audit) == [("import.residents", admin.id, str(run.id)), ("job.retry", admin.id, str(job.id))]

        for user, town_code, status in ((staff, town.code, 403), (outsider, elsewhere.code, 404)):
            with TestClient(apps[0]) as client:
                login(client, user.username, TEST_PASSWORD)
                choose(client, town_code)
                assert client.get(job_url).status_code == status
                form = client.get("/").text
                assert client.post(f"{job_url}/retry", data={"_csrf": csrf_of(form)}).status_code == status
    finally:
        for engine in engines:
            engine.dispose()


# ---------------------------------------------------------------- a first large load: indexes built after the rows


def test_a_first_load_into_an_empty_table_builds_the_indexes_after_the_rows(
    fresh_database_url, tmp_path, layout, monkeypatch
):
    from sqlalchemy import inspect
    from sqlmodel import Session

    from core.tenancy import add_municipality
    from ledgers.registry import imports
    from victim_support.db import make_engine

    expected = {index.name for index in Resident.__table__.indexes if not index.unique}
    households = {index.name for index in RegisteredHousehold.__table__.indexes if not index.unique}
    engine = make_engine(fresh_database_url)
    restored: list[str] = []
    real_restore = imports._restore_indexes

    def restore(session, indexes):
        restored.extend(index.name for index in indexes)
        real_restore(session, indexes)

    monkeypatch.setattr(imports, "_restore_indexes", restore)
    lines = [resident_line(n) for n in range(40)]
    try:
        with Session(engine, expire_on_commit=False) as session:
            town = add_municipality(session, "992011", "見本市", "架空県")
            session.commit()
            bad = write_cp932(tmp_path / "bad.csv", [*lines[:5], resident_line(5, birth="3501340")])
            refused = import_file(session, town, "residents", bad, layout, defer_indexes=True, reader="process")
            assert refused.status == "refused" and restored == []
            assert expected <= {ix["name"] for ix in inspect(engine).get_indexes("resident")}  # the drop rolled back

            outcome = import_file(
                session,
                town,
                "residents",
                write_cp932(tmp_path / "r.csv", lines),
                layout,
                defer_indexes=True,
                reader="process",
            )
            assert outcome.status == "succeeded" and outcome.counts["added"] == 40
            assert set(restored) == expected | households  # the derived 世帯 too
            assert expected <= {ix["name"] for ix in inspect(engine).get_indexes("resident")}
            assert households <= {ix["name"] for ix in inspect(engine).get_indexes("registered_household")}
            assert [r.atena_no for r in registry.search_residents(session, town.id, "試験　太郎7")] == [atena(7)]

            restored.clear()  # the table holds rows now: a second load keeps its indexes
            again = import_file(
                session, town, "residents", write_cp932(tmp_path / "r2.csv", lines[:30]), layout, defer_indexes=True
            )
            assert again.status == "succeeded" and again.counts["removed"] == 10 and restored == []
    finally:
        engine.dispose()


def test_a_reimport_updates_the_households_whose_members_moved_left_or_arrived(db, town, layout, tmp_path):
    first = [resident_line(n, address=f"見本市桜町一丁目{n // 2 + 1}番1号") for n in range(6)]
    assert import_file(db, town, "residents", write_cp932(tmp_path / "v1.csv", first), layout).status == "succeeded"

    def stored() -> dict[str, tuple]:
        db.rollback()
        db.expire_all()
        return {
            h.household_no: (h.address, h.householder_name, h.updated_at)
            for h in db.execute(
                select(RegisteredHousehold).where(RegisteredHousehold.municipality_id == town.id)
            ).scalars()
        }

    before = stored()
    assert len(before) == 3 and before[household(1)][1] == "試験　太郎2"
    newer = [
        *first[:2],
        resident_line(2, address="見本市桜町三丁目9番9号"),
        resident_line(3, address="見本市桜町三丁目9番9号"),
        resident_line(6),
        resident_line(7),
    ]  # 世帯 1 moved, 世帯 2 left, 世帯 3 is new
    diff = import_file(db, town, "residents", write_cp932(tmp_path / "v2.csv", newer), layout)
    assert diff.status == "succeeded" and diff.counts["removed"] == 2
    assert diff.counts["households_added"] == 1 and diff.counts["households_changed"] == 1
    after = stored()
    assert after[household(1)][0] == "見本市桜町三丁目9番9号"
    assert after[household(3)][1] == "試験　太郎6"
    assert after[household(0)] == before[household(0)]  # not touched
    changes = (
        db.execute(
            select(RegisterChange).where(
                RegisterChange.run_id == diff.run_id, RegisterChange.entity == "registered_household"
            )
        )
        .scalars()
        .all()
    )
    assert {(c.key, c.field) for c in changes} == {(household(1), "address")}


def test_the_validation_report_guards_formula_cells(db, town, layout, tmp_path, database_url):
    # A rejected value that a spreadsheet would run as a formula comes out quoted (issue: CSV injection).
    from click.testing import CliRunner

    from victim_support.cli import main

    lines = [resident_line(n) for n in range(3)]
    lines[1] = resident_line(1, birth="=cmd|' /C calc'!A0")
    outcome = import_file(db, town, "residents", write_cp932(tmp_path / "evil.csv", lines), layout)
    assert outcome.status == "refused"
    result = CliRunner().invoke(
        main, ["import-report", str(outcome.run_id), "--municipality", town.code], env={"DATABASE_URL": database_url}
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(io.StringIO(result.output)))
    assert rows[0] == ["line", "field", "value", "reason", "severity"]
    values = [row[2] for row in rows[1:] if row[1] == "birth_date"]
    assert values == ["'=cmd|' /C calc'!A0"]
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)


@pytest.mark.parametrize("content", [bytes(range(256)) * 8, "氏名,住所\r\n山田,東京\r\n".encode("cp932")])
def test_a_binary_or_foreign_file_ends_as_a_failed_run_with_one_readable_line(
    db, town, tmp_path, database_url, content
):
    # Before: surrogate-escaped bytes in the message made writing the failed status raise, the run
    # stayed "running" and the CLI printed a traceback.
    from click.testing import CliRunner

    from core.audit import AuditEntry
    from victim_support.cli import main

    path = tmp_path / "wrong.csv"
    path.write_bytes(content)
    result = CliRunner().invoke(
        main,
        ["import", "residents", str(path), "--municipality", town.code, "--layout", "chukan-residents", "--quiet"],
        env={"DATABASE_URL": database_url},
    )
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: 取込 ") and "は失敗しました" in lines[0], result.output
    assert "Traceback" not in result.output and "\udc80" not in result.output
    db.rollback()
    run = db.execute(select(ImportRun).where(ImportRun.municipality_id == town.id)).scalars().one()
    assert run.status == "failed" and run.finished_at is not None
    assert "宛名番号" in run.message and run.message.isprintable()
    if content.startswith(b"\x00"):
        assert "\\x" in run.message  # the undecodable bytes shown as \xNN
    entry = (
        db.execute(
            select(AuditEntry).where(AuditEntry.action == "import.residents", AuditEntry.target_id == str(run.id))
        )
        .scalars()
        .one()
    )
    assert '"failed"' in entry.detail


def test_the_browser_report_guards_formula_cells(db, town, layout, tmp_path):
    from litestar.testing import TestClient

    from core.settings import Settings
    from tests.conftest import TEST_PASSWORD, make_user
    from tests.webclient import login
    from tests.webclient import select as choose
    from victim_support.app import create_app

    lines = [resident_line(n) for n in range(3)]
    lines[2] = resident_line(2, birth="=cmd|' /C calc'!A0")
    outcome = import_file(db, town, "residents", write_cp932(tmp_path / "evil.csv", lines), layout)
    admin = make_user(db, town, "municipality_admin")
    app = create_app(Settings(database_url=str(db.get_bind().url.render_as_string(hide_password=False))), db.get_bind())
    with TestClient(app) as client:
        login(client, admin.username, TEST_PASSWORD)
        choose(client, town.code)
        report = client.get(f"/admin/imports/{outcome.run_id}/report.csv")
    assert report.status_code == 200 and report.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(report.content.decode("utf-8-sig"))))
    assert rows[0] == ["行", "項目", "値", "理由", "重要度"]
    assert [row[2] for row in rows[1:] if row[1] == "birth_date"] == ["'=cmd|' /C calc'!A0"]
