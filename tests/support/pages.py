"""What a refusal looks like to a person and to an auditor: the page's reason code, the audit row."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

ME = "/api/me/"
DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def reason(response: Any) -> str:
    """The reason code shown on the error page (``#sso-error-code``)."""
    match = re.search(rb'id="sso-error-code">([^<]*)<', response.content)
    return match.group(1).decode() if match else ""


def documented_codes() -> frozenset[str]:
    """Every code in the first column of the reason-code table of docs/security.md (its
    "## Reason codes" section)."""
    codes: set[str] = set()
    section = DOC.read_text().split("\n## Reason codes\n", 1)[1].split("\n## ", 1)[0]
    for line in section.splitlines():
        if line.startswith("| `"):
            codes.update(re.findall(r"`([a-z_]+)`", line.split("|")[1]))
    return frozenset(codes)


def assert_refused(client: Any, response: Any, status: int, code: str) -> None:
    """A refusal a user and an auditor notice: status, code on the page, audit event, no session;
    and the code is one docs/security.md explains."""
    from tenant_sso.models import LoginEvent

    assert code in documented_codes(), f"{code} is not in the reason-code table of docs/security.md"
    assert response.status_code == status, (response.status_code, reason(response), response.content[:400])
    assert reason(response) == code
    event = LoginEvent.objects.order_by("-id").first()
    assert event is not None and event.reason == code
    assert event.outcome in (LoginEvent.Outcome.DENIED, LoginEvent.Outcome.ERROR)
    assert client.get(ME).status_code == 401
