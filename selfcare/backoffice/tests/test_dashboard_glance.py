"""The dashboard answers an operator's morning questions, each with one bounded query."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from selfcare.backoffice.tests.conftest import html, ja


def test_the_dashboard_shows_letters_locks_applications_and_issuable_numbers(customer_centre, world):
    world.beta.user.locked_until = timezone.now() + dt.timedelta(minutes=30)
    world.beta.user.save()

    response = customer_centre.get("/staff/")

    context = response.context
    assert context["letters_unprinted"] == 1  # Beta's letter
    assert context["letters_unposted"] == 0
    assert context["customers_locked"] == 1
    assert (context["applications_today"].applications, context["applications_today"].numbers) == (2, 5)
    assert context["applications_week"].applications == 2
    assert context["issuable_by_month"][0]["issuable"] >= context["pool"].free_now
    page = html(response)
    for label in ("Today at a glance", "letters to print", "customer logins locked", "numbers issuable now"):
        assert ja(label) in page, label
    assert "/staff/accounts/customer/?locked=yes" in page
    locked = customer_centre.get("/staff/accounts/customer/", {"locked": "yes"})
    assert [c.pk for c in locked.context["cl"].result_list] == [world.beta.pk]


def test_the_month_table_covers_the_months_of_the_chart_beside_it(customer_centre, world):
    """The table of issuable numbers by month stopped at 6 months while the chart of the same releases showed
    12: a number back from quarantine in its 7th month was in one and not the other."""
    context = customer_centre.get("/staff/").context
    charted = [bar["label"] for bar in context["releases"]["bars"]]
    assert [row["month"].strftime("%y/%m") for row in context["issuable_by_month"]] == charted
    assert len(charted) == 12


def test_the_numbers_added_by_week_come_from_the_day_counts(customer_centre, world):
    """Not from the applications of twelve weeks (a hundred thousand at ten million numbers): a day's count
    is what the chart shows, whatever the applications table holds."""
    from selfcare.core import clock
    from selfcare.inventory.models import IssueCount

    before = customer_centre.get("/staff/").context["additions"]["bars"][-1]["count"]
    IssueCount.objects.create(day=clock.today(), numbers=1000)
    assert customer_centre.get("/staff/").context["additions"]["bars"][-1]["count"] == before + 1000


def test_the_dashboard_costs_a_fixed_number_of_queries(customer_centre, world, django_assert_max_num_queries):
    with django_assert_max_num_queries(20):
        customer_centre.get("/staff/")


def test_a_number_whose_cancellation_takes_effect_later_is_counted_held_not_waiting(customer_centre, world):
    from selfcare.core import clock
    from selfcare.orders.services import numbers_cancel
    from selfcare.testing import TEST_ACTOR

    before = customer_centre.get("/staff/").context["pool"]
    numbers_cancel(
        customer_id=world.beta.pk,
        numbers=["05000000003"],
        received_on=clock.today(),
        effective_on=clock.today() + dt.timedelta(days=20),
        actor=TEST_ACTOR,
    )
    after = customer_centre.get("/staff/").context["pool"]
    assert (after.assigned, after.in_quarantine, after.free_now) == (
        before.assigned,
        before.in_quarantine,
        before.free_now,
    )


def test_the_printed_not_posted_figure_opens_the_list_of_just_those(customer_centre, world):
    from selfcare.letters.services import letters_print
    from selfcare.testing import TEST_ACTOR

    letters_print(letter_ids=[world.beta_letter.pk], actor=TEST_ACTOR)
    response = customer_centre.get("/staff/")
    assert response.context["letters_unposted"] == 1
    page = html(response)
    assert "?posted=printed" in page
    assert ja("Recent actions") not in page  # Django's empty "recent actions" box is gone
    listed = customer_centre.get("/staff/letters/letter/", {"posted": "printed"})
    assert [letter.pk for letter in listed.context["cl"].result_list] == [world.beta_letter.pk]


def test_each_figure_links_only_where_the_role_may_go(auditor, customer_centre, superuser, world):
    """A figure whose page the role cannot open is plain text: every link on the dashboard opens."""
    import re

    for staff in (auditor, customer_centre, superuser):
        page = html(staff.get("/staff/"))
        glance = page[page.index('class="glance"') : page.index("</ul>", page.index('class="glance"'))]
        for href in re.findall(r'href="([^"]+)"', glance):
            response = staff.get(href.replace("&amp;", "&"))
            assert response.status_code == 200, (staff.user.username, href, response.status_code)
    auditor_page = html(auditor.get("/staff/"))
    for label in ("letters to print", "customer logins locked", "numbers issuable now"):
        assert ja(label) in auditor_page, label  # the figure is still there, as text
    assert 'href="/staff/letters/letter/print/"' not in auditor_page
    assert 'href="/staff/letters/letter/print/"' in html(superuser.get("/staff/"))
