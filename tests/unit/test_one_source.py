"""Lists the web layer shows are the domain's own, not copies: import kinds and roles."""

from __future__ import annotations

from core.accounts import Role
from importers.fields import KINDS as KIND_SPECS
from ledgers.registry import imports
from victim_support.accounts.permissions import PERMISSIONS, ROLE_LABELS
from victim_support.web.imports.pages import KIND_LABELS


def test_the_import_page_offers_the_kinds_the_import_accepts_with_their_names():
    assert list(KIND_LABELS) == list(imports.KINDS)
    assert set(imports.KINDS) == set(KIND_SPECS)
    assert all(KIND_LABELS[kind] == KIND_SPECS[kind].ja for kind in KIND_LABELS)


def test_every_role_has_a_label_and_permissions():
    roles = [role.value for role in Role]
    assert list(ROLE_LABELS) == roles
    assert set(PERMISSIONS) == set(roles)
