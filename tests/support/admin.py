"""The admin's connection form as a person fills it in, and the messages it answers with."""

from __future__ import annotations

import re
from html import unescape


def errors_of(html: str) -> str:
    return unescape(" ".join(re.findall(r'<ul class="errorlist"[^>]*>(.*?)</ul>', html, re.S)))


def messages_of(html: str) -> str:
    return unescape(" ".join(re.findall(r'<ul class="messagelist">(.*?)</ul>', html, re.S)))


def new_connection(**overrides: str) -> dict[str, str]:
    data = {
        "name": "",
        "kind": "cognito",
        "enabled": "on",
        "client_id": "5abc1defg2hij3klm4nop5qrs",
        "client_secret": "s3cret-from-cognito",
        "token_auth_method": "auto",
        "issuer": "eu-west-1_AbC123xyz",
        "cognito_domain": "initech.auth.eu-west-1.amazoncognito.com",
        "identity_provider": "InitechOkta",
        "allowed_groups": "engineering\nsso-admins\n",
        "group_mapping": "sso-admins = Administrators\nengineering = Engineers",
        "groups_claim": "",
        "roles_claim": "",
        "max_session_age": "28800",
        "logout_redirect_url": "",
        "upstream_logout_url": "",
    }
    data.update(overrides)
    return data
