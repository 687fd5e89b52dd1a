"""audit/mfa.py: TOTP as configured here against RFC 6238's own test vectors, enrolment, replay, drift, recovery
codes, the lockout shared with passwords, admin reset, the require setting, and nothing secret at rest."""
from __future__ import annotations

import base64
import sqlite3
from datetime import UTC, datetime, timedelta

import pyotp
import pytest

from audit import mfa
from audit.keys import DataKeyring
from audit.mfa import CodeRefused, SecondFactors, SignInExpired, matching_step, totp
from audit.session_policy import LockoutPolicy
from audit.users import SecondFactorNeeded, SignInError, UserError, UserStore
from audit.vault import DecryptionError, PhiVault
from tests.audit.test_users import ADMIN, FAST, PASSWORD, Clock

RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()  # RFC 6238 Appendix B, the SHA-1 seed
# (Unix time, the 8-digit TOTP) for SHA-1, as the table of RFC 6238 Appendix B lists them.
RFC_VECTORS = [(59, "94287082"), (1111111109, "07081804"), (1111111111, "14050471"), (1234567890, "89005924"),
               (2000000000, "69279037"), (20000000000, "65353130")]


@pytest.mark.parametrize(("unix_time", "code"), RFC_VECTORS)
def test_rfc_6238_appendix_b_vectors_through_our_generator(unix_time, code):
    generator = totp(RFC_SECRET, digits=8)
    assert generator.at(unix_time) == code
    assert generator.at(datetime.fromtimestamp(unix_time, UTC)) == code


@pytest.mark.parametrize(("unix_time", "code"), RFC_VECTORS)
def test_the_six_digit_codes_we_use_are_the_last_six_digits_of_the_vectors(unix_time, code):
    """Dynamic truncation takes the number mod 10^digits, so the 6-digit code of each vector is its last 6 digits;
    and the step is time // 30 (1111111109 and 1111111111 fall in steps 37037036 and 37037037)."""
    assert totp(RFC_SECRET).at(unix_time) == code[-6:]
    assert totp(RFC_SECRET).timecode(datetime.fromtimestamp(unix_time, UTC)) == unix_time // 30
    assert matching_step(RFC_SECRET, code[-6:], datetime.fromtimestamp(unix_time, UTC)) == unix_time // 30


def test_drift_window_is_one_step_either_side():
    at = datetime.fromtimestamp(1111111111, UTC)  # step 37037037, 1 s into it
    step = 1111111111 // 30
    generator = totp(RFC_SECRET)
    for offset in (-1, 0, 1):
        assert matching_step(RFC_SECRET, generator.generate_otp(step + offset), at) == step + offset
    for offset in (-2, 2):
        assert matching_step(RFC_SECRET, generator.generate_otp(step + offset), at) is None
    assert mfa.DRIFT_STEPS == 1 and mfa.STEP_SECONDS == 30 and mfa.DIGITS == 6


@pytest.fixture
def clock() -> Clock:
    clock = Clock()
    clock.now = datetime(2026, 12, 7, 9, 0, 5, tzinfo=UTC)  # 5 s into a 30-second step
    return clock


@pytest.fixture
def vault() -> PhiVault:
    return PhiVault(DataKeyring.first())


def _store(path, clock, require: bool = False) -> UserStore:
    return UserStore(path, hasher=FAST, lockout=LockoutPolicy(), now=clock, require_second_factor=require)


@pytest.fixture
def users(tmp_path, clock) -> UserStore:
    store = _store(tmp_path / "users.sqlite", clock)
    store.add_user("alice", "auditor", PASSWORD, **ADMIN)
    return store


@pytest.fixture
def factors(users, vault) -> SecondFactors:
    return SecondFactors(users, lambda: vault)


def code_at(secret: str, when: datetime, offset: int = 0) -> str:
    return totp(secret).at(when, counter_offset=offset)


def enrol(factors: SecondFactors, clock: Clock, events: list | None = None):
    enrolment = factors.begin("alice")
    user, codes = factors.confirm(enrolment, code_at(enrolment.secret, clock.now),
                                  record=None if events is None else events.append)
    return enrolment, codes


def password_step(users: UserStore):
    with pytest.raises(SecondFactorNeeded) as needed:
        users.authenticate("alice", PASSWORD)
    return needed.value.pending


def test_enrolment_takes_effect_only_when_confirmed(users, factors, clock):
    enrolment = factors.begin("alice")
    assert len(enrolment.secret) == 32 and len(base64.b32decode(enrolment.secret)) == 20
    assert enrolment.uri.startswith("otpauth://totp/Coding%20audit:alice?secret=") and "issuer=Coding%20audit" in enrolment.uri
    assert enrolment.qr_png().startswith(b"\x89PNG")
    assert enrolment.secret not in repr(enrolment)
    with pytest.raises(UserError, match="nothing was set up"):
        factors.confirm(enrolment, code_at(enrolment.secret, clock.now, offset=2))
    assert not users.get_user("alice").second_factor
    assert users.authenticate("alice", PASSWORD).username == "alice"  # still a password-only account
    events = []
    user, codes = factors.confirm(enrolment, code_at(enrolment.secret, clock.now), record=events.append)
    assert user.second_factor and len(codes) == 10 and len({c[:4] for c in codes}) == 10
    assert [(e.action, e.user, e.details) for e in events] == [("mfa_enrol", "alice", {"recovery_codes": 10})]
    with pytest.raises(UserError, match="already has a second factor"):
        factors.begin("alice")


