"""The password hasher: Argon2id at OWASP's minimum, and hashes with other parameters upgraded at login."""

from __future__ import annotations

import argon2
import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import Argon2PasswordHasher, check_password, get_hasher, make_password

from selfcare.accounts.hashers import Argon2idHasher
from selfcare.accounts.login import login_check_password
from selfcare.accounts.login_errors import LoginRefused
from selfcare.accounts.models import User

PASSWORD = "correct horse battery staple"
IP = "203.0.113.7"
# OWASP Password Storage Cheat Sheet, Argon2id: at least 19 MiB of memory, 2 iterations, 1 degree of parallelism.
OWASP_MEMORY_KIB, OWASP_TIME, OWASP_LANES = 19 * 1024, 2, 1

pytestmark = pytest.mark.usefixtures("argon2")  # these tests are about the production hashing


def _parameters(encoded: str) -> argon2.Parameters:
    algorithm, rest = encoded.split("$", 1)
    assert algorithm == "argon2"
    return argon2.extract_parameters("$" + rest)


def _ours(encoded: str) -> bool:
    found = _parameters(encoded)
    return (found.type, found.memory_cost, found.time_cost, found.parallelism) == (
        argon2.Type.ID,
        Argon2idHasher.memory_cost,
        Argon2idHasher.time_cost,
        Argon2idHasher.parallelism,
    )


def _django_default_hash(password: str) -> str:
    """A hash as Django's own Argon2PasswordHasher makes it (100 MiB, 2 passes, 8 lanes): every hash made so far."""
    hasher = Argon2PasswordHasher()
    return hasher.encode(password, hasher.salt())


@pytest.fixture
def old_hash_customer(customer):
    """A customer whose password was hashed with Django's default Argon2 parameters."""
    User.objects.filter(pk=customer.user.pk).update(password=_django_default_hash(PASSWORD))
    return customer


# --- the hasher ----------------------------------------------------------------------------------


def test_the_default_hasher_is_argon2id_at_or_above_the_owasp_minimum():
    hasher = get_hasher("default")

    assert isinstance(hasher, Argon2idHasher)
    assert hasher.algorithm == "argon2"  # hashes made before still find their hasher
    assert hasher.memory_cost >= OWASP_MEMORY_KIB
    assert hasher.time_cost >= OWASP_TIME
    assert hasher.parallelism >= OWASP_LANES
    assert hasher.memory_cost < Argon2PasswordHasher.memory_cost  # the point: a tenth of Django's cost per login


def test_a_new_password_is_hashed_with_our_parameters():
    encoded = make_password(PASSWORD)

    assert encoded.startswith("argon2$argon2id$v=19$")
    assert _ours(encoded)
    assert check_password(PASSWORD, encoded)
    assert not get_hasher("default").must_update(encoded)


def test_a_hash_with_djangos_default_parameters_still_verifies_and_is_due_for_an_upgrade():
    old = _django_default_hash(PASSWORD)

    assert not _ours(old)
    assert check_password(PASSWORD, old)
    assert not check_password(PASSWORD + "x", old)
    assert get_hasher("default").must_update(old)


# --- the customer's login: upgraded after a right password, never after a wrong one ------------


def test_given_an_old_hash_when_the_customer_logs_in_then_it_is_rehashed_with_our_parameters(old_hash_customer):
    before = User.objects.get(pk=old_hash_customer.user.pk).password

    user = login_check_password(selfcare_id=old_hash_customer.user.username, password=PASSWORD, ip=IP)

    assert user.pk == old_hash_customer.user.pk
    after = User.objects.get(pk=user.pk).password
    assert after != before
    assert _ours(after)
    assert check_password(PASSWORD, after)
    # The next login checks the new hash, and leaves it alone.
    login_check_password(selfcare_id=old_hash_customer.user.username, password=PASSWORD, ip=IP)
    assert User.objects.get(pk=user.pk).password == after


def test_given_an_old_hash_when_the_password_is_wrong_then_the_hash_is_left_as_it_was(old_hash_customer):
    before = User.objects.get(pk=old_hash_customer.user.pk).password

    with pytest.raises(LoginRefused):
        login_check_password(selfcare_id=old_hash_customer.user.username, password=PASSWORD + "x", ip=IP)

    stored = User.objects.get(pk=old_hash_customer.user.pk)
    assert stored.password == before
    assert not _ours(stored.password)
    assert stored.consecutive_failures == 1


def test_given_an_unknown_id_then_the_same_hasher_does_the_equalising_work(db, monkeypatch):
    made: list[str] = []
    encode = Argon2idHasher.encode

    def recording(self: Argon2idHasher, password: str, salt: str) -> str:
        encoded = encode(self, password, salt)
        made.append(encoded)
        return encoded

    monkeypatch.setattr(Argon2idHasher, "encode", recording)

    with pytest.raises(LoginRefused):
        login_check_password(selfcare_id="nobody0001", password=PASSWORD, ip=IP)

    assert len(made) == 1
    assert _ours(made[0])


# --- the staff login: Django's authenticate() checks with a setter, so it upgrades too ------------


def test_given_a_staff_member_with_an_old_hash_when_authenticating_then_it_is_upgraded_only_on_success(db):
    staff = User.objects.create(username="staff0001", is_staff=True, password=_django_default_hash(PASSWORD))
    before = staff.password

    assert authenticate(None, username="staff0001", password=PASSWORD + "x") is None
    assert User.objects.get(pk=staff.pk).password == before

    assert authenticate(None, username="staff0001", password=PASSWORD) == staff
    after = User.objects.get(pk=staff.pk).password
    assert _ours(after)
    assert check_password(PASSWORD, after)
