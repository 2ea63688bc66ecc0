"""The predictable-password check looks only at passwords short enough to be accepted at all."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from selfcare.accounts.validators import PredictablePasswordValidator


def test_given_a_password_longer_than_any_accepted_then_it_is_not_searched():
    # Its searches grow as the cube of the length: a megabyte typed into the form must not hold a worker.
    assert PredictablePasswordValidator().validate("a" * 300) is None


def test_given_a_very_long_password_then_it_is_refused_for_its_length(db):
    with pytest.raises(ValidationError) as refused:
        validate_password("a" * 200_000)
    assert [error.code for error in refused.value.error_list] == ["password_too_long"]
