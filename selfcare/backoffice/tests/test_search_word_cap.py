"""A search of many words is bounded: each distinct word once, none found inside another, at most
``MAX_WORDS`` of them, the list saying which were left out. Before, every word was one more pass over the
customers and their logins: a few hundred one-letter words held a worker and the database for minutes."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from selfcare.backoffice.search import MAX_WORDS, Kind, recognise
from selfcare.backoffice.tests.test_search import LISTS, _found


def test_repeated_words_and_words_inside_others_count_once():
    term = recognise("山田 山田 太郎 田 YAMADA yamada")

    assert term.kind is Kind.WORD
    assert term.words == ["山田", "太郎", "YAMADA"]
    assert term.words_left_out == []


def test_past_the_cap_the_words_left_out_are_named():
    term = recognise("w1 w2 w3 w4 w5 w6")

    assert term.words == ["w1", "w2", "w3", "w4"][:MAX_WORDS]
    assert term.words_left_out == ["w5", "w6"]


def test_a_search_of_hundreds_of_words_reads_as_a_few_and_says_so(superuser, world):
    typed = " ".join(f"z{index}" for index in range(300))

    with CaptureQueriesContext(connection) as queries:
        response = superuser.get(LISTS["customers"], {"q": typed})

    assert response.status_code == 200
    likes = sum(query["sql"].upper().count("LIKE") for query in queries.captured_queries)
    assert likes <= 12 * MAX_WORDS
    page = response.content.decode()
    assert "z296 z297 z298 z299" in page  # the words left out, named on the list


def test_hundreds_of_one_letter_words_find_what_their_distinct_words_find(superuser, world):
    assert _found(superuser, LISTS["customers"], " ".join(["ア", "ク"] * 300)) == _found(
        superuser, LISTS["customers"], "ア ク"
    )


@pytest.mark.parametrize("listed", sorted(LISTS))
def test_a_word_longer_than_any_searched_text_finds_nothing_and_fails_nowhere(superuser, world, listed):
    assert _found(superuser, LISTS[listed], "x" * 300 + " acme") == set()
