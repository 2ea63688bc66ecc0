from django import template

register = template.Library()


@register.filter
def yen(value: int) -> str:
    """1234 -> 1,234 (yen amounts are whole numbers)."""
    return f"{int(value):,}"
