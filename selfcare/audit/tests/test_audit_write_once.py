from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from selfcare.audit.models import AuditEntry
from selfcare.audit.services import audit_record


@pytest.mark.postgres
def test_given_an_audit_entry_when_bulk_updated_or_deleted_then_postgresql_refuses(db, actor):
    entry = audit_record(actor=actor, action="test.written")

    with pytest.raises(DatabaseError, match="written once"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="test.rewritten")
    with pytest.raises(DatabaseError, match="written once"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk)._raw_delete(connection.alias)

    assert AuditEntry.objects.get(pk=entry.pk).action == "test.written"
