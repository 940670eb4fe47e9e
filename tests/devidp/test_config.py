"""Configuration parsing and the custom-attribute wire formats."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tenant_sso.devidp import DevIdPConfig, DevIdPConfigError, format_multi_value
from tenant_sso.devidp.claims import form_encode, pool_user_sub

from .helpers import config


def test_from_dict_parses_the_example() -> None:
    parsed = DevIdPConfig.from_dict(config())
    assert parsed.user_pool_id == "us-east-1_DevPool01"
    assert parsed.clients[0].identity_providers == ("AcmeOkta",)
    alice = parsed.identity_providers[0].users[0]
    assert alice.groups == ("engineering", "sso-admins")
    assert parsed.code_ttl == 300


def test_load_json_and_toml(tmp_path: Path) -> None:
    json_file = tmp_path / "pool.json"
    json_file.write_text(json.dumps(config()))
    toml_file = tmp_path / "pool.toml"
    toml_file.write_text(
        'user_pool_id = "us-east-1_X1"\n'
        "[[clients]]\n"
        'client_id = "c"\nclient_secret = "s"\ncallback_urls = ["http://127.0.0.1:8000/cb"]\n'
        'identity_providers = ["Okta"]\n'
        "[[identity_providers]]\n"
        'name = "Okta"\ngroups_format = "json"\n'
        "[[identity_providers.users]]\n"
        'sub = "u1"\nemail = "u1@example.test"\ngroups = ["a"]\n'
    )
    assert DevIdPConfig.load(json_file).clients[0].client_id == "acme-client"
    toml = DevIdPConfig.load(toml_file)
    assert toml.identity_providers[0].groups_format == "json"
    assert toml.identity_providers[0].users[0].email == "u1@example.test"


def _broken(path: str, value: Any) -> dict[str, Any]:
    data = config()
    target: Any = data
    *parents, last = path.split(".")
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is KeyError:
        del target[last]
    else:
        target[last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("user_pool_id", "no-underscore", "user_pool_id"),
        ("clients", [], "clients"),
        ("clients.0.identity_providers", ["Nope"], "unknown identity provider 'Nope'"),
        ("clients.0.callback_urls", ["/relative"], "absolute URL"),
        ("clients.0.client_id", KeyError, "'client_id' is required"),
        ("identity_providers.0.groups_format", "csv", "groups_format"),
        ("identity_providers.0.users.0.email", "not-an-email", "not an email"),
        ("identity_providers.0.users.1.sub", "00u1alice", "duplicate user sub"),
        ("identity_providers.0.users.0.groups", "engineering", "list of strings"),
        ("identity_providers.0.users.0.email_verified", "yes", "true or false"),
        ("token_ttl", 0, "token_ttl"),
        ("tokn_ttl", 5, "unknown key(s) 'tokn_ttl'"),
    ],
)
def test_config_errors_are_clear(path: str, value: Any, message: str) -> None:
    with pytest.raises(DevIdPConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        DevIdPConfig.from_dict(_broken(path, value))


def test_load_errors(tmp_path: Path) -> None:
    bad = tmp_path / "pool.json"
    bad.write_text("{not json")
    with pytest.raises(DevIdPConfigError, match="not valid json"):
        DevIdPConfig.load(bad)
    with pytest.raises(DevIdPConfigError, match="unsupported extension"):
        DevIdPConfig.load(tmp_path / "pool.yaml")
    with pytest.raises(DevIdPConfigError, match="cannot read"):
        DevIdPConfig.load(tmp_path / "missing.json")
    assert issubclass(DevIdPConfigError, ValueError)


@pytest.mark.parametrize(
    ("fmt", "values", "expected"),
    [
        ("bracketed", ["engineering", "sso-admins"], "[engineering, sso-admins]"),
        ("json", ["engineering", "sso-admins"], '["engineering","sso-admins"]'),
        ("single", ["engineering", "sso-admins"], "engineering"),
        ("bracketed", ["R&D", "a.b-c*d_e", "Sales Team"], "[R%26D, a.b-c*d_e, Sales Team]"),
        ("bracketed", ["x, y", "R&D team", "é"], "[x%2C+y, R%26D+team, %C3%A9]"),
        ("json", ["R&D"], '["R&D"]'),
        ("bracketed", [], None),
        ("json", [], None),
        ("single", [], None),
    ],
)
def test_multi_value_formats(fmt: Any, values: list[str], expected: str | None) -> None:
    assert format_multi_value(values, fmt) == expected


def test_form_encode_is_java_urlencoder() -> None:
    assert form_encode("a~b+c d") == "a%7Eb%2Bc+d"


def test_pool_user_sub_is_a_stable_uuid_distinct_from_the_upstream_sub() -> None:
    first = pool_user_sub("us-east-1_P", "Okta", "00u1")
    assert first == pool_user_sub("us-east-1_P", "Okta", "00u1")
    assert first != pool_user_sub("us-east-1_P", "Entra", "00u1")
    assert len(first) == 36 and first != "00u1"
