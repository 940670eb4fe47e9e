"""Read an admin page's form the way a browser would submit it, so tests post what a person sees."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any


class _FormValues(HTMLParser):
    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.values: dict[str, Any] = {}
        self._textarea: str | None = None
        self._select: str | None = None
        self._select_multiple = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.values[name] = a.get("value", "on")
            elif kind not in ("submit", "button", "file"):
                self.values[name] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.values[name] = ""
        elif tag == "select" and name:
            self._select = name
            self._select_multiple = "multiple" in a
            self.values[name] = [] if self._select_multiple else ""
        elif tag == "option" and self._select and "selected" in a:
            if self._select_multiple:
                self.values[self._select].append(a.get("value", ""))
            else:
                self.values[self._select] = a.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            value = self.values[self._textarea] + data
            # The HTML spec drops one newline right after <textarea>.
            self.values[self._textarea] = value[1:] if value.startswith("\n") and not self.values[self._textarea] else value


def form_values(html: str, form_id: str) -> dict[str, Any]:
    parser = _FormValues(form_id)
    parser.feed(html)
    return parser.values
