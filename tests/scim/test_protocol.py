"""Create, read, filter and page through the SCIM endpoints."""

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


def test_pages_and_other_filters(scim):
    ids = [scim("POST", "/Users", user_body(f"u{i}@acme.com", external_id=f"e{i}")).json_body["id"] for i in range(5)]
    page = scim("GET", "/Users?startIndex=2&count=2").json_body
    assert page["totalResults"] == 5 and page["startIndex"] == 2
    assert [r["id"] for r in page["Resources"]] == ids[1:3]
    found = scim("GET", '/Users?filter=userName sw "u3" or externalId eq "e4"').json_body
    assert sorted(r["userName"] for r in found["Resources"]) == ["u3@acme.com", "u4@acme.com"]
    assert scim("GET", f'/Users?filter=id eq "{ids[0]}"').json_body["totalResults"] == 1
    assert scim("GET", '/Users?filter=id eq "nope"').json_body["totalResults"] == 0
