"""Accounts: login lockout, server-side sessions, API tokens, grants and the second factor."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pyotp
import pytest
from conftest import TEST_PASSWORD, make_municipality, make_user
from sqlalchemy import select, update
from sqlmodel import Session

from core.accounts import ApiToken, LoginThrottle, User, UserSession
from core.clock import today_jst, utcnow
from core.settings import Settings
from ledgers.disasters.services import DisasterInput, add_disaster
from victim_support.accounts import security
from victim_support.accounts import services as accounts

SETTINGS = Settings()


def _login(db: Session, username: str, password: str) -> accounts.LoginResult:
    result = accounts.authenticate(db, SETTINGS, username, password)
    db.commit()  # failures are stored even though the login is refused
    return result


def _reload_user(engine, user_id: int) -> User:
    with Session(engine) as other:
        return other.get(User, user_id)


# ---------------------------------------------------------------- login and lockout


def test_login_succeeds_with_the_right_password(db, municipality):
    user = make_user(db, municipality, "staff")
    result = _login(db, user.username, TEST_PASSWORD)
    assert result.error is None and result.user is not None and result.user.id == user.id
    assert result.user.last_login_at is not None


def test_lockout_after_threshold_failures(db, engine, municipality):
    user = make_user(db, municipality, "staff")
    threshold = SETTINGS.lockout_threshold
    for attempt in range(threshold - 1):
        result = _login(db, user.username, "wrong-password-1")
        assert result.user is None and result.error == accounts.GENERIC_LOGIN_ERROR
        assert _reload_user(engine, user.id).failed_logins == attempt + 1
        assert _reload_user(engine, user.id).locked_until is None
    result = _login(db, user.username, "wrong-password-1")
    assert result.user is None
    stored = _reload_user(engine, user.id)
    assert stored.locked_until is not None
    assert stored.locked_until > utcnow() + timedelta(minutes=SETTINGS.lockout_minutes - 1)

    # While locked, even the right password is refused.
    locked = _login(db, user.username, TEST_PASSWORD)
    assert locked.user is None and locked.error
    assert _reload_user(engine, user.id).last_login_at is None

    # Once the lock has expired the right password works again and clears the lock.
    db.execute(update(User).where(User.id == user.id).values(locked_until=utcnow() - timedelta(seconds=1)))
    db.commit()
    ok = _login(db, user.username, TEST_PASSWORD)
    assert ok.user is not None
    stored = _reload_user(engine, user.id)
    assert stored.locked_until is None and stored.failed_logins == 0


def test_success_resets_the_failure_counter(db, engine, municipality):
    user = make_user(db, municipality, "staff")
    threshold = SETTINGS.lockout_threshold
    for _ in range(threshold - 1):
        _login(db, user.username, "wrong-password-1")
    assert _login(db, user.username, TEST_PASSWORD).user is not None
    assert _reload_user(engine, user.id).failed_logins == 0
    # Another threshold-1 failures do not lock: the earlier ones were forgotten.
    for _ in range(threshold - 1):
        _login(db, user.username, "wrong-password-1")
    assert _reload_user(engine, user.id).locked_until is None
    assert _login(db, user.username, TEST_PASSWORD).user is not None


def test_unknown_and_inactive_users_get_the_same_generic_error(db, municipality):
    user = make_user(db, municipality, "staff")
    wrong_password = _login(db, user.username, "wrong-password-1")
    unknown = _login(db, f"nobody-{uuid.uuid4().hex[:6]}", TEST_PASSWORD)
    db.execute(update(User).where(User.id == user.id).values(is_active=False))
    db.commit()
    inactive = _login(db, user.username, TEST_PASSWORD)
    assert unknown.user is None and inactive.user is None
    assert unknown.error == wrong_password.error == inactive.error == accounts.GENERIC_LOGIN_ERROR


# ---------------------------------------------------------------- browser sessions


def test_session_is_found_by_raw_token_only(db, municipality):
    user = make_user(db, municipality, "staff")
    raw, row = accounts.start_session(db, user, mfa_pending=False, ip="192.0.2.1")
    db.commit()
    assert row.token_hash != raw  # only the digest is stored
    assert row.token_hash == security.token_digest(raw)
    loaded = accounts.load_session(db, SETTINGS, raw)
    assert loaded is not None and loaded.id == row.id and loaded.user_id == user.id
    assert accounts.load_session(db, SETTINGS, row.token_hash) is None
    assert accounts.load_session(db, SETTINGS, raw + "x") is None
    assert accounts.load_session(db, SETTINGS, "") is None
    assert accounts.load_session(db, SETTINGS, None) is None


def test_rotate_session_invalidates_the_old_token(db, municipality):
    user = make_user(db, municipality, "staff")
    old_raw, row = accounts.start_session(db, user, mfa_pending=True)
    old_csrf = accounts.csrf_token_for(old_raw)  # the CSRF token is bound to the session id
    db.commit()
    new_raw = accounts.rotate_session(db, row)
    db.commit()
    assert new_raw != old_raw
    assert accounts.load_session(db, SETTINGS, old_raw) is None
    loaded = accounts.load_session(db, SETTINGS, new_raw)
    assert loaded is not None and loaded.id == row.id
    new_csrf = accounts.csrf_token_for(new_raw)
    assert new_csrf and new_csrf != old_csrf
    assert accounts.csrf_token_for(new_raw) == new_csrf  # stable for one session id


def test_idle_session_expires(db, engine, municipality):
    user = make_user(db, municipality, "staff")
    raw, row = accounts.start_session(db, user, mfa_pending=False)
    db.commit()
    # Just inside the idle limit: still valid.
    inside = utcnow() - timedelta(minutes=SETTINGS.session_idle_minutes - 1)
    db.execute(update(UserSession).where(UserSession.id == row.id).values(last_seen_at=inside))
    db.commit()
    assert accounts.load_session(db, SETTINGS, raw) is not None
    db.commit()
    beyond = utcnow() - timedelta(minutes=SETTINGS.session_idle_minutes + 1)
    db.execute(update(UserSession).where(UserSession.id == row.id).values(last_seen_at=beyond))
    db.commit()
    db.expire_all()
    assert accounts.load_session(db, SETTINGS, raw) is None
    db.commit()
    with Session(engine) as other:  # the expired row was removed
        assert other.get(UserSession, row.id) is None


def test_session_has_an_absolute_lifetime(db, municipality):
    user = make_user(db, municipality, "staff")
    raw, row = accounts.start_session(db, user, mfa_pending=False)
    db.commit()
    db.execute(
        update(UserSession)
        .where(UserSession.id == row.id)
        .values(created_at=utcnow() - timedelta(hours=SETTINGS.session_max_hours, minutes=1), last_seen_at=utcnow())
    )
    db.commit()
    db.expire_all()
    assert accounts.load_session(db, SETTINGS, raw) is None
    db.rollback()


# ---------------------------------------------------------------- API tokens


def test_api_token_lifecycle(db, municipality):
    user = make_user(db, municipality, "staff")
    raw, token = accounts.create_api_token(db, user, "集計連携")
    db.commit()
    assert raw.startswith(accounts.TOKEN_PREFIX) and token.prefix == raw[:12]
    assert token.token_hash == security.token_digest(raw)
    found = accounts.user_for_token(db, raw)
    assert found is not None and found.id == user.id
    db.commit()
    assert accounts.user_for_token(db, token.token_hash) is None
    assert accounts.user_for_token(db, raw[:-1]) is None

    db.execute(update(ApiToken).where(ApiToken.id == token.id).values(revoked_at=utcnow()))
    db.commit()
    db.expire_all()
    assert accounts.user_for_token(db, raw) is None


def test_expired_api_token_and_inactive_user_are_refused(db, municipality):
    user = make_user(db, municipality, "staff")
    raw, token = accounts.create_api_token(db, user, "期限切れ", days=30)
    db.commit()
    assert accounts.user_for_token(db, raw) is not None
    db.execute(update(ApiToken).where(ApiToken.id == token.id).values(expires_at=utcnow() - timedelta(minutes=1)))
    db.commit()
    db.expire_all()
    assert accounts.user_for_token(db, raw) is None

    raw2, _ = accounts.create_api_token(db, user, "有効")
    db.commit()
    assert accounts.user_for_token(db, raw2) is not None
    db.execute(update(User).where(User.id == user.id).values(is_active=False))
    db.commit()
    db.expire_all()
    assert accounts.user_for_token(db, raw2) is None
    db.rollback()


# ---------------------------------------------------------------- grants and permissions


def _disaster(db, municipality_id: int):
    disaster = add_disaster(
        db,
        municipality_id,
        DisasterInput(
            name="試験台風", kind="typhoon", occurred_on=date(2024, 9, 1), number=f"G-{uuid.uuid4().hex[:8]}"
        ),
    )
    db.commit()
    return disaster


def test_grants_are_scoped_by_municipality(db, municipality):
    other = make_municipality(db, "隣町")
    user = make_user(db, municipality, "staff")
    access = accounts.access_for(db, user)
    assert access.can("household.write", municipality.id)
    assert access.can("household.read", municipality.id)
    assert not access.can("household.write", other.id)
    assert not access.can("household.read", other.id)
    assert not access.can("user.manage", municipality.id)  # not a staff permission
    assert access.can_enter(municipality.id) and not access.can_enter(other.id)
    assert not access.is_system_admin
    assert [m.id for m in accounts.municipalities_for(db, access)] == [municipality.id]

    viewer = accounts.access_for(db, make_user(db, municipality, "viewer"))
    assert viewer.can("household.read", municipality.id)
    assert not viewer.can("household.write", municipality.id)


def test_grants_are_scoped_by_disaster(db, municipality):
    first = _disaster(db, municipality.id)
    second = _disaster(db, municipality.id)
    user = make_user(db, municipality, "surveyor", disaster_id=first.id)
    access = accounts.access_for(db, user)
    assert access.can("survey.write", municipality.id, first.id)
    assert not access.can("survey.write", municipality.id, second.id)
    assert not access.can("household.write", municipality.id, first.id)  # surveyors do not edit households
    assert access.disaster_scope(municipality.id) == {first.id}

    unscoped = accounts.access_for(db, make_user(db, municipality, "staff"))
    assert unscoped.can("household.write", municipality.id, second.id)
    assert unscoped.disaster_scope(municipality.id) is None


def test_grant_validity_dates(db, municipality):
    today = today_jst()
    user = accounts.create_user(db, f"u{uuid.uuid4().hex[:10]}", TEST_PASSWORD, "応援 職員", municipality)
    accounts.add_grant(
        db, user, "staff", municipality, valid_from=today - timedelta(days=30), valid_until=today - timedelta(days=1)
    )
    db.commit()
    expired = accounts.access_for(db, user)
    assert expired.grants == ()
    assert not expired.can("household.read", municipality.id)

    accounts.add_grant(db, user, "viewer", municipality, valid_from=today + timedelta(days=1))
    db.commit()
    assert not accounts.access_for(db, user).can("household.read", municipality.id)  # not yet valid

    accounts.add_grant(db, user, "staff", municipality, valid_from=today, valid_until=today)
    db.commit()
    current = accounts.access_for(db, user)
    assert current.can("household.write", municipality.id)  # valid through its last day
    assert len(current.grants) == 1
    assert accounts.active_grants(db, user.id, on=today + timedelta(days=1))[0].role == "viewer"

    with pytest.raises(accounts.AccountError):
        accounts.add_grant(db, user, "staff", municipality, valid_from=today, valid_until=today - timedelta(days=1))
    db.rollback()


def test_revoked_grant_is_not_active(db, municipality):
    user = make_user(db, municipality, "staff")
    grant = accounts.active_grants(db, user.id)[0]
    grant.revoked_at = utcnow()
    db.add(grant)
    db.commit()
    assert not accounts.access_for(db, user).can("household.read", municipality.id)


def test_system_admin_can_act_everywhere(db, municipality):
    other = make_municipality(db, "別の市")
    admin = make_user(db, None, "system_admin")
    access = accounts.access_for(db, admin)
    assert access.is_system_admin
    for place in (municipality.id, other.id):
        assert access.can("municipality.manage", place)
        assert access.can("household.write", place, 12345)
        assert access.can_enter(place)
        assert access.disaster_scope(place) is None
    listed = {m.id for m in accounts.municipalities_for(db, access)}
    assert {municipality.id, other.id} <= listed

    with pytest.raises(accounts.AccountError):
        accounts.add_grant(db, admin, "staff", None)  # only system_admin may be unscoped
    with pytest.raises(accounts.AccountError):
        accounts.add_grant(db, admin, "superuser", municipality)
    db.rollback()


def test_second_factor_is_required_for_admins_and_mutual_aid(db, municipality):
    host = make_municipality(db, "被災市")
    staff = accounts.access_for(db, make_user(db, municipality, "staff"))
    assert not staff.needs_second_factor
    assert not accounts.access_for(db, make_user(db, municipality, "surveyor")).needs_second_factor
    assert accounts.access_for(db, make_user(db, municipality, "municipality_admin")).needs_second_factor
    assert accounts.access_for(db, make_user(db, None, "system_admin")).needs_second_factor

    # 応援職員: home in one municipality, a grant from the host municipality.
    helper = accounts.create_user(db, f"u{uuid.uuid4().hex[:10]}", TEST_PASSWORD, "応援 職員", municipality)
    accounts.add_grant(db, helper, "staff", municipality)
    db.commit()
    assert not accounts.access_for(db, helper).needs_second_factor
    accounts.add_grant(
        db, helper, "staff", host, valid_until=today_jst() + timedelta(days=14), agreement="災害時相互応援協定"
    )
    db.commit()
    mutual = accounts.access_for(db, helper)
    assert mutual.needs_second_factor
    assert mutual.can("household.write", host.id)
    # Once the mutual-aid grant has ended, the second factor is no longer demanded by it.
    db.execute(
        update(accounts.Grant)
        .where(accounts.Grant.user_id == helper.id, accounts.Grant.municipality_id == host.id)
        .values(valid_until=today_jst() - timedelta(days=1))
    )
    db.commit()
    db.expire_all()
    after = accounts.access_for(db, helper)
    assert not after.needs_second_factor
    assert not after.can("household.read", host.id)


# ---------------------------------------------------------------- TOTP


def test_totp_code_is_accepted_once():
    secret = security.new_totp_secret()
    totp = pyotp.TOTP(secret)
    now = 1_700_000_000.0
    step = int(now // totp.interval)
    code = totp.at(now)

    accepted = security.totp_accept(secret, code, 0, now=now)
    assert accepted == step
    assert security.totp_accept(secret, code, accepted, now=now) is None  # replay refused
    assert security.totp_accept(secret, f"{code[:3]} {code[3:]}", 0, now=now) == step  # spaces tolerated
    # One step of clock drift either way is accepted; more is not.
    assert security.totp_accept(secret, totp.at(now - totp.interval), 0, now=now) == step - 1
    assert security.totp_accept(secret, totp.at(now + totp.interval), 0, now=now) == step + 1
    assert security.totp_accept(secret, totp.at(now - 3 * totp.interval), 0, now=now) is None
    # A code older than the last accepted one is refused even inside the window.
    assert security.totp_accept(secret, totp.at(now - totp.interval), step, now=now) is None
    # The next code after the accepted one works.
    assert security.totp_accept(secret, totp.at(now + totp.interval), step, now=now) == step + 1
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    if wrong not in {totp.at(now + d * totp.interval) for d in (-1, 0, 1)}:
        assert security.totp_accept(secret, wrong, 0, now=now) is None
    assert security.totp_accept(secret, code[:5], 0, now=now) is None


def test_totp_replay_is_refused_through_the_stored_last_step(db, municipality):
    user = make_user(db, municipality, "municipality_admin")
    user.totp_secret = security.new_totp_secret()
    user.totp_enabled = True
    db.add(user)
    db.commit()
    code = pyotp.TOTP(user.totp_secret).now()
    step = security.totp_accept(user.totp_secret, code, user.totp_last_step)
    assert step is not None
    user.totp_last_step = step
    db.add(user)
    db.commit()
    stored = db.execute(select(User).where(User.id == user.id)).scalar_one()
    assert security.totp_accept(stored.totp_secret, code, stored.totp_last_step) is None


def test_passwords_are_hashed_with_argon2id(db, municipality):
    user = make_user(db, municipality, "staff")
    assert user.password_hash.startswith("$argon2id$")
    assert TEST_PASSWORD not in user.password_hash
    assert security.verify_password(user.password_hash, TEST_PASSWORD)
    assert not security.verify_password(user.password_hash, TEST_PASSWORD + "x")
    assert not security.verify_password(None, TEST_PASSWORD)
    for weak in ("short1", "onlyletterslong", "12345678901"):
        with pytest.raises(accounts.AccountError):
            accounts.create_user(db, f"u{uuid.uuid4().hex[:10]}", weak, "弱い", municipality)
    db.rollback()


# ---------------------------------------------------------------- second factor and client addresses


def test_second_factor_failures_are_not_reset_by_the_password(db, engine, municipality):
    # Before: a correct password reset the one failure count, so re-entering the password after every
    # few wrong codes allowed unlimited guessing of the second factor.
    user = make_user(db, municipality, "staff")
    for _round in range(SETTINGS.lockout_threshold):
        assert _login(db, user.username, TEST_PASSWORD).user is not None  # the password is right every time
        accounts.register_second_factor_failure(db, SETTINGS, user)  # … and one code is wrong after it
        db.commit()
    stored = _reload_user(engine, user.id)
    assert stored.locked_until is not None and stored.locked_until > utcnow()
    assert _login(db, user.username, TEST_PASSWORD).user is None  # locked, even with the password


def test_a_passed_second_factor_clears_its_failures(db, engine, municipality):
    user = make_user(db, municipality, "staff")
    for _ in range(SETTINGS.lockout_threshold - 1):
        accounts.register_second_factor_failure(db, SETTINGS, user)
    accounts.second_factor_passed(db, user)
    db.commit()
    accounts.register_second_factor_failure(db, SETTINGS, user)
    db.commit()
    stored = _reload_user(engine, user.id)
    assert stored.totp_failures == 1 and stored.locked_until is None


def test_a_client_address_that_fails_too_often_is_blocked_for_a_while(db, engine):
    address = f"192.0.2.{uuid.uuid4().int % 250 + 1}-{uuid.uuid4().hex[:6]}"
    for _ in range(SETTINGS.address_failure_threshold - 1):
        accounts.register_address_failure(db, SETTINGS, address)
        db.commit()
    assert not accounts.address_blocked(db, address)
    accounts.register_address_failure(db, SETTINGS, address)
    db.commit()
    assert accounts.address_blocked(db, address)
    assert not accounts.address_blocked(db, "198.51.100.7")
    db.execute(
        update(LoginThrottle)
        .where(LoginThrottle.address == address)
        .values(blocked_until=utcnow() - timedelta(seconds=1))
    )
    db.commit()
    assert not accounts.address_blocked(db, address)
