"""Jinja filters and globals for the Japanese UI."""

from __future__ import annotations

from datetime import date, datetime

from litestar.contrib.jinja import JinjaTemplateEngine

from core.clock import to_jst, today_jst
from core.text import contains_gaiji
from core.wareki import to_wareki
from ledgers.disasters.models import DISASTER_KIND_LABELS, DISASTER_STATUS_LABELS, DisasterKind, DisasterStatus
from ledgers.households.models import (
    HOUSEHOLD_STATUS_LABELS,
    MEMBER_CONDITION_LABELS,
    HouseholdStatus,
    MemberCondition,
)
from victim_support.accounts.permissions import ROLE_LABELS

SEX_LABELS = {"male": "男", "female": "女", "": "—"}


def _label(table):  # noqa: ANN001, ANN202
    by_value = {key.value if hasattr(key, "value") else key: text for key, text in table.items()}
    return lambda value: by_value.get(value, value or "")


def jdate(value: date | None) -> str:
    """A date in 和暦 with the 西暦 year, as counter staff read it: 令和8年11月24日 (2026)."""
    if value is None:
        return ""
    try:
        return f"{to_wareki(value)}（{value.year}）"
    except ValueError:
        return value.isoformat()


def jdatetime(value: datetime | None) -> str:
    local = to_jst(value)
    return local.strftime("%Y-%m-%d %H:%M") if local else ""


def age(value: date | None) -> str:
    if value is None:
        return ""
    today = today_jst()
    return str(today.year - value.year - ((today.month, today.day) < (value.month, value.day)))


def gaiji_marked(value: str) -> str:
    """Mark user-defined characters (外字) so staff see them: 〓 placeholder with the code."""
    from markupsafe import Markup, escape

    if not value or not contains_gaiji(value):
        return value
    parts = []
    for ch in value:
        if 0xE000 <= ord(ch) <= 0xF8FF:
            parts.append(Markup('<span class="gaiji" title="外字 U+{:04X}">〓</span>').format(ord(ch)))
        else:
            parts.append(escape(ch))
    return Markup("").join(parts)


def configure_environment(engine: JinjaTemplateEngine) -> None:
    env = engine.engine
    env.filters.update(
        {
            "jdate": jdate,
            "jdatetime": jdatetime,
            "age": age,
            "gaiji": gaiji_marked,
            "kind_label": _label(DISASTER_KIND_LABELS),
            "disaster_status_label": _label(DISASTER_STATUS_LABELS),
            "household_status_label": _label(HOUSEHOLD_STATUS_LABELS),
            "condition_label": _label(MEMBER_CONDITION_LABELS),
            "sex_label": _label(SEX_LABELS),
            "role_label": _label(ROLE_LABELS),
        }
    )
    env.globals.update(
        {
            "DISASTER_KINDS": [(k.value, DISASTER_KIND_LABELS[k]) for k in DisasterKind],
            "DISASTER_STATUSES": [(s.value, DISASTER_STATUS_LABELS[s]) for s in DisasterStatus],
            "HOUSEHOLD_STATUSES": [(s.value, HOUSEHOLD_STATUS_LABELS[s]) for s in HouseholdStatus],
            "MEMBER_CONDITIONS": [(c.value, MEMBER_CONDITION_LABELS[c]) for c in MemberCondition],
        }
    )
