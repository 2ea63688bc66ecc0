"""The OpenAPI document as clients and Swagger UI parse it: no key twice, every answer described."""

from __future__ import annotations

import json

import pytest


def _no_duplicates(pairs):
    keys = [key for key, _ in pairs]
    duplicated = {key for key in keys if keys.count(key) > 1}
    assert not duplicated, f"keys given twice: {duplicated}"
    return dict(pairs)


@pytest.mark.django_db
def test_the_document_has_no_key_twice_and_the_201_answer_keeps_its_schema_and_links(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200

    document = json.loads(response.content, object_pairs_hook=_no_duplicates)

    created = document["paths"]["/api/v1/applications"]["post"]["responses"]["201"]
    assert created["description"]
    assert "application/json" in created["content"]
    assert set(created["links"]) == {"GetApplication", "ReissueFirstNumber"}
    for path in document["paths"].values():
        for operation in path.values():
            for status, answer in operation["responses"].items():
                assert answer.get("description"), (operation.get("operationId"), status)
