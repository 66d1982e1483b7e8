"""The command line (``victim-support``) on SQLite and PostgreSQL, through click's CliRunner."""

from __future__ import annotations

import json
import uuid

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import select, update
from sqlmodel import Session

from core.accounts import Grant, User
from core.audit import AuditEntry
from core.codes import municipality_check_digit
from core.tenancy import get_by_code
from tests.conftest import random_municipality_code
from tests.factories import load_register, make_household
from victim_support.accounts.services import access_for, find_user, user_for_token
from victim_support.cli import main
from victim_support.db import make_engine
from victim_support.demo import DEMO_CODE, DEMO_PASSWORD

PASSWORD = "cli-pass-2026x"


@pytest.fixture
def cli(database_url, db):
    """Run a command; the test's own session then starts afresh, so it sees what the command wrote
    (a SQLite read transaction keeps the snapshot it began with)."""
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):  # noqa: A002
        db.rollback()
        result = runner.invoke(main, list(args), env={"DATABASE_URL": database_url}, input=input)
        db.rollback()
        return result

    return invoke


def _new_code(db: Session) -> str:
    while True:
        code = random_municipality_code()
        if get_by_code(db, code) is None:
            return code


def _add_municipality(cli, db: Session) -> str:
    code = _new_code(db)
    result = cli("municipality", "add", code, "試験市", "--prefecture", "試験県")
    assert result.exit_code == 0, result.output
    return code


def _one_line_error(result) -> str:
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


# ---------------------------------------------------------------- help


