"""What every portal page costs the database before its own work."""

import pytest


@pytest.mark.django_db
def test_a_page_reads_the_user_customer_and_plan_in_one_query(logged_in, django_assert_num_queries):
    """The session comes from the cache; the user, customer and plan in one query; the menu needs no more."""
    with django_assert_num_queries(1):
        response = logged_in.get("/menu/")
    assert response.status_code == 200


@pytest.mark.django_db
def test_the_application_page_reads_the_application_and_its_lines_in_two_more(
    logged_in, pool, django_assert_num_queries
):
    from selfcare.portal.tests.conftest import place

    url = place(logged_in, 3)
    with django_assert_num_queries(3):
        response = logged_in.get(url)
    assert response.status_code == 200
