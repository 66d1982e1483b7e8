"""Roles and what they may do. Kept as data so a municipality can read it in one place."""

from __future__ import annotations

from core.accounts import Role

ROLE_LABELS = {
    Role.system_admin.value: "システム管理者",
    Role.municipality_admin.value: "団体管理者",
    Role.staff.value: "職員",
    Role.surveyor.value: "調査員",
    Role.viewer.value: "閲覧者",
}

READ = {"disaster.read", "household.read", "resident.read"}
PERMISSIONS: dict[str, frozenset[str]] = {
    Role.viewer.value: frozenset(READ),
    Role.surveyor.value: frozenset(READ | {"survey.write"}),
    Role.staff.value: frozenset(READ | {"household.write", "survey.write", "certificate.issue"}),
    Role.municipality_admin.value: frozenset(
        READ
        | {
            "household.write",
            "survey.write",
            "disaster.manage",
            "user.manage",
            "audit.read",
            "registry.import",
            "certificate.issue",
            "certificate.configure",
        }
    ),
    Role.system_admin.value: frozenset(
        READ
        | {
            "household.write",
            "survey.write",
            "disaster.manage",
            "user.manage",
            "audit.read",
            "municipality.manage",
            "registry.import",
            "certificate.issue",
            "certificate.configure",
        }
    ),
}
ADMIN_ROLES = frozenset({Role.system_admin.value, Role.municipality_admin.value})