def _commands(group: click.Group, path: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


def test_help_on_every_command():
    runner = CliRunner()
    paths = [(), *_commands(main)]
    assert ("demo",) in paths and ("user", "totp-reset") in paths and ("audit", "verify") in paths
    for path in paths:
        result = runner.invoke(main, [*path, "--help"])
        assert result.exit_code == 0, (path, result.output)
        assert "Usage:" in result.output


# ---------------------------------------------------------------- municipality


def test_municipality_add_and_list(cli, db):
    code = _add_municipality(cli, db)
    assert get_by_code(db, code).name == "試験市"
    listed = cli("municipality", "list", "--json")
    assert listed.exit_code == 0
    assert {"code": code, "name": "試験市", "prefecture": "試験県"} in json.loads(listed.stdout)
    # the write was audited in the same transaction
    entry = db.execute(
        select(AuditEntry).where(AuditEntry.action == "municipality.add", AuditEntry.target_id == code)
    ).scalar_one()
    assert entry.actor_name == "cli"


def test_municipality_add_refuses_bad_check_digit(cli, db):
    code = _new_code(db)
    wrong = code[:5] + str((int(code[5]) + 1) % 10)
    result = cli("municipality", "add", wrong, "誤り市")
    line = _one_line_error(result)
    assert result.exit_code == 2
    assert line.startswith("error:") and "検査数字" in line
    assert get_by_code(db, wrong) is None


@pytest.mark.parametrize("bad", ["12345", "１３１０１６", "13101X"])
def test_municipality_add_refuses_malformed_code(cli, bad):
    line = _one_line_error(cli("municipality", "add", bad, "誤り市"))
    assert "6桁" in line


def test_duplicate_municipality_is_refused(cli, db):
    code = _add_municipality(cli, db)
    assert "登録済み" in _one_line_error(cli("municipality", "add", code, "二重市"))


# ---------------------------------------------------------------- users and tokens


def test_user_add_with_roles_and_grant(cli, db):
    code = _add_municipality(cli, db)
    other = _add_municipality(cli, db)
    name = f"cli-{uuid.uuid4().hex[:8]}"
    result = cli(
        "user",
        "add",
        name,
        "--municipality",
        code,
        "--password",
        PASSWORD,
        "--role",
        "staff",
        "--role",
        "viewer",
        "--display-name",
        "試験 職員",
    )
    assert result.exit_code == 0, result.output
    user = find_user(db, name)
    assert user.display_name == "試験 職員"
    access = access_for(db, user)
    municipality = get_by_code(db, code)
    assert access.roles_in(municipality.id) == ["staff", "viewer"]
    assert access.can("household.write", municipality.id)

    # mutual-aid grant in another municipality, limited in time
    result = cli(
        "user",
        "grant",
        name,
        "--role",
        "surveyor",
        "--municipality",
        other,
        "--valid-until",
        "2099-12-31",
        "--agreement",
        "応援協定",
    )
    assert result.exit_code == 0, result.output
    listed = json.loads(cli("user", "list", "--municipality", other, "--json").stdout)
    assert [u["username"] for u in listed] == [name]
    assert {"role": "surveyor", "municipality": other} in [
        {"role": g["role"], "municipality": g["municipality"]} for g in listed[0]["grants"]
    ]


def test_user_add_password_from_stdin_and_system_admin(cli, db):
    code = _add_municipality(cli, db)
    name = f"cli-{uuid.uuid4().hex[:8]}"
    result = cli(
        "user", "add", name, "--municipality", code, "--password-stdin", "--role", "system_admin", input=PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    user = find_user(db, name)
    grant = db.execute(select(Grant).where(Grant.user_id == user.id)).scalar_one()
    assert grant.role == "system_admin" and grant.municipality_id is None


def test_user_add_refusals(cli, db):
    code = _add_municipality(cli, db)
    name = f"cli-{uuid.uuid4().hex[:8]}"
    assert "10文字" in _one_line_error(cli("user", "add", name, "--municipality", code, "--password", "short"))
    assert "登録されていません" in _one_line_error(
        cli("user", "add", name, "--municipality", _new_code(db), "--password", PASSWORD)
    )
    bad_role = cli("user", "add", name, "--municipality", code, "--password", PASSWORD, "--role", "king")
    assert bad_role.exit_code == 2 and "Traceback" not in bad_role.output
    assert find_user(db, name) is None  # nothing half-created


def test_unlock_and_totp_reset(cli, db):
    code = _add_municipality(cli, db)
    name = f"cli-{uuid.uuid4().hex[:8]}"
    assert cli("user", "add", name, "--municipality", code, "--password", PASSWORD).exit_code == 0
    user = find_user(db, name)
    db.execute(update(User).where(User.id == user.id).values(failed_logins=3, totp_enabled=True, totp_secret="X" * 32))
    db.commit()
    assert cli("user", "unlock", name).exit_code == 0
    assert cli("user", "totp-reset", name).exit_code == 0
    db.expire_all()
    user = find_user(db, name)
    assert user.failed_logins == 0 and user.locked_until is None
    assert user.totp_enabled is False and user.totp_secret is None
    assert "ありません" in _one_line_error(cli("user", "unlock", "no-such-user-x"))


def test_token_create_prints_a_working_token(cli, db):
    code = _add_municipality(cli, db)
    name = f"cli-{uuid.uuid4().hex[:8]}"
    assert cli("user", "add", name, "--municipality", code, "--password", PASSWORD, "--role", "viewer").exit_code == 0
    result = cli("token", "create", name, "--label", "試験", "--days", "30")
    assert result.exit_code == 0, result.output
    raw = result.stdout.strip()
    assert raw.startswith("vst_") and "\n" not in raw
    assert user_for_token(db, raw).username == name
    assert "ありません" in _one_line_error(cli("token", "create", "no-such-user-x"))


# ---------------------------------------------------------------- disasters and stats


def test_disaster_add_and_list_json(cli, db):
    code = _add_municipality(cli, db)
    result = cli(
        "disaster",
        "add",
        "--municipality",
        code,
        "--name",
        "試験地震",
        "--kind",
        "earthquake",
        "--date",
        "2026-11-20",
        "--relief-act",
        "2026-11-20",
        "--support-act",
        "2026-11-22",
    )
    assert result.exit_code == 0, result.output
    result = cli(
        "disaster",
        "add",
        "--municipality",
        code,
        "--name",
        "試験水害",
        "--kind",
        "flood",
        "--date",
        "2026-07-01",
        "--number",
        "F-1",
    )
    assert result.exit_code == 0, result.output
    listed = cli("disaster", "list", "--municipality", code, "--json")
    assert listed.exit_code == 0
    rows = {d["number"]: d for d in json.loads(listed.stdout)}
    assert set(rows) == {"2026-01", "F-1"}
    quake = rows["2026-01"]
    assert quake == {
        "number": "2026-01",
        "name": "試験地震",
        "kind": "earthquake",
        "occurred_on": "2026-11-20",
        "status": "active",
        "relief_act_applied": True,
        "relief_act_applied_on": "2026-11-20",
        "support_act_applied": True,
        "support_act_applied_on": "2026-11-22",
        "households": 0,
    }
    assert rows["F-1"]["relief_act_applied"] is False and rows["F-1"]["relief_act_applied_on"] is None
    table = cli("disaster", "list", "--municipality", code)
    assert table.exit_code == 0 and "試験地震" in table.stdout


def test_disaster_add_refusals(cli, db):
    code = _add_municipality(cli, db)
    base = ["disaster", "add", "--municipality", code, "--name", "試験", "--kind", "earthquake"]
    assert "発生日より前" in _one_line_error(cli(*base, "--date", "2026-11-20", "--relief-act", "2026-11-01"))
    bad_date = cli(*base, "--date", "2026-13-40")
    assert bad_date.exit_code == 2 and "Traceback" not in bad_date.output
    assert cli(*base, "--date", "2026-11-20", "--number", "X-1").exit_code == 0
    assert "既に登録" in _one_line_error(cli(*base, "--date", "2026-11-20", "--number", "X-1"))
    assert "登録されていません" in _one_line_error(cli("disaster", "list", "--municipality", _new_code(db)))


def test_stats_json_counts(cli, db):
    code = _add_municipality(cli, db)
    municipality = get_by_code(db, code)
    city = load_register(db, municipality.id, n_residents=40, seed=3)
    assert (
        cli(
            "disaster",
            "add",
            "--municipality",
            code,
            "--name",
            "試験地震",
            "--kind",
            "earthquake",
            "--date",
            "2026-11-20",
            "--number",
            "2026-01",
        ).exit_code
        == 0
    )
    from ledgers.disasters.services import get_disaster

    make_household(db, get_disaster(db, municipality.id, "2026-01"))
    result = cli("stats", "--municipality", code, "--json")
    assert result.exit_code == 0, result.output
    [stats] = json.loads(result.stdout)
    assert stats["code"] == code
    assert stats["residents"] == len(city.residents)
    assert stats["registered_households"] == len(city.households)
    assert stats["disasters"] == 1
    assert stats["victim_households"] == 1 and stats["victim_members"] == 1
    assert stats["dwellings"] == len(city.dwellings) > 0
    everything = json.loads(cli("stats", "--json").stdout)
    assert code in {s["code"] for s in everything}
    assert cli("stats").exit_code == 0


def test_audit_verify_ok(cli, db):
    _add_municipality(cli, db)
    result = cli("audit", "verify")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("OK: ") and "chain intact" in result.stdout


def test_unmigrated_database_is_a_one_line_error(tmp_path):
    runner = CliRunner()
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    result = runner.invoke(main, ["municipality", "list"], env={"DATABASE_URL": url})
    assert "db upgrade" in _one_line_error(result)
    assert runner.invoke(main, ["db", "current"], env={"DATABASE_URL": url}).exit_code == 0


# ---------------------------------------------------------------- demo (own database)


def test_demo_loads_is_idempotent_and_audited(fresh_database_url):
    runner = CliRunner()
    env = {"DATABASE_URL": fresh_database_url}
    assert "99201" + municipality_check_digit("99201") == DEMO_CODE

    first = runner.invoke(main, ["demo", "--size", "300", "--seed", "5"], env=env)
    assert first.exit_code == 0, first.output
    assert f"demo-staff / {DEMO_PASSWORD}" in first.stdout and "ログイン" in first.stdout

    again = runner.invoke(main, ["demo", "--size", "300", "--seed", "5"], env=env)
    assert again.exit_code == 0, again.output
    assert "already loaded" in again.stdout and "demo-staff" in again.stdout

    [stats] = json.loads(runner.invoke(main, ["stats", "--municipality", DEMO_CODE, "--json"], env=env).stdout)
    assert stats["residents"] == 300  # loaded once only
    assert stats["dwellings"] > 0
    assert stats["disasters"] == 1
    assert stats["victim_households"] >= 5 and stats["victim_members"] >= stats["victim_households"]

    engine = make_engine(fresh_database_url)
    try:
        with Session(engine) as session:
            municipality = get_by_code(session, DEMO_CODE)
            staff = find_user(session, "demo-staff")
            admin = find_user(session, "demo-admin")
            assert access_for(session, staff).can("household.write", municipality.id)
            assert not access_for(session, staff).needs_second_factor
            assert access_for(session, admin).needs_second_factor
            from ledgers.households.models import VictimHousehold, VictimMember

            statuses = set(session.execute(select(VictimHousehold.status)).scalars())
            assert statuses == {"registered", "in_support", "closed"}
            vulnerable = session.execute(select(VictimMember).where(VictimMember.is_vulnerable)).scalars().all()
            assert vulnerable and all(m.vulnerability_reason for m in vulnerable)
            manual = session.execute(select(VictimHousehold).where(VictimHousehold.source_household_no == "")).all()
            assert len(manual) == 1

        ok = runner.invoke(main, ["audit", "verify"], env=env)
        assert ok.exit_code == 0 and "chain intact" in ok.stdout

        # tampering is named by the verifier
        with Session(engine) as session:
            entry = session.execute(select(AuditEntry).where(AuditEntry.seq == 2)).scalar_one()
            session.execute(update(AuditEntry).where(AuditEntry.id == entry.id).values(detail='{"forged": true}'))
            session.commit()
        broken = runner.invoke(main, ["audit", "verify"], env=env)
        assert broken.exit_code == 1
        assert "seq 2" in broken.stderr and "modified" in broken.stderr
    finally:
        engine.dispose()


def test_keys_init_makes_the_key_files_once(cli, tmp_path, monkeypatch):
    key = tmp_path / "deploy" / "my_number.key"
    signing = tmp_path / "deploy" / "audit.key"
    monkeypatch.setenv("VS_MY_NUMBER_KEY_FILE", str(key))
    monkeypatch.setenv("VS_AUDIT_KEY_FILE", str(signing))
    first = cli("keys", "init")
    assert first.exit_code == 0, first.output
    for made in (key, signing):
        assert made.is_file() and made.stat().st_mode & 0o077 == 0 and len(made.read_bytes().strip()) == 44
    before = key.read_bytes()
    again = cli("keys", "init")
    assert again.exit_code == 2 and "すでにあります" in _one_line_error(again)
    assert key.read_bytes() == before


def _mistake(args: list[str], database_url: str) -> str:
    result = CliRunner().invoke(main, args, env={"DATABASE_URL": database_url})
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)
    return _one_line_error(result)


def test_newcomer_mistakes_give_one_line_and_exit_2(cli, db, tmp_path, database_url):
    code = _add_municipality(cli, db)
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    foreign = tmp_path / "foreign.csv"
    foreign.write_bytes("氏名,住所\r\n山田,東京\r\n".encode("cp932"))
    mapping = tmp_path / "sjis.toml"
    mapping.write_bytes('[layout]\nname = "取込"\n'.encode("cp932"))
    importing = ["import", "residents", "--municipality", code, "--quiet"]
    assert "empty" in _mistake(
        [*importing[:2], str(empty), *importing[2:], "--layout", "chukan-residents"], database_url
    )
    assert "宛名番号" in _mistake(
        [*importing[:2], str(foreign), *importing[2:], "--layout", "chukan-residents"], database_url
    )
    assert "Shift_JIS" in _mistake(
        [*importing[:2], str(foreign), *importing[2:], "--mapping", str(mapping)], database_url
    )
    assert "対応していません" in _mistake(["municipality", "list"], "mysql://user@host/db")
    assert "対応していません" in _mistake(["db", "upgrade"], "oracle://user@host/db")


def test_a_postgresql_database_that_does_not_exist_is_named(tmp_path):
    from tests.conftest import POSTGRES_ADMIN_URL, create_postgres_database, drop_postgres_database

    drop_postgres_database(create_postgres_database())  # PostgreSQL is there (fails when required and absent)
    missing = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/vs_missing_{uuid.uuid4().hex[:8]}"
    for args in (["db", "upgrade"], ["municipality", "list"]):
        line = _mistake(args, missing)
        assert "がありません" in line and "createdb" in line