def test_password_alone_no_longer_signs_in_and_code_completes(users, factors, clock):
    enrolment, _ = enrol(factors, clock)
    events = []
    with pytest.raises(SecondFactorNeeded) as needed:
        users.authenticate("alice", PASSWORD, record=events.append)
    assert events == [] and needed.value.pending.enrolled
    clock.advance(seconds=30)
    user = factors.verify(needed.value.pending, code_at(enrolment.secret, clock.now), record=events.append)
    assert user.username == "alice"
    assert [(e.action, e.details) for e in events] == [("sign_in", {"second_factor": "totp"})]


def test_a_code_is_accepted_once_even_within_its_step(users, factors, clock):
    enrolment, _ = enrol(factors, clock)
    clock.advance(seconds=30)
    code = code_at(enrolment.secret, clock.now)
    factors.verify(password_step(users), code)
    events = []
    with pytest.raises(CodeRefused):
        factors.verify(password_step(users), code, record=events.append)
    assert (events[0].action, events[0].outcome, events[0].details["reason"]) == ("mfa_failed", "failure", "replayed")
    # the enrolment's own code is spent too: its step was the one that confirmed the secret
    with pytest.raises(CodeRefused):
        factors.verify(password_step(users), code_at(enrolment.secret, clock.now, offset=-1))
    # an earlier step's code, still within the drift window, is refused: only later steps count
    clock.advance(seconds=30)
    with pytest.raises(CodeRefused):
        factors.verify(password_step(users), code_at(enrolment.secret, clock.now, offset=-1))
    factors.verify(password_step(users), code_at(enrolment.secret, clock.now))


def test_codes_of_the_neighbouring_steps_are_accepted_others_not(users, factors, clock):
    enrolment, _ = enrol(factors, clock)
    clock.advance(minutes=5)
    with pytest.raises(CodeRefused):
        factors.verify(password_step(users), code_at(enrolment.secret, clock.now, offset=-2))
    factors.verify(password_step(users), code_at(enrolment.secret, clock.now, offset=-1))
    factors.verify(password_step(users), code_at(enrolment.secret, clock.now, offset=1))  # a phone 30 s fast
    with pytest.raises(CodeRefused):
        factors.verify(password_step(users), code_at(enrolment.secret, clock.now, offset=2))


def test_recovery_code_works_once_and_is_hashed_at_rest(users, factors, clock, tmp_path):
    enrolment, codes = enrol(factors, clock)
    events = []
    typed = codes[3].upper().replace("-", " ")  # any case, spaces instead of dashes
    factors.verify(password_step(users), typed, record=events.append)
    assert [(e.action, e.details) for e in events] == [
        ("mfa_recovery_code", {"recovery_codes_left": 9}), ("sign_in", {"second_factor": "recovery_code"})]
    with pytest.raises(CodeRefused):
        factors.verify(password_step(users), codes[3], record=events.append)
    assert (events[-1].action, events[-1].details["reason"], events[-1].details["factor"]) == (
        "mfa_failed", "bad_code", "recovery_code")
    assert factors.recovery_codes_left("alice") == 9
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("users.sqlite"))
    for secret in (enrolment.secret, enrolment.secret.lower(), enrolment.grouped_secret,
                   base64.b32decode(enrolment.secret).hex(), *codes, *(c.replace("-", "") for c in codes),
                   *(c[5:].replace("-", "") for c in codes)):
        assert secret.encode() not in stored
    assert base64.b32decode(enrolment.secret) not in stored
    with sqlite3.connect(users.path) as conn:
        hashes = [row[0] for row in conn.execute("SELECT code_hash FROM recovery_codes")]
    assert len(hashes) == 10 and all(h.startswith("$argon2id$") for h in hashes)


def test_the_secret_is_sealed_to_its_account(users, factors, clock, vault):
    """A sealed secret copied to another account's row fails to open: it is bound to users|alice|totp_secret."""
    enrolment, _ = enrol(factors, clock)
    users.add_user("bob", "auditor", "another long password", **ADMIN)
    with sqlite3.connect(users.path) as conn:
        conn.execute("INSERT INTO second_factors SELECT 'bob', key_id, nonce, ciphertext, enrolled_at, last_step "
                     "FROM second_factors WHERE username = 'alice'")
    with pytest.raises(SecondFactorNeeded) as needed:
        users.authenticate("bob", "another long password")
    clock.advance(seconds=30)
    with pytest.raises(DecryptionError):
        factors.verify(needed.value.pending, code_at(enrolment.secret, clock.now))
    assert factors.keys_in_use() == {"k1"}


