"""Every citation of docs/cognito.md in the code names a section that exists there."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CITATION = re.compile(r'docs/cognito\.md,\s+"([^"]+)"')


def test_cognito_citations_name_existing_sections() -> None:
    sections = set(re.findall(r"^## (.+)$", (ROOT / "docs/cognito.md").read_text(), re.M))
    cited: dict[str, list[str]] = {}
    for path in [*ROOT.glob("src/**/*.py"), *ROOT.glob("tests/**/*.py"), ROOT / "tests/interop/op/server.mjs"]:
        text = path.read_text()
        assert "cognito" + "-facts" not in text, f"{path} cites a document the repository does not have"
        for name in CITATION.findall(text):
            cited.setdefault(name, []).append(str(path.relative_to(ROOT)))
    assert cited, "no citation found: the pattern is wrong"
    missing = {name: files for name, files in cited.items() if name not in sections}
    assert not missing, f"sections cited but absent from docs/cognito.md: {missing}"
