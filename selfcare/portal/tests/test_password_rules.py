"""The password page lists what it refuses, and refuses a mostly predictable password in Japanese."""

from __future__ import annotations

import re

from selfcare.portal.tests.conftest import PASSWORD


def test_the_password_page_lists_the_rules_and_refuses_a_mostly_predictable_password_in_japanese(logged_in):
    page = logged_in.get("/password/").content.decode()
    for rule in [
        "15文字以上128文字以内",
        "よく使われるパスワードは使えません。",
        "セルフケアIDやメールアドレスに似たものは使えません。",
        "同じ文字や連続した文字の並び(aaaa、1234、abcabc、qwertyなど)、セルフケアID、メールアドレス、よく使われるパスワードが半分以上を占めるものは使えません。",
    ]:
        assert rule in page, rule

    for predictable in ["password1234567", "abcabcabcabcabc"]:
        refused = logged_in.post(
            "/password/",
            {"old_password": PASSWORD, "new_password1": predictable, "new_password2": predictable},
        )
        assert refused.status_code == 200
        assert "このパスワードは推測されやすいため使えません。" in refused.content.decode()

    accepted = logged_in.post(
        "/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "my dog likes rainy mornings",
            "new_password2": "my dog likes rainy mornings",
        },
    )
    assert "portal/password_done.html" in [t.name for t in accepted.templates], re.findall(
        r"errorlist[^>]*>(.*?)</ul>", accepted.content.decode(), re.S
    )