def test_failed_codes_and_passwords_share_one_lockout(users, factors, clock):
    enrolment, _ = enrol(factors, clock)
    for _ in range(2):
        with pytest.raises(SignInError):
            users.authenticate("alice", "wrong password!!")
    pending = password_step(users)  # the right password does not reset the count: the code must follow
    assert users.get_user("alice").failed_attempts == 2
    events = []
    for _ in range(3):
        with pytest.raises(CodeRefused):
            factors.verify(pending, "000000" if code_at(enrolment.secret, clock.now) != "000000" else "111111",
                           record=events.append)
    assert events[-1].details["failed_attempts"] == 5
    assert events[-1].details["locked_until"] == (clock.now + timedelta(minutes=15)).isoformat()
    clock.advance(seconds=30)
    with pytest.raises(CodeRefused):  # the right code during the lock: refused and counted, not extending it
        factors.verify(pending, code_at(enrolment.secret, clock.now), record=events.append)
    assert (events[-1].outcome, events[-1].details) == ("denied", {"reason": "locked", "factor": "totp", "failed_attempts": 6})
    with pytest.raises(SignInError):
        users.authenticate("alice", PASSWORD)
    clock.advance(minutes=15)
    factors.verify(password_step(users), code_at(enrolment.secret, clock.now))
    assert users.get_user("alice").failed_attempts == 0


def test_the_password_step_expires_and_does_not_survive_a_password_reset(users, factors, clock):
    enrolment, _ = enrol(factors, clock)
    pending = password_step(users)
    clock.advance(minutes=10, seconds=1)
    with pytest.raises(SignInExpired):
        factors.verify(pending, code_at(enrolment.secret, clock.now))
    pending = password_step(users)
    clock.advance(seconds=30)
    users.reset_password("alice", "a brand new passphrase", **ADMIN)
    with pytest.raises(SignInExpired):
        factors.verify(pending, code_at(enrolment.secret, clock.now))


def test_admin_reset_removes_the_factor_and_is_logged(users, factors, clock):
    enrolment, codes = enrol(factors, clock)
    pending = password_step(users)
    events = []
    user = factors.reset("alice", **ADMIN, record=events.append)
    assert not user.second_factor and factors.recovery_codes_left("alice") == 0
    assert [(e.action, e.user, e.role, e.resource, e.details) for e in events] == [
        ("mfa_reset", "root-admin", "admin", "user:alice", {"recovery_codes_removed": 10})]
    with pytest.raises(SignInExpired):  # a sign-in begun before the reset cannot finish with the old factor
        factors.verify(pending, codes[0])
    assert users.authenticate("alice", PASSWORD).username == "alice"
    with pytest.raises(UserError, match="has no second factor to reset"):
        factors.reset("alice", **ADMIN, record=events.append)
    assert len(events) == 1


def test_require_setting_sends_an_account_without_a_factor_to_enrolment(tmp_path, clock, vault):
    users = _store(tmp_path / "users.sqlite", clock, require=True)
    users.add_user("alice", "auditor", PASSWORD, **ADMIN)
    factors = SecondFactors(users, lambda: vault)
    events = []
    with pytest.raises(SecondFactorNeeded) as needed:
        users.authenticate("alice", PASSWORD, record=events.append)
    pending = needed.value.pending
    assert not pending.enrolled and events == []
    with pytest.raises(SignInExpired):  # no code to verify: enrolment is the only way on
        factors.verify(pending, "123456")
    enrolment = factors.begin("alice")
    user, codes = factors.confirm(enrolment, code_at(enrolment.secret, clock.now), record=events.append, pending=pending)
    assert user.second_factor and len(codes) == 10
    assert [(e.action, e.details) for e in events] == [("mfa_enrol", {"recovery_codes": 10}),
                                                      ("sign_in", {"second_factor": "totp"})]
    with pytest.raises(SignInExpired):  # the same password step cannot enrol twice
        factors.confirm(enrolment, code_at(enrolment.secret, clock.now, 1), pending=pending)


def test_an_existing_users_store_upgrades(tmp_path, clock, vault):
    """A users.sqlite made before second factors (and before coder ids) gains both and keeps its accounts."""
    path = tmp_path / "users.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE users (username TEXT PRIMARY KEY, role TEXT NOT NULL, password_hash TEXT NOT NULL, "
                     "disabled INTEGER NOT NULL DEFAULT 0, failed_attempts INTEGER NOT NULL DEFAULT 0, locked_until TEXT, "
                     "created_at TEXT NOT NULL, password_changed_at TEXT NOT NULL)")
        conn.execute("INSERT INTO users VALUES ('alice', 'auditor', ?, 0, 0, NULL, ?, ?)",
                     (FAST.hash(PASSWORD), clock.now.isoformat(), clock.now.isoformat()))
    users = _store(path, clock)
    assert users.authenticate("alice", PASSWORD).second_factor is False
    enrolment, _ = enrol(SecondFactors(users, lambda: vault), clock)
    assert users.get_user("alice").second_factor


def test_pyotp_and_our_generator_agree_on_a_fresh_secret(factors, clock):
    enrolment = factors.begin("alice")
    assert totp(enrolment.secret).now() == pyotp.TOTP(enrolment.secret).now()
