"""What every portal page costs the database before its own work."""

import pytest


@pytest.mark.django_db
def test_a_page_reads_the_user_customer_and_plan_in_one_query(logged_in, django_assert_num_queries):
    """The session comes from the cache; the user, customer and plan in one query; the menu needs no more."""
    with django_assert_num_queries(1):
        response = logged_in.get("/menu/")
    assert response.status_code == 200
