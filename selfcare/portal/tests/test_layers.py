"""The portal renders what services and selectors return: no ORM query, window rule or decryption of its own."""

from __future__ import annotations

import ast
from pathlib import Path

VIEWS = Path(__file__).resolve().parents[1] / "views.py"


def test_the_views_read_orders_through_its_selectors_only():
    tree = ast.parse(VIEWS.read_text())
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    names = {node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)}

    assert "selfcare.orders.models" not in imported
    assert not {"service_pin", "sip_password", "SELFCARE_SHOW_PASSWORDS_MINUTES"} & names
