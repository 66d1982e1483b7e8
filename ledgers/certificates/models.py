"""Certificate applications (申請), certificates (罹災証明書・被災証明書) and the issuer settings.

Certificates are an append-only chain: a reprint (再交付) keeps the number and counts; a re-issue
after a re-survey gets a new number and marks the old one ``superseded``; a cancellation keeps
the row with its reason. Numbers come from ``disaster.last_certificate_no`` inside the issuing
transaction, so they are unique and gapless per municipality and disaster.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Column, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel

from core.clock import utcnow
from core.mixins import TenantScoped, Versioned


class CertificateKind(str, enum.Enum):
    damage = "damage"  # 罹災証明書 (住家)
    victim = "victim"  # 被災証明書 (家財・車・事業所 etc., free text)


class CertificateStatus(str, enum.Enum):
    issued = "issued"  # 交付済 (current)
    superseded = "superseded"  # 再調査等により更新済
    cancelled = "cancelled"  # 取消


CERTIFICATE_KIND_LABELS = {CertificateKind.damage: "罹災証明書", CertificateKind.victim: "被災証明書"}
CERTIFICATE_STATUS_LABELS = {
    CertificateStatus.issued: "交付済",
    CertificateStatus.superseded: "更新済（旧証明）",
    CertificateStatus.cancelled: "取消",
}


class CertificateApplication(TenantScoped, table=True):
    """申請 of a household for a certificate, at the counter or in bulk."""

    __tablename__ = "certificate_application"

    id: int | None = Field(default=None, primary_key=True)
    disaster_id: int = Field(foreign_key="disaster.id", index=True)
    household_id: int = Field(foreign_key="victim_household.id", index=True)
    kind: str = Field(default=CertificateKind.damage.value, max_length=20)
    channel: str = Field(default="counter", max_length=20)  # counter | bulk | api
    applied_on: date
    resurvey_requested_at: datetime | None = None  # 再調査の依頼 (when)
    resurvey_reason: str = Field(default="", max_length=400)
    notes: str = Field(default="")
    created_at: datetime = Field(default_factory=utcnow)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class Certificate(TenantScoped, Versioned, table=True):
    """An issued certificate; the printed values are kept so a reprint prints the same."""

    __tablename__ = "certificate"
    __table_args__ = (UniqueConstraint("disaster_id", "number"),)

    id: int | None = Field(default=None, primary_key=True)
    disaster_id: int = Field(foreign_key="disaster.id", index=True)
    household_id: int = Field(foreign_key="victim_household.id", index=True)
    application_id: int | None = Field(default=None, foreign_key="certificate_application.id")
    number: int  # 交付番号, gapless per disaster
    kind: str = Field(default=CertificateKind.damage.value, max_length=20)
    status: str = Field(default=CertificateStatus.issued.value, max_length=20)
    dwelling_id: int | None = Field(default=None, foreign_key="dwelling.id")
    survey_id: int | None = Field(default=None, foreign_key="damage_survey.id")
    damage_class: str = Field(default="", max_length=30)
    damage_label: str = Field(default="", max_length=60)
    rule_version: str = Field(default="", max_length=40)
    flood_class: str = Field(default="", max_length=20)
    head_name: str = Field(default="", max_length=100)
    head_address: str = Field(default="", max_length=200)
    dwelling_location: str = Field(default="", max_length=200)
    house_no: str = Field(default="", max_length=40)
    victim_text: str = Field(default="")  # 被害の状況 (被災証明書)
    notes: str = Field(default="")  # 備考
    issued_on: date
    issued_at: datetime = Field(default_factory=utcnow)
    issued_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    supersedes_id: int | None = Field(default=None, foreign_key="certificate.id")
    superseded_by_id: int | None = Field(default=None, foreign_key="certificate.id")
    cancelled_on: date | None = None
    cancel_reason: str = Field(default="", max_length=400)
    reprint_count: int = 0
    last_reprinted_on: date | None = None


class IssuerSetting(SQLModel, table=True):
    """Who issues the certificates of a municipality: name, mayor, seal (公印) image."""

    __tablename__ = "certificate_issuer"

    id: int | None = Field(default=None, primary_key=True)
    municipality_id: int = Field(foreign_key="municipality.id", unique=True)
    issuer_name: str = Field(default="", max_length=60)  # 見本市 (printed before 市長)
    mayor_name: str = Field(default="", max_length=60)
    mayor_title: str = Field(default="", max_length=40)  # "" = from the name (市長 / 町長 / 村長)
    seal_png: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    updated_at: datetime = Field(default_factory=utcnow)
