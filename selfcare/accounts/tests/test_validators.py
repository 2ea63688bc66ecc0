"""Passwords people choose: half of one may not be predictable (rules.md, "passwords people choose")."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from selfcare.accounts.models import User
from selfcare.accounts.validators import PredictablePasswordValidator

USER = User(username="demo0001", email="taro.yamada@example.com")  # unsaved: the validators read its fields


@pytest.mark.parametrize(
    "password",
    [
        "aaaaaaaaaaaaaaa",  # one character
        "abcabcabcabcabc",  # a unit repeated
        "xk9mxk9mxk9mxk9m",
        "123456789012345",  # a sequence, 9 to 0 included
        "zyxwvutsrqponml",  # backwards
        "qwertyuiopasdfg",  # keyboard rows
        "1qaz2wsx3edc4rfv",
        "password1234567",  # a common password padded by a sequence
        "monkey123456789",
        "iloveyouiloveyou",
        "demo0001demo0001",  # the self-care ID
        "DEMO0001-xyz-789",
        "taro.yamada-1234",  # the e-mail address's local part
        "ｐａｓｓｗｏｒｄ１２３４５６７",  # full-width is the same password
    ],
)
def test_a_mostly_predictable_password_is_refused(password):
    with pytest.raises(ValidationError) as refused:
        PredictablePasswordValidator().validate(password, USER)
    assert refused.value.code == "password_predictable"


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",  # ordinary words: only one common password counts
        "my dog likes rainy mornings",
        "Tokyo-Tower-2024-Blue!",
        "ひまわり畑で会いましょう、夏の終わりに",
        "zy8Q!r7Lm2pW4vTx",
        "demo0001 walks to the river at dawn",  # the ID, but less than half of it
    ],
)
def test_a_password_mostly_of_ones_own_is_accepted(password):
    PredictablePasswordValidator().validate(password, USER)
    validate_password(password, USER)


def test_the_settings_run_djangos_similarity_check_and_this_one():
    with pytest.raises(ValidationError) as refused:
        validate_password("monkey123456789", USER)
    assert "password_predictable" in {error.code for error in refused.value.error_list}
    with pytest.raises(ValidationError) as similar:
        validate_password("taroyamada@exampl", USER)
    assert "password_too_similar" in {error.code for error in similar.value.error_list}


def test_a_phrase_said_three_times_is_refused_though_each_word_is_ones_own():
    with pytest.raises(ValidationError):
        PredictablePasswordValidator().validate(("the quick brown fox jumps over " * 3)[:80] + "Zq8#", USER)


def test_a_long_password_is_checked_quickly():
    import time

    started = time.perf_counter()
    PredictablePasswordValidator().validate("x9" + "".join(chr(0x3041 + n % 80) for n in range(126)), USER)
    assert time.perf_counter() - started < 1.0
