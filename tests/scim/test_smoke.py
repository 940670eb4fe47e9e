from __future__ import annotations

from tests.scim.conftest import user_body


def test_create_get_filter(scim):
    created = scim("POST", "/Users", user_body())
    assert created.status_code == 201, created.content
    uid = created.json_body["id"]
    got = scim("GET", f"/Users/{uid}")
    assert got.status_code == 200, got.content
    found = scim("GET", '/Users?filter=userName eq "ANN@acme.com"')
    assert found.status_code == 200, found.content
    assert found.json_body["totalResults"] == 1
    print(found.json_body)
