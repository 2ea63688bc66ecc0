"""The one owner of every stored secret: which columns hold one, their key rotation and their purge.

Encryption itself is ``core.crypto`` (Fernet under SELFCARE_ENCRYPTION_KEYS, the first key encrypting).
The apps write their secrets when they make them (a line's passwords at issue, a letter's initial
password when it is queued, a webhook's signing secret at registration); everything that happens to
a stored secret afterwards happens here. This package sits above the apps that hold secrets and locks
their rows only through their own ``lock_objects`` modules (docs/architecture.md).
"""
