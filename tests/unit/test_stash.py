"""The one session stash: stored under an id, expiring, capped, taken once."""

from __future__ import annotations

import time
from types import SimpleNamespace
from typing import Any

import pytest
from django.test import override_settings

from tenant_sso import stash


def browser() -> Any:
    return SimpleNamespace(session={})


def test_an_entry_is_taken_once() -> None:
    request = browser()
    id = stash.stash(request, stash.UPSTREAM_LOGOUT, {"connection": 7})
    assert stash.peek(request, stash.UPSTREAM_LOGOUT, id)["connection"] == 7  # type: ignore[index]
    taken = stash.unstash(request, stash.UPSTREAM_LOGOUT, id)
    assert taken is not None and taken.value["connection"] == 7 and not taken.expired
    assert stash.unstash(request, stash.UPSTREAM_LOGOUT, id) is None


def test_a_miss_leaves_the_session_untouched() -> None:
    request = browser()
    assert stash.unstash(request, stash.ATTEMPTS, "no-such-state") is None
    assert request.session == {}


@override_settings(TENANT_SSO_STATE_TTL=60)
def test_an_old_entry_is_returned_expired_and_still_consumed() -> None:
    request = browser()
    request.session[stash.ATTEMPTS.key] = {"s": {"connection": 1, "at": time.time() - 61}}
    taken = stash.unstash(request, stash.ATTEMPTS, "s")
    assert taken is not None and taken.expired
    assert request.session[stash.ATTEMPTS.key] == {}


@override_settings(TENANT_SSO_MAX_PENDING_LOGINS=3)
def test_the_cap_drops_the_oldest_first() -> None:
    request = browser()
    ids = [stash.stash(request, stash.ATTEMPTS, {"n": n}) for n in range(5)]
    kept = request.session[stash.ATTEMPTS.key]
    assert len(kept) == 3
    assert [kept[i]["n"] for i in ids[2:]] == [2, 3, 4]


def test_a_second_copy_of_a_request_cannot_take_an_attempt_the_first_took() -> None:
    first, second = browser(), browser()
    id = stash.stash(first, stash.ATTEMPTS, {"connection": 1})
    second.session = {stash.ATTEMPTS.key: dict(first.session[stash.ATTEMPTS.key])}  # loaded before the save
    assert stash.unstash(first, stash.ATTEMPTS, id) is not None
    with pytest.raises(stash.AlreadyTaken):
        stash.unstash(second, stash.ATTEMPTS, id)


def test_without_an_id_the_newest_is_taken_and_the_kind_cleared() -> None:
    request = browser()
    request.session[stash.UPSTREAM_LOGOUT.key] = {
        "a": {"connection": 1, "at": time.time() - 5},
        "b": {"connection": 2, "at": time.time()},
    }
    taken = stash.unstash(request, stash.UPSTREAM_LOGOUT)
    assert taken is not None and taken.value["connection"] == 2
    assert stash.UPSTREAM_LOGOUT.key not in request.session
