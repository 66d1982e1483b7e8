"""The controllers of the web layer, one folder per area: the one list the application registers."""

from victim_support.web.accounts.pages import AuthPages
from victim_support.web.certificates.api import CertificateApi
from victim_support.web.certificates.pages import CertificatePages
from victim_support.web.dashboard.pages import DashboardPages
from victim_support.web.disasters.api import DisasterApi
from victim_support.web.disasters.pages import DisasterPages
from victim_support.web.households.api import HouseholdApi
from victim_support.web.households.pages import HouseholdPages
from victim_support.web.imports.pages import ImportPages
from victim_support.web.residents.api import ResidentApi
from victim_support.web.residents.pages import ResidentPages
from victim_support.web.surveys.api import SurveyApi
from victim_support.web.surveys.pages import SurveyPages

# HTML controllers (Japanese UI, not in the OpenAPI document).
PAGE_CONTROLLERS = [
    AuthPages,
    DashboardPages,
    DisasterPages,
    HouseholdPages,
    ResidentPages,
    ImportPages,
    SurveyPages,
    CertificatePages,
]
# JSON API under /api/v1 (msgspec structs in and out; errors as problem details). The order is the
# order of the paths in the OpenAPI document.
API_CONTROLLERS = [DisasterApi, HouseholdApi, ResidentApi, SurveyApi, CertificateApi]
