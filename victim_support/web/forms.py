"""The write sequence of every HTML form: make the change, record it, commit, redirect.

A page controller checks who may do what and reads the form; ``save`` does the rest the same way
everywhere::

    return save(
        db, ctx,
        lambda: households.add_member(db, household, _member_input(data)),
        audit=lambda member: Audit("member.create", "victim_member", member.id, {"household": household.victim_no}),
        redirect=lambda member: f"/households/{household.id}?tab=members",
        form=lambda error: page("households/member.html", ctx, error.status_code, form=data, error=error),
    )
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from litestar.response import Redirect, Template
from sqlmodel import Session

from core.audit import record
from core.errors import DomainError
from victim_support.web.context import RequestContext

T = TypeVar("T")


@dataclass(frozen=True)
class Audit:
    """The audit log entry of a change (core.audit.record without the session and the actor)."""

    action: str
    target_type: str
    target_id: str | int
    detail: dict[str, Any] | None = None
    disaster_number: str | None = None


def save(
    db: Session,
    ctx: RequestContext,
    change: Callable[[], T],
    *,
    audit: Callable[[T], Audit],
    redirect: Callable[[T], str] | str,
    form: Callable[[DomainError], Template] | None = None,
    refresh: Iterable[object] = (),
) -> Template | Redirect:
    """Run ``change`` (the service call, and reading the form if that can fail), then record
    ``audit(result)`` in the same transaction, commit, and redirect to ``redirect(result)``.

    When ``change`` raises a DomainError (a refused value, a stale version) nothing is written: the
    transaction is rolled back, the objects in ``refresh`` are read again (so a form shows the
    saved values next to what the user typed) and the answer is ``form(error)``, the form again
    with the error. A page without ``form`` lets the error go on to the error page; it then always
    redirects."""
    try:
        result = change()
    except DomainError as error:
        if form is None:
            raise
        db.rollback()
        for instance in refresh:
            db.refresh(instance)
        return form(error)
    entry = audit(result)
    record(
        db,
        ctx.actor,
        entry.action,
        entry.target_type,
        entry.target_id,
        entry.detail,
        disaster_number=entry.disaster_number,
    )
    db.commit()
    return Redirect(redirect(result) if callable(redirect) else redirect)
