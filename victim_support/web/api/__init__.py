"""JSON API under /api/v1 (msgspec structs in and out; errors as problem details)."""

from victim_support.web.api.certificates import SurveyCertificateApi
from victim_support.web.api.ledger import LedgerApi

API_CONTROLLERS = [LedgerApi, SurveyCertificateApi]
