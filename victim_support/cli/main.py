"""Command line: ``victim-support`` (serve, migrations, tenants, users, disasters, stats, audit, demo).

The database is ``DATABASE_URL`` (default ``sqlite:///var/victim_support.db``). Services do the
work; every command is one transaction, committed here together with its audit entries. Bad input
ends with one line ``error: ...`` on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import sys
from datetime import date, datetime
from typing import Any

import click
from sqlalchemy import func, inspect, select
from sqlmodel import Session, SQLModel

from core.accounts import Grant, Role, User
from core.audit import record
from core.keys import write_key_file
from core.settings import Settings
from ledgers.disasters.models import DisasterKind
from victim_support.cli.common import (
    DATE,
    CliError,
    VictimSupportGroup,
    actor,
    database_url,
    date_of,
    echo_json,
    echo_table,
    municipality_of,
    session_scope,
    user_of,
)
from victim_support.cli.imports import gaiji, import_command, import_report, layouts_command, synth
from victim_support.cli.rules import rules

ROLES = tuple(role.value for role in Role)
DISASTER_KINDS = tuple(kind.value for kind in DisasterKind)


# ---------------------------------------------------------------- main group


def _environment_help() -> str:
    """The settings (core.settings.ENVIRONMENT) under the top-level --help; ``\\b`` keeps click from
    rewrapping the rows."""
    from core.settings import ENVIRONMENT

    width = max(len(name) for name, _, _ in ENVIRONMENT)
    rows = "\n".join(
        f"{name:<{width}}  {meaning} {default if default.startswith('(') else f'(default: {default})'}"
        for name, default, meaning in ENVIRONMENT
    )
    return f"Environment variables:\n\n\b\n{rows}"


@click.group(
    cls=VictimSupportGroup, context_settings={"help_option_names": ["-h", "--help"]}, epilog=_environment_help()
)
def main() -> None:
    """被災者支援システム (victim-support): server, database, tenants, users and demo data.

    The database is taken from DATABASE_URL (default sqlite:///var/victim_support.db).
    """


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="TCP port.")
@click.option("--reload", is_flag=True, help="Restart on code changes (development).")
def serve(host: str, port: int, reload: bool) -> None:
    """Run the web application (HTML UI and JSON API) with uvicorn."""
    import uvicorn

    uvicorn.run("victim_support.app:create_app", factory=True, host=host, port=port, reload=reload)


# ---------------------------------------------------------------- db


@main.group()
def db() -> None:
    """Database schema (Alembic migrations)."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
def db_upgrade(revision: str) -> None:
    """Create or upgrade the schema to the latest revision."""
    from victim_support.migrate import upgrade

    upgrade(database_url(), revision)
    click.echo(f"database is at revision {_current() or '(none)'}")


def _current() -> str | None:
    from victim_support.migrate import current_revision

    return current_revision(database_url())


@db.command("current")
def db_current() -> None:
    """Print the schema revision of the database."""
    click.echo(_current() or "(none: run `victim-support db upgrade`)")


# ---------------------------------------------------------------- municipality


@main.group()
def municipality() -> None:
    """Municipalities (tenants, 地方公共団体)."""


@municipality.command("add")
@click.argument("code")
@click.argument("name")
@click.option("--prefecture", default="", help="Prefecture name (都道府県).")
def municipality_add(code: str, name: str, prefecture: str) -> None:
    """Add a municipality by its 6-digit code (地方公共団体コード, check digit verified)."""
    from core.tenancy import add_municipality

    with session_scope() as session:
        created = add_municipality(session, code, name, prefecture)
        record(
            session,
            actor(created.code),
            "municipality.add",
            "municipality",
            created.code,
            {"name": created.name, "prefecture": created.prefecture},
        )
        session.commit()
        click.echo(f"added municipality {created.code} {created.name}")


@municipality.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def municipality_list(as_json: bool) -> None:
    """List municipalities."""
    from core.tenancy import list_municipalities

    with session_scope() as session:
        rows = [{"code": m.code, "name": m.name, "prefecture": m.prefecture} for m in list_municipalities(session)]
    if as_json:
        echo_json(rows)
        return
    echo_table(["code", "name", "prefecture"], [[m["code"], m["name"], m["prefecture"]] for m in rows])


# ---------------------------------------------------------------- users


@main.group()
def user() -> None:
    """Users and their role grants."""


def _read_password(password: str | None, password_stdin: bool) -> str:
    if password is not None and password_stdin:
        raise CliError("--password と --password-stdin は同時に指定できません")
    if password_stdin:
        value = sys.stdin.readline().rstrip("\r\n")
        if not value:
            raise CliError("標準入力からパスワードを読めませんでした")
        return value
    if password is not None:
        return password
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _grant(
    session: Session,
    target: User,
    role: str,
    municipality_code: str | None,
    disaster_number: str | None,
    valid_from: date | None,
    valid_until: date | None,
    agreement: str,
) -> Grant:
    from ledgers.disasters.services import require_disaster
    from victim_support.accounts.services import add_grant

    grant_municipality = None
    if role != "system_admin" or municipality_code:
        if not municipality_code:
            raise CliError(f"役割 {role} には --municipality（対象の団体）が必要です")
        grant_municipality = municipality_of(session, municipality_code)
    if role == "system_admin":
        grant_municipality = None  # system administrators act for every municipality
    disaster_id = None
    if disaster_number:
        if grant_municipality is None:
            raise CliError("--disaster は団体を限定した役割にだけ指定できます")
        disaster_id = require_disaster(session, grant_municipality.id, disaster_number).id
    grant = add_grant(
        session,
        target,
        role,
        grant_municipality,
        disaster_id=disaster_id,
        valid_from=valid_from,
        valid_until=valid_until,
        agreement=agreement,
    )
    code = grant_municipality.code if grant_municipality else ""
    record(
        session,
        actor(code, disaster_number or ""),
        "grant.add",
        "user",
        target.username,
        {
            "role": role,
            "municipality": code or None,
            "disaster": disaster_number,
            "valid_from": valid_from,
            "valid_until": valid_until,
            "agreement": agreement,
        },
    )
    return grant


@user.command("add")
@click.argument("username")
@click.option("--municipality", "home_code", required=True, help="Home municipality code (所属団体).")
@click.option("--display-name", default="", help="Name shown in the UI (default: the username).")
@click.option("--password", default=None, help="Password (prompted when neither this nor --password-stdin).")
@click.option("--password-stdin", is_flag=True, help="Read the password from the first line of stdin.")
@click.option("--role", "roles", multiple=True, type=click.Choice(ROLES), help="Role to grant (repeatable).")
@click.option(
    "--grant-municipality", default=None, help="Municipality the roles are granted in (default: the home municipality)."
)
@click.option("--disaster", "disaster_number", default=None, help="Limit the grants to one disaster (災害番号).")
@click.option("--valid-from", type=DATE, default=None, help="Grants valid from (YYYY-MM-DD).")
@click.option("--valid-until", type=DATE, default=None, help="Grants valid until (YYYY-MM-DD).")
@click.option("--agreement", default="", help="Mutual-aid agreement the grants rest on (応援協定).")
def user_add(
    username: str,
    home_code: str,
    display_name: str,
    password: str | None,
    password_stdin: bool,
    roles: tuple[str, ...],
    grant_municipality: str | None,
    disaster_number: str | None,
    valid_from: datetime | None,
    valid_until: datetime | None,
    agreement: str,
) -> None:
    """Create a user with a home municipality and role grants."""
    from victim_support.accounts.services import create_user

    secret = _read_password(password, password_stdin)
    with session_scope() as session:
        home = municipality_of(session, home_code)
        created = create_user(session, username, secret, display_name, home)
        record(
            session,
            actor(home.code),
            "user.create",
            "user",
            created.username,
            {"home_municipality": home.code, "display_name": created.display_name},
        )
        for role in dict.fromkeys(roles):
            _grant(
                session,
                created,
                role,
                grant_municipality or home.code,
                disaster_number,
                date_of(valid_from),
                date_of(valid_until),
                agreement,
            )
        session.commit()
        click.echo(f"created user {created.username} ({home.code}; roles: {', '.join(dict.fromkeys(roles)) or 'none'})")


@user.command("grant")
@click.argument("username")
@click.option("--role", required=True, type=click.Choice(ROLES), help="Role to grant.")
@click.option(
    "--municipality",
    "municipality_code",
    default=None,
    help="Municipality of the grant (required except for system_admin).",
)
@click.option("--disaster", "disaster_number", default=None, help="Limit the grant to one disaster (災害番号).")
@click.option("--valid-from", type=DATE, default=None, help="Valid from (YYYY-MM-DD).")
@click.option("--valid-until", type=DATE, default=None, help="Valid until (YYYY-MM-DD).")
@click.option("--agreement", default="", help="Mutual-aid agreement (応援協定).")
def user_grant(
    username: str,
    role: str,
    municipality_code: str | None,
    disaster_number: str | None,
    valid_from: datetime | None,
    valid_until: datetime | None,
    agreement: str,
) -> None:
    """Grant a role to an existing user (e.g. mutual-aid staff from another municipality)."""
    with session_scope() as session:
        target = user_of(session, username)
        _grant(
            session,
            target,
            role,
            municipality_code,
            disaster_number,
            date_of(valid_from),
            date_of(valid_until),
            agreement,
        )
        session.commit()
        click.echo(f"granted {role} to {target.username}" + (f" in {municipality_code}" if municipality_code else ""))


@user.command("list")
@click.option(
    "--municipality",
    "municipality_code",
    default=None,
    help="Only users whose home is, or who hold a grant in, this municipality.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def user_list(municipality_code: str | None, as_json: bool) -> None:
    """List users with their home municipality and active grants."""
    from core.accounts import Grant, User
    from core.tenancy import Municipality
    from victim_support.accounts.services import active_grants, is_locked

    with session_scope() as session:
        from ledgers.disasters.models import Disaster

        codes = dict(session.execute(select(Municipality.id, Municipality.code)).all())
        disasters = dict(session.execute(select(Disaster.id, Disaster.number)).all())
        query = select(User).order_by(User.username)
        if municipality_code:
            target = municipality_of(session, municipality_code)
            query = query.where(
                (User.home_municipality_id == target.id)
                | User.id.in_(select(Grant.user_id).where(Grant.municipality_id == target.id))
            )
        out = []
        for u in session.execute(query).scalars():
            grants = [
                {
                    "role": g.role,
                    "municipality": codes.get(g.municipality_id) if g.municipality_id else None,
                    "disaster": disasters.get(g.disaster_id) if g.disaster_id else None,
                    "valid_from": g.valid_from,
                    "valid_until": g.valid_until,
                }
                for g in active_grants(session, u.id)
            ]
            out.append(
                {
                    "username": u.username,
                    "display_name": u.display_name,
                    "home_municipality": codes.get(u.home_municipality_id) if u.home_municipality_id else None,
                    "active": u.is_active,
                    "locked": is_locked(u),
                    "totp_enabled": u.totp_enabled,
                    "grants": grants,
                }
            )
    if as_json:
        echo_json(out)
        return
    rows = [
        [
            u["username"],
            u["display_name"],
            u["home_municipality"] or "",
            ", ".join(
                f"{g['role']}@{g['municipality'] or '*'}" + (f"/{g['disaster']}" if g["disaster"] else "")
                for g in u["grants"]
            ),
            "yes" if u["totp_enabled"] else "no",
            "LOCKED" if u["locked"] else "",
        ]
        for u in out
    ]
    echo_table(["username", "display name", "home", "grants", "totp", ""], rows)


@user.command("unlock")
@click.argument("username")
def user_unlock(username: str) -> None:
    """Clear a login lockout (and the failure count) of a user."""
    with session_scope() as session:
        target = user_of(session, username)
        target.failed_logins = 0
        target.first_failed_at = None
        target.locked_until = None
        session.add(target)
        record(session, actor(), "user.unlock", "user", target.username)
        session.commit()
        click.echo(f"unlocked {target.username}")


@user.command("totp-reset")
@click.argument("username")
def user_totp_reset(username: str) -> None:
    """Remove a user's TOTP second factor; they enrol again at their next login."""
    with session_scope() as session:
        target = user_of(session, username)
        target.totp_secret = None
        target.totp_enabled = False
        target.totp_last_step = 0
        session.add(target)
        record(session, actor(), "user.totp_reset", "user", target.username)
        session.commit()
        click.echo(f"second factor of {target.username} removed; it is enrolled again at the next login")


# ---------------------------------------------------------------- API tokens


@main.group()
def token() -> None:
    """API tokens (Authorization: Bearer ...)."""


@token.command("create")
@click.argument("username")
@click.option("--label", default="", help="What the token is for.")
@click.option(
    "--days", default=365, show_default=True, type=click.IntRange(min=0), help="Days until it expires (0 = never)."
)
def token_create(username: str, label: str, days: int) -> None:
    """Create an API token for a user and print it (shown only once)."""
    from victim_support.accounts.services import create_api_token

    with session_scope() as session:
        owner = user_of(session, username)
        raw, row = create_api_token(session, owner, label=label, days=days or None)
        record(
            session,
            actor(),
            "token.create",
            "user",
            owner.username,
            {"prefix": row.prefix, "label": label, "expires_at": row.expires_at},
        )
        session.commit()
    click.echo(raw)
    click.echo("(store it now: only its hash is kept)", err=True)


# ---------------------------------------------------------------- disasters


@main.group()
def disaster() -> None:
    """Disasters (災害) of a municipality."""


@disaster.command("add")
@click.option("--municipality", "municipality_code", required=True, help="Municipality code.")
@click.option("--name", required=True, help="Disaster name (災害名).")
@click.option("--kind", required=True, type=click.Choice(DISASTER_KINDS), help="Kind of disaster.")
@click.option("--date", "occurred_on", required=True, type=DATE, help="Date it occurred (YYYY-MM-DD).")
@click.option("--number", default=None, help="災害番号 (default: YEAR-NN, the next free one).")
@click.option("--relief-act", type=DATE, default=None, help="災害救助法 applied on (YYYY-MM-DD).")
@click.option("--support-act", type=DATE, default=None, help="被災者生活再建支援法 applied on (YYYY-MM-DD).")
def disaster_add(
    municipality_code: str,
    name: str,
    kind: str,
    occurred_on: datetime,
    number: str | None,
    relief_act: datetime | None,
    support_act: datetime | None,
) -> None:
    """Register a disaster."""
    from ledgers.disasters.services import DisasterInput, add_disaster

    with session_scope() as session:
        target = municipality_of(session, municipality_code)
        data = DisasterInput(
            name=name,
            kind=kind,
            occurred_on=occurred_on.date(),
            number=number,
            relief_act_applied=relief_act is not None,
            relief_act_applied_on=date_of(relief_act),
            support_act_applied=support_act is not None,
            support_act_applied_on=date_of(support_act),
        )
        created = add_disaster(session, target.id, data)
        record(
            session,
            actor(target.code, created.number),
            "disaster.add",
            "disaster",
            created.number,
            {"name": created.name, "kind": created.kind, "occurred_on": created.occurred_on},
        )
        session.commit()
        click.echo(f"added disaster {created.number} {created.name} ({target.code})")


@disaster.command("list")
@click.option("--municipality", "municipality_code", required=True, help="Municipality code.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def disaster_list(municipality_code: str, as_json: bool) -> None:
    """List the disasters of a municipality with their household counts."""
    from ledgers.disasters.services import list_disasters
    from ledgers.households.models import VictimHousehold

    with session_scope() as session:
        target = municipality_of(session, municipality_code)
        counts = dict(
            session.execute(
                select(VictimHousehold.disaster_id, func.count())
                .where(VictimHousehold.municipality_id == target.id)
                .group_by(VictimHousehold.disaster_id)
            ).all()
        )
        out = [
            {
                "number": d.number,
                "name": d.name,
                "kind": d.kind,
                "occurred_on": d.occurred_on,
                "status": d.status,
                "relief_act_applied": d.relief_act_applied,
                "relief_act_applied_on": d.relief_act_applied_on,
                "support_act_applied": d.support_act_applied,
                "support_act_applied_on": d.support_act_applied_on,
                "households": counts.get(d.id, 0),
            }
            for d in list_disasters(session, target.id)
        ]
    if as_json:
        echo_json(out)
        return
    echo_table(
        ["number", "name", "kind", "occurred", "status", "救助法", "支援法", "households"],
        [
            [
                d["number"],
                d["name"],
                d["kind"],
                d["occurred_on"],
                d["status"],
                d["relief_act_applied_on"] or ("yes" if d["relief_act_applied"] else "-"),
                d["support_act_applied_on"] or ("yes" if d["support_act_applied"] else "-"),
                d["households"],
            ]
            for d in out
        ],
    )


# ---------------------------------------------------------------- stats

# Tables counted when they exist (later parts of the system add them): stat name -> candidates.
OPTIONAL_TABLES = {
    "certificates": ("damage_certificate", "certificate"),
    "payments": ("payment",),
}


def _municipality_stats(session: Session, municipality, present: set[str]) -> dict[str, Any]:  # noqa: ANN001
    from ledgers.disasters.models import Disaster
    from ledgers.households.models import VictimHousehold, VictimMember
    from ledgers.registry.services import count_rows, register_counts

    mid = municipality.id
    stats: dict[str, Any] = {
        "code": municipality.code,
        "name": municipality.name,
        **register_counts(session, mid),
        "disasters": count_rows(session, Disaster, mid),
        "victim_households": count_rows(session, VictimHousehold, mid),
        "victim_members": count_rows(session, VictimMember, mid),
    }
    for key, candidates in OPTIONAL_TABLES.items():
        value = 0
        for name in candidates:
            table = SQLModel.metadata.tables.get(name)
            if table is not None and name in present and "municipality_id" in table.c:
                value = count_rows(session, table, mid)
                break
        stats[key] = value
    return stats


@main.command()
@click.option("--municipality", "municipality_code", default=None, help="Only this municipality.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (a list of objects, one per municipality).")
def stats(municipality_code: str | None, as_json: bool) -> None:
    """Counts per municipality: residents, households, disasters, victim households, ..."""
    import victim_support.models  # noqa: F401  (every table in the metadata)
    from core.tenancy import list_municipalities

    with session_scope() as session:
        present = set(inspect(session.connection()).get_table_names())
        targets = [municipality_of(session, municipality_code)] if municipality_code else list_municipalities(session)
        out = [_municipality_stats(session, m, present) for m in targets]
    if as_json:
        echo_json(out)
        return
    keys = [
        "residents",
        "registered_households",
        "dwellings",
        "disasters",
        "victim_households",
        "victim_members",
        "certificates",
        "payments",
    ]
    echo_table(["code", "name", *keys], [[s["code"], s["name"], *(s[k] for k in keys)] for s in out])


# ---------------------------------------------------------------- audit


@main.group()
def audit() -> None:
    """The hash-chained audit log (監査ログ)."""


@audit.command("verify")
def audit_verify() -> None:
    """Check the whole chain, and the chain against the signed checkpoints; exit 1 naming every
    modified or deleted entry, and every checkpoint the chain no longer matches."""
    from core.audit import audit_key, read_checkpoints, verify, verify_checkpoints

    settings = Settings.from_env()
    checkpoints = read_checkpoints(settings.audit_checkpoint_path)
    with session_scope() as session:
        count, problems = verify(session)
        if checkpoints:
            problems += verify_checkpoints(session, checkpoints, audit_key(settings))
    if not problems:
        against = f", matches {len(checkpoints)} signed checkpoint(s)" if checkpoints else " (no signed checkpoint yet)"
        click.echo(f"OK: {count} entries, chain intact{against}")
        return
    for problem in problems:
        where = f"seq {problem.seq}" if problem.seq is not None else "seq ?"
        if problem.entry_id is not None:
            where += f" (id {problem.entry_id})"
        click.echo(f"BROKEN {where}: {problem.message}", err=True)
    click.echo(f"FAILED: {count} entries checked, {len(problems)} problem(s)", err=True)
    sys.exit(1)


@audit.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign the head of the chain (HMAC, key outside the database) and append it to the checkpoint
    file (VS_AUDIT_CHECKPOINT_FILE); also printed, to be kept elsewhere too. Run it from cron."""
    from core.audit import write_checkpoint

    with session_scope() as session:
        checkpoint, path = write_checkpoint(session)
    click.echo(f"checkpoint at entry {checkpoint.seq} written to {path}")
    click.echo(checkpoint.to_json())


# ---------------------------------------------------------------- keys


@main.group()
def keys() -> None:
    """The 個人番号 encryption key (the same on every server of a deployment)."""


@keys.command("init")
def keys_init() -> None:
    """Make the key files, mode 0600, once: the 個人番号 key (VS_MY_NUMBER_KEY_FILE, default
    var/my_number.key) and the audit checkpoint key (VS_AUDIT_KEY_FILE, default var/audit.key).

    Copy them to every app server (or give them VS_MY_NUMBER_KEY / VS_AUDIT_KEY); keep a backup:
    without the first the encrypted 個人番号 cannot be read."""
    settings = Settings.from_env()
    paths = [settings.my_number_key_path, settings.audit_key_path]
    existing = [str(path) for path in paths if path.exists()]
    if existing:
        raise CliError(f"鍵ファイル {', '.join(existing)} はすでにあります（上書きしません）")
    for path in paths:
        click.echo(f"created {write_key_file(path)}")


# ---------------------------------------------------------------- demo


@main.command()
@click.option("--size", default=3000, show_default=True, type=click.IntRange(min=1), help="Number of residents.")
@click.option("--seed", default=1, show_default=True, type=int, help="Seed of the synthetic register.")
@click.option("--reset", is_flag=True, help="Delete the demo municipality (and its users) first, then load again.")
def demo(size: int, seed: int, reset: bool) -> None:
    """Load a synthetic demo municipality (見本市, 架空県) with users, a disaster and households.

    Does nothing when the demo municipality is already there (unless --reset).
    """
    from victim_support.demo import load_demo

    settings = Settings.from_env()
    # demo mode only: a production deployment is given its keys (see `victim-support keys init`)
    for what, configured, path in (
        ("個人番号", settings.my_number_key, settings.my_number_key_path),
        ("audit checkpoint", settings.audit_key, settings.audit_key_path),
    ):
        if not configured and not path.exists():
            click.echo(f"created the {what} key for the demo: {write_key_file(path)}")
    with session_scope() as session:
        result = load_demo(session, size=size, seed=seed, reset=reset)
        session.commit()
    if result.created:
        click.echo(
            f"loaded demo municipality {result.municipality_code} {result.municipality_name}: "
            f"{result.residents} residents in {result.registered_households} households, {result.dwellings} dwellings, "
            f"disaster {result.disaster_number} with {result.victim_households} victim households"
        )
    else:
        click.echo(f"demo data already loaded ({result.municipality_code} {result.municipality_name}); nothing changed")
    click.echo("デモ用の架空データです。公開パスワードのため、実データのある環境では使わないでください。")
    for login in result.logins:
        note = "（初回ログイン時に二要素認証(TOTP)を登録）" if login.needs_totp else ""
        click.echo(f"ログイン: {login.username} / {login.password}  [{login.role}]{note}  (http://127.0.0.1:8000)")


for command in (import_command, import_report, layouts_command, gaiji, synth, rules):
    main.add_command(command)


if __name__ == "__main__":  # pragma: no cover
    main()
