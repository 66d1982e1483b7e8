"""The write sequence of the HTML forms (victim_support.web.forms.save), step by step."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from litestar.response import Redirect, Template

from core.errors import DomainError, StaleEdit
from victim_support.web import forms
from victim_support.web.forms import Audit, save


class FakeSession:
    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def rollback(self) -> None:
        self.calls.append(("rollback",))

    def refresh(self, instance: object) -> None:
        self.calls.append(("refresh", instance))

    def commit(self) -> None:
        self.calls.append(("commit",))


@pytest.fixture
def db(monkeypatch) -> FakeSession:
    session = FakeSession()

    def record(db, actor, action, target_type="", target_id="", detail=None, *, disaster_number=None):
        db.calls.append(("record", actor, action, target_type, target_id, detail, disaster_number))

    monkeypatch.setattr(forms, "record", record)
    return session


CTX = SimpleNamespace(actor="actor")


def test_a_change_is_recorded_committed_and_redirected(db):
    result = SimpleNamespace(id=7, number="2026-01")
    response = save(
        db,
        CTX,
        lambda: result,
        audit=lambda r: Audit("thing.create", "thing", r.id, {"n": r.number}, disaster_number="2026-01"),
        redirect=lambda r: f"/things/{r.id}",
        form=lambda error: pytest.fail("no error, no form"),
    )
    assert isinstance(response, Redirect) and response.url == "/things/7"
    assert db.calls == [("record", "actor", "thing.create", "thing", 7, {"n": "2026-01"}, "2026-01"), ("commit",)]
    assert save(db, CTX, lambda: None, audit=lambda _: Audit("x", "y", 1), redirect="/fixed").url == "/fixed"


def test_a_refused_change_rolls_back_refreshes_and_shows_the_form_again(db):
    saved = object()

    def change():
        raise StaleEdit("他の利用者が先に更新しました")

    shown: list[DomainError] = []
    response = save(
        db,
        CTX,
        change,
        audit=lambda r: pytest.fail("nothing to record"),
        redirect="/never",
        form=lambda error: shown.append(error) or Template("form.html", status_code=error.status_code),
        refresh=[saved],
    )
    assert isinstance(response, Template) and response.status_code == 409
    assert isinstance(shown[0], StaleEdit)
    assert db.calls == [("rollback",), ("refresh", saved)]  # no record, no commit


def test_without_a_form_the_error_goes_on_to_the_error_page(db):
    def change():
        raise DomainError("入力に誤りがあります", field="name")

    with pytest.raises(DomainError):
        save(db, CTX, change, audit=lambda r: pytest.fail("nothing to record"), redirect="/never")
    assert db.calls == []  # the request's session is rolled back when it closes
