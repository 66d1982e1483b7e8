"""What every ``victim-support`` command shares: one-line errors (exit 2), the session, the actor,
lookups and output helpers. Imported by the command modules; imports none of them."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import click
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from core.accounts import User
from core.audit import Actor
from core.errors import DomainError
from core.settings import Settings
from core.tenancy import Municipality, TenancyError, get_by_code
from victim_support.accounts.services import AccountError, find_user
from victim_support.db import UnsupportedDatabase, make_engine

CLI_ACTOR_NAME = "cli"


class CliError(click.ClickException):
    """A refused command: one line on stderr, exit status 2."""

    exit_code = 2

    def show(self, file=None) -> None:  # noqa: ANN001
        click.echo(f"error: {self.format_message()}", err=True, file=file)


def first_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


class VictimSupportGroup(click.Group):
    """The top group: turns refused operations and database errors into one-line errors."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (DomainError, AccountError, TenancyError, UnsupportedDatabase) as exc:
            raise CliError(str(exc)) from None
        except SQLAlchemyError as exc:
            raise CliError(database_problem(exc)) from None


def database_problem(exc: BaseException) -> str:
    """One line a newcomer can act on, for the database errors one meets first."""
    text = str(getattr(exc, "orig", None) or exc)
    missing = re.search(r'database "([^"]+)" does not exist', text)
    if missing:
        name = missing.group(1)
        return (
            f"データベース {name} がありません。先に作成してください（例: createdb {name}）。"
            "作成後に victim-support db upgrade を実行します"
        )
    if "Connection refused" in text or "could not connect" in text or "connection failed" in text:
        return f"データベースに接続できません（DATABASE_URL を確かめてください）: {first_line(exc)}"
    hint = ""
    if "no such table" in text or "does not exist" in text:
        hint = " (run `victim-support db upgrade` first?)"
    return f"database error: {first_line(exc)}{hint}"


# ---------------------------------------------------------------- helpers


def database_url() -> str:
    return Settings.from_env().database_url


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session for one command; the command commits, anything else is rolled back."""
    engine = make_engine(database_url())
    session = Session(engine, expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()  # rolls back whatever was not committed; loaded objects stay readable
        engine.dispose()


def actor(acting: str = "", disaster: str = "") -> Actor:
    return Actor(username=CLI_ACTOR_NAME, acting_municipality=acting, disaster_number=disaster)


def municipality_of(session: Session, code: str) -> Municipality:
    municipality = get_by_code(session, code.strip())
    if municipality is None:
        raise CliError(f"地方公共団体コード {code} の団体は登録されていません")
    return municipality


def user_of(session: Session, username: str) -> User:
    user = find_user(session, username.strip())
    if user is None:
        raise CliError(f"ユーザー {username} はありません")
    return user


def date_of(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


DATE = click.DateTime(formats=["%Y-%m-%d"])


def json_default(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=json_default))


def text_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def echo_table(headers: list[str], rows: list[list[Any]]) -> None:
    cells = [[("" if v is None else str(v)) for v in row] for row in rows]
    widths = [max([text_width(h)] + [text_width(row[i]) for row in cells]) for i, h in enumerate(headers)]

    def line(values: list[str]) -> str:
        return "  ".join(v + " " * (w - text_width(v)) for v, w in zip(values, widths)).rstrip()

    click.echo(line(headers))
    click.echo(line(["-" * w for w in widths]))
    for row in cells:
        click.echo(line(row))
