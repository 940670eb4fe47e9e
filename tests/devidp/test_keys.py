"""Signing keys: persistence in a key file, rotation, retirement."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable
from pathlib import Path

import pytest
from joserfc.errors import BadSignatureError, JoseError

from tenant_sso.devidp import DevIdP, DevIdPConfig, DevIdPKeyFileError, DevIdPServer

from .helpers import config, rp, verify

Factory = Callable[..., DevIdPServer]


def test_key_file_is_created_private_and_reused(tmp_path: Path, devidp_factory: Factory) -> None:
    key_file = tmp_path / "keys" / "devidp-keys.json"
    first = devidp_factory(config(), key_file=key_file)
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    saved = json.loads(key_file.read_text())
    assert len(saved["keys"]) == 1 and "d" in saved["keys"][0]
    token = first.idp.issue_tokens_for("acme-client", "alice@acme.test")["id_token"]
    kid = first.idp.keys.current.kid
    first.stop()

    second = devidp_factory(config(), key_file=key_file)
    assert second.idp.keys.current.kid == kid
    assert [k["kid"] for k in rp().get(second.jwks_url).json()["keys"]] == [kid]
    # A token from the first instance verifies against the second one's JWKS.
    header, claims = verify(second, token)
    assert header["kid"] == kid and claims["email"] == "alice@acme.test"


def test_in_memory_keys_differ_per_instance() -> None:
    a = DevIdP(DevIdPConfig.from_dict(config()))
    b = DevIdP(DevIdPConfig.from_dict(config()))
    assert a.keys.current.kid != b.keys.current.kid


def test_rotation_keeps_old_tokens_verifiable(tmp_path: Path, devidp_factory: Factory) -> None:
    key_file = tmp_path / "keys.json"
    server = devidp_factory(config(), key_file=key_file)
    idp = server.idp
    old_kid = idp.keys.current.kid
    old_token = idp.issue_tokens_for("acme-client", "alice@acme.test")["id_token"]

    new_kid = idp.rotate_keys()
    assert new_kid != old_kid and idp.keys.current.kid == new_kid
    published = [k["kid"] for k in rp().get(server.jwks_url).json()["keys"]]
    assert published == [new_kid, old_kid]
    assert verify(server, old_token)[0]["kid"] == old_kid
    new_token = idp.issue_tokens_for("acme-client", "alice@acme.test")["id_token"]
    assert verify(server, new_token)[0]["kid"] == new_kid
    assert len(json.loads(key_file.read_text())["keys"]) == 2  # persisted

    third = idp.rotate_keys(retain=1)
    assert [k["kid"] for k in rp().get(server.jwks_url).json()["keys"]] == [third]
    with pytest.raises(JoseError):
        verify(server, old_token)
    with pytest.raises(ValueError, match="retain"):
        idp.rotate_keys(retain=0)


def test_corrupt_key_file(tmp_path: Path) -> None:
    key_file = tmp_path / "keys.json"
    key_file.write_text('{"keys": "nope"}')
    with pytest.raises(DevIdPKeyFileError, match="cannot load key file"):
        DevIdP(DevIdPConfig.from_dict(config()), key_file=key_file)


def test_keystore_verify_rejects_foreign_signatures() -> None:
    a = DevIdP(DevIdPConfig.from_dict(config()))
    b = DevIdP(DevIdPConfig.from_dict(config()))
    token = a.keys.sign({}, {"sub": "x"})
    assert a.keys.verify(token) == {"sub": "x"}
    with pytest.raises((JoseError, BadSignatureError)):
        b.keys.verify(token.replace(a.keys.current.kid or "", b.keys.current.kid or ""))
