"""HTML controllers (Japanese UI)."""

from victim_support.web.pages.auth import AuthPages
from victim_support.web.pages.imports import ImportPages
from victim_support.web.pages.ledger import LedgerPages

PAGE_CONTROLLERS = [AuthPages, LedgerPages, ImportPages]
