"""HTML pages: the upstream IdP's sign-in page, the provider chooser and error pages.

Plain semantic HTML with inline CSS and no JavaScript. Element ids and names are stable so that
browser tests can drive them:

* one ``<button name="user" value="{email}">`` per configured user (class ``user``);
* ``<input id="email" name="email">`` with ``<button id="sign-in">`` to type an email;
* ``<button id="cancel">`` to deny (redirects with ``error=access_denied``);
* ``<p id="error">`` carries an error message when there is one;
* on the chooser page, one ``<a class="idp" data-idp="{name}">`` per identity provider.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from .config import UserConfig

_CSS = """
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
background:#eef1f6;color:#1d2433}
main{max-width:460px;margin:48px auto;background:#fff;border-radius:12px;
box-shadow:0 4px 24px rgba(20,30,60,.12);padding:28px 32px}
header{border-bottom:1px solid #e3e7ef;margin-bottom:18px;padding-bottom:12px}
h1{font-size:22px;margin:0 0 4px}
.sub{color:#5b6478;font-size:13px;margin:0}
.badge{display:inline-block;background:#fff4d6;color:#7a5a00;border-radius:4px;
font-size:11px;font-weight:600;padding:1px 6px;letter-spacing:.04em;text-transform:uppercase}
form{margin:0}
ul{list-style:none;padding:0;margin:0 0 16px}
li{margin:0 0 8px}
button,.idp{font:inherit;cursor:pointer;border-radius:8px}
button.user,.idp{display:block;width:100%;text-align:left;background:#f7f9fc;
border:1px solid #d5dbe6;padding:10px 14px;color:inherit;text-decoration:none}
button.user:hover,.idp:hover{border-color:#3b6fd8;background:#f0f5ff}
.email{display:block;font-weight:600}
.groups{display:block;color:#5b6478;font-size:13px}
label{display:block;font-weight:600;margin:8px 0 4px}
input{font:inherit;width:100%;padding:9px 12px;border:1px solid #c4ccda;border-radius:8px}
.row{display:flex;gap:8px;margin-top:12px}
#sign-in{background:#3b6fd8;color:#fff;border:0;padding:9px 18px}
#cancel{background:none;border:1px solid #c4ccda;padding:9px 18px;color:#3d4659}
#error{background:#fdecec;color:#8a1c1c;border-radius:8px;padding:10px 14px}
.or{color:#8a93a6;text-align:center;font-size:13px;margin:14px 0 6px}
footer{margin-top:18px;color:#8a93a6;font-size:12px}
"""


def _document(title: str, body: str) -> str:
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_CSS}</style></head>"
        f"<body><main>{body}</main></body></html>\n"
    )


def _hidden(request_id: str, csrf_token: str) -> str:
    return (
        f'<input type="hidden" name="request_id" value="{escape(request_id)}">'
        f'<input type="hidden" name="csrf_token" value="{escape(csrf_token)}">'
    )


def login_page(
    *,
    idp_name: str,
    client_id: str,
    users: Sequence[UserConfig],
    request_id: str,
    csrf_token: str,
    error: str | None = None,
    email: str = "",
) -> str:
    """The stand-in for the customer's Okta / Entra ID sign-in page."""
    hidden = _hidden(request_id, csrf_token)
    items = []
    for user in users:
        groups = ", ".join(user.groups) if user.groups else "no groups"
        items.append(
            f'<li><button type="submit" class="user" name="user" value="{escape(user.email)}">'
            f'<span class="email">{escape(user.email)}</span>'
            f'<span class="groups">{escape(groups)}</span></button></li>'
        )
    users_html = (
        f'<form method="post" action="/login" id="users">{hidden}<ul>{"".join(items)}</ul></form>'
        '<p class="or">or type an email</p>'
        if items
        else ""
    )
    error_html = f'<p id="error" role="alert">{escape(error)}</p>' if error else ""
    body = (
        f'<header><span class="badge">devidp</span><h1>Sign in to {escape(idp_name)}</h1>'
        f'<p class="sub">for app client <code>{escape(client_id)}</code></p></header>'
        f"{error_html}{users_html}"
        f'<form method="post" action="/login" id="email-form">{hidden}'
        '<label for="email">Email</label>'
        f'<input id="email" name="email" type="email" autocomplete="username" required'
        f' value="{escape(email)}">'
        '<div class="row"><button id="sign-in" type="submit" name="action" value="sign-in">'
        "Sign in</button></div></form>"
        f'<form method="post" action="/login" id="cancel-form">{hidden}'
        '<div class="row"><button id="cancel" type="submit" name="action" value="cancel">'
        "Cancel</button></div></form>"
        "<footer>Local development identity provider standing in for the customer's IdP."
        "</footer>"
    )
    return _document(f"{idp_name} - Sign in", body)


def chooser_page(*, client_id: str, links: Sequence[tuple[str, str]]) -> str:
    """Cognito's managed login page for a client with several identity providers."""
    items = "".join(
        f'<li><a class="idp" data-idp="{escape(name)}" href="{escape(url)}">'
        f'<span class="email">Sign in with {escape(name)}</span></a></li>'
        for name, url in links
    )
    body = (
        '<header><span class="badge">devidp</span><h1>Sign in with your corporate ID</h1>'
        f'<p class="sub">for app client <code>{escape(client_id)}</code></p></header>'
        f"<ul>{items}</ul>"
    )
    return _document("Signin", body)


def error_page(error: str, description: str) -> str:
    """Cognito's "An error was encountered with the requested page." (never a redirect)."""
    body = (
        '<header><span class="badge">devidp</span><h1>An error was encountered with the requested'
        " page.</h1></header>"
        f'<p id="error" role="alert"><strong>{escape(error)}</strong>: {escape(description)}</p>'
    )
    return _document("Error", body)


def message_page(title: str, message: str) -> str:
    """A simple informational page (e.g. after the upstream IdP's own sign-out)."""
    body = (
        f'<header><span class="badge">devidp</span><h1>{escape(title)}</h1></header>'
        f'<p id="message">{escape(message)}</p>'
    )
    return _document(title, body)
