"""Every table model, imported in one place so metadata (and Alembic) sees them all."""

from core.accounts import ApiToken, Grant, LoginThrottle, User, UserSession
from core.audit import AuditEntry, AuditHead
from core.jobs import BackgroundJob
from core.tenancy import Municipality
from ledgers.certificates.models import Certificate, CertificateApplication, IssuerSetting
from ledgers.disasters.models import Disaster
from ledgers.households.models import ProvisionConsent, VictimHousehold, VictimMember
from ledgers.registry.models import (
    AddressPoint,
    Dwelling,
    GaijiMapping,
    ImportIssue,
    ImportRun,
    Land,
    Occupancy,
    RegisterChange,
    RegisteredHousehold,
    Resident,
    TaxRecord,
)
from ledgers.surveys.models import Survey, SurveyPhoto, SurveyPlanItem

__all__ = [
    "Certificate",
    "CertificateApplication",
    "IssuerSetting",
    "Survey",
    "SurveyPhoto",
    "SurveyPlanItem",
    "AddressPoint",
    "GaijiMapping",
    "ImportIssue",
    "ImportRun",
    "Land",
    "RegisterChange",
    "TaxRecord",
    "ApiToken",
    "AuditEntry",
    "AuditHead",
    "BackgroundJob",
    "Disaster",
    "Dwelling",
    "Grant",
    "LoginThrottle",
    "Municipality",
    "Occupancy",
    "ProvisionConsent",
    "RegisteredHousehold",
    "Resident",
    "User",
    "UserSession",
    "VictimHousehold",
    "VictimMember",
]
