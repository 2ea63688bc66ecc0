"""Every column that stores a secret encrypted (``core.crypto``), by model and field.

Key rotation re-encrypts each of them, and a test holds this list against the models: a new
``*_encrypted`` field anywhere fails it until it is listed here and rotated (and, if it holds
something posted to a customer, purged).
"""

from __future__ import annotations

ENCRYPTED_COLUMNS: dict[str, tuple[str, ...]] = {
    # A line's two passwords, until its letter has been posted long enough (purge.py).
    "orders.IssuedLine": ("service_pin_encrypted", "sip_password_encrypted"),
    # An initial self-care password waiting on its letter, until posted long enough (purge.py).
    "letters.Letter": ("secret_encrypted",),
    # A webhook endpoint's signing secret, for as long as the endpoint exists.
    "integrations.WebhookEndpoint": ("secret_encrypted",),
}
