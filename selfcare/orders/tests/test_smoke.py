from selfcare.orders.services import numbers_add


def test_given_a_pool_when_adding_numbers_then_lines_are_issued_in_order(customer, pool, actor):
    placement = numbers_add(customer_id=customer.pk, count=3, idempotency_key="k", actor=actor)

    assert placement.created
    assert [line.number_id for line in placement.application.lines.order_by("number")] == pool[:3]
