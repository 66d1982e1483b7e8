"""The controllers of the web layer, one folder per area: the one list the application registers."""

from victim_support.web.accounts.pages import AuthPages
from victim_support.web.certificates.api import SurveyCertificateApi
from victim_support.web.certificates.pages import CertificatePages
from victim_support.web.households.api import LedgerApi
from victim_support.web.households.pages import LedgerPages
from victim_support.web.imports.pages import ImportPages
from victim_support.web.surveys.pages import SurveyPages

# HTML controllers (Japanese UI, not in the OpenAPI document).
PAGE_CONTROLLERS = [AuthPages, LedgerPages, ImportPages, SurveyPages, CertificatePages]
# JSON API under /api/v1 (msgspec structs in and out; errors as problem details).
API_CONTROLLERS = [LedgerApi, SurveyCertificateApi]
