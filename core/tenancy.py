"""Municipalities (地方公共団体): the tenant every personal-data row belongs to, and adding/finding them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlmodel import Field, Session, SQLModel

from core.clock import utcnow
from core.codes import is_valid_municipality_code


class Municipality(SQLModel, table=True):
    """A tenant, keyed by its 6-digit 地方公共団体コード (with check digit)."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=6, unique=True, index=True)
    name: str = Field(max_length=60)
    prefecture: str = Field(default="", max_length=10)
    created_at: datetime = Field(default_factory=utcnow)


class TenancyError(ValueError):
    pass


def add_municipality(session: Session, code: str, name: str, prefecture: str = "") -> Municipality:
    code = code.strip()
    if len(code) != 6 or not (code.isascii() and code.isdigit()):
        raise TenancyError(f"地方公共団体コードは6桁の数字です: {code!r}")
    if not is_valid_municipality_code(code):
        raise TenancyError(f"地方公共団体コード {code} の検査数字が正しくありません")
    if not name.strip():
        raise TenancyError("団体名を指定してください")
    if get_by_code(session, code) is not None:
        raise TenancyError(f"地方公共団体コード {code} は登録済みです")
    municipality = Municipality(code=code, name=name.strip(), prefecture=prefecture.strip())
    session.add(municipality)
    session.flush()
    return municipality


def get_by_code(session: Session, code: str) -> Municipality | None:
    return session.execute(select(Municipality).where(Municipality.code == code)).scalar_one_or_none()


def list_municipalities(session: Session) -> list[Municipality]:
    return list(session.execute(select(Municipality).order_by(Municipality.code)).scalars())
