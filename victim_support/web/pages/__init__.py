"""HTML controllers (Japanese UI)."""

from victim_support.web.pages.auth import AuthPages
from victim_support.web.pages.certificates import CertificatePages
from victim_support.web.pages.imports import ImportPages
from victim_support.web.pages.ledger import LedgerPages
from victim_support.web.pages.surveys import SurveyPages

PAGE_CONTROLLERS = [AuthPages, LedgerPages, ImportPages, SurveyPages, CertificatePages]
