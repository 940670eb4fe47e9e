"""The one HTML form parser of the tests: read a page's forms as a browser would submit them.

``parse_forms`` gives every form (action, method, hidden inputs, named buttons, and every value
the form would submit); ``form_values`` is one form's values by ``id`` (an admin page, so tests
post what a person sees); ``hidden_fields`` is every hidden input of a page.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any


class _Forms(HTMLParser):
    """Collects forms: id, action, method, hidden inputs, named buttons and submitted values."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._form: dict[str, Any] | None = None
        self._textarea: str | None = None
        self._select: str | None = None
        self._select_multiple = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = {"id": a.get("id", ""), "action": a.get("action", ""),
                          "method": a.get("method", "get").lower(), "hidden": {}, "buttons": [], "values": {}}
            self.forms.append(self._form)
            return
        if self._form is None:
            return
        values = self._form["values"]
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind == "hidden":
                self._form["hidden"][name] = a.get("value", "")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    values[name] = a.get("value", "on")
            elif kind not in ("submit", "button", "file"):
                values[name] = a.get("value", "")
        elif tag == "button" and name:
            self._form["buttons"].append((name, a.get("value", "")))
        elif tag == "textarea" and name:
            self._textarea = name
            values[name] = ""
        elif tag == "select" and name:
            self._select = name
            self._select_multiple = "multiple" in a
            values[name] = [] if self._select_multiple else ""
        elif tag == "option" and self._select and "selected" in a:
            if self._select_multiple:
                values[self._select].append(a.get("value", ""))
            else:
                values[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea and self._form is not None:
            values = self._form["values"]
            value = values[self._textarea] + data
            # The HTML spec drops one newline right after <textarea>.
            values[self._textarea] = value[1:] if value.startswith("\n") and not values[self._textarea] else value


def parse_forms(html: str) -> list[dict[str, Any]]:
    """Every form of ``html``: ``{"id", "action", "method", "hidden", "buttons", "values"}``."""
    parser = _Forms()
    parser.feed(html)
    return parser.forms


def form_values(html: str, form_id: str) -> dict[str, Any]:
    """What form ``form_id`` would submit as it stands ({} when the page has no such form)."""
    return next((form["values"] for form in parse_forms(html) if form["id"] == form_id), {})


def hidden_fields(html: str) -> dict[str, str]:
    """Every hidden input of the page's forms, by name."""
    return {name: value for form in parse_forms(html) for name, value in form["hidden"].items()}
