"""The reason codes docs/security.md documents are exactly the codes the code can raise.

Reason codes are a stable interface (error page, audit log, signals): a code raised but not in the
table is one nobody can look up; a documented code nothing raises any more is a stale promise.
The codes are read from the source of ``src/tenant_sso`` (not by running it), so a new
``raise TokenError("...")`` anywhere is seen without a test that triggers it:

* a string literal given as the code (first argument or ``code=``) to :class:`SSOError` or a
  subclass of it, found by name across the package;
* a local name holding the code, when it is assigned string literals (``code = "a" if x else "b"``)
  or unpacked from a module-level table (``code, message, status = TABLE.get(k, default)``);
* families built by the HTTP seam (``f"{what}_timeout"``, given to an error class directly or by
  an error class's ``__init__``): each suffix, followed through functions that pass their
  ``what`` on, is combined with every literal ``what`` a caller gives.

Not reason codes, so not scanned: form and command validation (``InvalidValue``, listed in
docs/admin.md, "Validation") and Cognito onboarding errors (``CognitoError``, listed in
docs/cognito-onboarding.md). A code argument the scanner cannot resolve fails the test: extend
the scanner rather than skip the call.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.pages import documented_codes

SRC = Path(__file__).resolve().parents[2] / "src" / "tenant_sso"
ROOT_ERROR = "SSOError"
NOT_REASON_CODES = {"InvalidValue", "CognitoError"}
#: Default codes of error classes a project's adapter hooks raise (docs/adapter.md), not the package.
RAISED_BY_ADAPTERS = {"AccessDenied"}
#: Cognito onboarding (boto3, commands and admin action; not login): its refusals are listed in the
#: "Errors" table of docs/cognito-onboarding.md, which may document them instead of docs/security.md.
ONBOARDING = "tenant_sso/cognito/"
ONBOARDING_DOC = SRC.parents[1] / "docs" / "cognito-onboarding.md"


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _strings(node: ast.expr | None) -> set[str] | None:
    """The string literals ``node`` can be: a constant, or a conditional of constants."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        body, orelse = _strings(node.body), _strings(node.orelse)
        return body | orelse if body is not None and orelse is not None else None
    return None


def _first_of_tuples(node: ast.expr) -> set[str] | None:
    """First elements of a tuple literal, or of every value of a dict literal of tuples."""
    values = node.values if isinstance(node, ast.Dict) else [node]
    codes: set[str] = set()
    for value in values:
        found = _strings(value.elts[0]) if isinstance(value, ast.Tuple) and value.elts else None
        if found is None:
            return None
        codes |= found
    return codes


@dataclass
class Scan:
    codes: dict[str, str] = field(default_factory=dict)  # code -> where it is raised
    unresolved: list[str] = field(default_factory=list)
    suffixes: dict[str, set[str]] = field(default_factory=dict)  # function -> {"_timeout", ...}
    params: dict[str, list[str]] = field(default_factory=dict)  # function -> parameter names

    def add(self, codes: set[str], where: str) -> None:
        for code in codes:
            self.codes.setdefault(code, where)


def _modules() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" not in path.parts:
            yield str(path.relative_to(SRC.parent)), ast.parse(path.read_text(), filename=str(path))


def _error_classes(modules: list[tuple[str, ast.Module]]) -> set[str]:
    classes = {ROOT_ERROR}
    grew = True
    while grew:
        grew = False
        for _, tree in modules:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef) and node.name not in classes:
                    if any(_name(base) in classes for base in node.bases):
                        classes.add(node.name)
                        grew = True
    return classes


def _functions(tree: ast.Module) -> Iterator[ast.FunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            yield node


def _code_argument(call: ast.Call) -> ast.expr | None:
    if call.args:
        return call.args[0]
    return next((k.value for k in call.keywords if k.arg == "code"), None)


def _resolve_local(
    name: str, function: ast.FunctionDef | None, tables: dict[str, ast.expr], line: int
) -> set[str] | None:
    """String literals held by local ``name`` at ``line``: its last assignment before that line."""
    if function is None:
        return None
    last: tuple[int, set[str] | None] | None = None
    for node in ast.walk(function):
        if not isinstance(node, ast.Assign) or node.lineno >= line:
            continue
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id == name:
                strings = _strings(node.value)
            elif isinstance(target, ast.Tuple) and any(isinstance(t, ast.Name) and t.id == name for t in target.elts):
                strings = _unpacked(node.value, tables) if _name(target.elts[0]) == name else None
            else:
                continue
            if last is None or node.lineno > last[0]:
                last = (node.lineno, strings)
    return last[1] if last else None


def _unpacked(value: ast.expr, tables: dict[str, ast.expr]) -> set[str] | None:
    """``TABLE.get(key, default)`` or ``TABLE[key]``: the first elements of its tuples."""
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "get":
        table, defaults = value.func.value, value.args[1:]
    elif isinstance(value, ast.Subscript):
        table, defaults = value.value, []
    else:
        return None
    name = _name(table)
    if name not in tables:
        return None
    codes = _first_of_tuples(tables[name])
    for default in defaults:
        more = _first_of_tuples(default)
        if codes is None or more is None:
            return None
        codes |= more
    return codes


def _family_suffix(node: ast.expr) -> str | None:
    """``f"{what}_timeout"`` -> ``"_timeout"``."""
    if isinstance(node, ast.JoinedStr) and len(node.values) == 2:
        head, tail = node.values
        if (isinstance(head, ast.FormattedValue) and _name(head.value) == "what"
                and isinstance(tail, ast.Constant) and isinstance(tail.value, str)):
            return tail.value
    return None


def _suffix_template(node: ast.expr) -> bool:
    """``f"{what}_{self.suffix}"``: the code's suffix is the class attribute ``suffix``."""
    if isinstance(node, ast.JoinedStr) and len(node.values) == 3:
        head, separator, tail = node.values
        return (isinstance(head, ast.FormattedValue) and _name(head.value) == "what"
                and isinstance(separator, ast.Constant) and separator.value == "_"
                and isinstance(tail, ast.FormattedValue) and isinstance(tail.value, ast.Attribute)
                and tail.value.attr == "suffix")
    return False


def _super_init_calls(init: ast.FunctionDef) -> Iterator[ast.Call]:
    for call in ast.walk(init):
        if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                and call.func.attr == "__init__" and isinstance(call.func.value, ast.Call)
                and _name(call.func.value.func) == "super"):
            yield call


def _init_of(node: ast.ClassDef) -> ast.FunctionDef | None:
    return next((f for f in node.body if isinstance(f, ast.FunctionDef) and f.name == "__init__"), None)


def _suffix_attribute(node: ast.ClassDef) -> str | None:
    for statement in node.body:
        targets = (statement.targets if isinstance(statement, ast.Assign)
                   else [statement.target] if isinstance(statement, ast.AnnAssign) else [])
        if any(_name(t) == "suffix" for t in targets):
            found = _strings(statement.value)
            return next(iter(found)) if found and len(found) == 1 else None
    return None


def _attribute_families(modules: list[tuple[str, ast.Module]], classes: set[str], result: Scan) -> set[str]:
    """Error classes under a base whose ``__init__`` builds ``f"{what}_{self.suffix}"`` (the typed
    provider errors of exceptions.py): each names the family ``_<suffix>`` of its own (or its
    nearest ancestor's) ``suffix`` attribute, with its own (or its nearest ancestor's) parameters."""
    defs = {node.name: node for _, tree in modules for node in ast.walk(tree)
            if isinstance(node, ast.ClassDef) and node.name in classes}
    templates = {name for name, node in defs.items()
                 if (init := _init_of(node)) is not None
                 and any((arg := _code_argument(call)) is not None and _suffix_template(arg)
                         for call in _super_init_calls(init))}

    def lineage(name: str) -> list[ast.ClassDef]:
        chain, seen = [], set()
        while name in defs and name not in seen:
            seen.add(name)
            chain.append(defs[name])
            name = next((b for b in map(_name, defs[name].bases) if b in defs), "")
        return chain

    family: set[str] = set()
    for name in defs:
        chain = lineage(name)
        if not any(node.name in templates for node in chain):
            continue
        suffix = next((s for s in map(_suffix_attribute, chain) if s is not None), None)
        init = next((i for i in map(_init_of, chain) if i is not None), None)
        if suffix is None or init is None:
            continue
        result.suffixes.setdefault(name, set()).add(f"_{suffix}")
        result.params[name] = [a.arg for a in init.args.args] + ["*"] + [a.arg for a in init.args.kwonlyargs]
        family.add(name)
    return family


def _what_argument(call: ast.Call, params: list[str]) -> ast.expr | None:
    for keyword in call.keywords:
        if keyword.arg == "what":
            return keyword.value
    if "what" in params and params.index("what") < params.index("*"):
        index = params.index("what") - (1 if params and params[0] == "self" else 0)
        if 0 <= index < len(call.args):
            return call.args[index]
    return None


def _family_classes(modules: list[tuple[str, ast.Module]], classes: set[str], result: Scan) -> set[str]:
    """Error classes whose ``__init__`` builds the code from ``what``
    (``super().__init__(f"{what}_timeout", ...)``): a call of one names a family member."""
    family: set[str] = set()
    for _, tree in modules:
        for node in ast.walk(tree):
            if not (isinstance(node, ast.ClassDef) and node.name in classes):
                continue
            for init in node.body:
                if not (isinstance(init, ast.FunctionDef) and init.name == "__init__"):
                    continue
                for call in ast.walk(init):
                    if (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)
                            and call.func.attr == "__init__" and isinstance(call.func.value, ast.Call)
                            and _name(call.func.value.func) == "super"):
                        argument = _code_argument(call)
                        suffix = _family_suffix(argument) if argument is not None else None
                        if suffix is not None:
                            result.suffixes.setdefault(node.name, set()).add(suffix)
                            result.params[node.name] = (
                                [a.arg for a in init.args.args] + ["*"] + [a.arg for a in init.args.kwonlyargs]
                            )
                            family.add(node.name)
    return family


def scan(modules: list[tuple[str, ast.Module]] | None = None) -> Scan:
    """The codes ``modules`` (default: every module of src/tenant_sso but migrations) can raise."""
    modules = list(_modules()) if modules is None else modules
    classes = _error_classes(modules) - NOT_REASON_CODES
    result = Scan()
    for _, tree in modules:
        for function in _functions(tree):
            # positional parameters, then "*" and the keyword-only ones
            params = [a.arg for a in function.args.args] + ["*"] + [a.arg for a in function.args.kwonlyargs]
            if "what" in params or function.name not in result.params:
                result.params[function.name] = params
    family = _family_classes(modules, classes, result)  # their calls are followed by _families
    family |= _attribute_families(modules, classes, result)
    for where_file, tree in modules:
        tables = {
            target.id: node.value
            for node in tree.body if isinstance(node, ast.Assign | ast.AnnAssign)
            for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
            if isinstance(target, ast.Name)
            and node.value is not None
        }
        enclosing = {id(child): function for function in _functions(tree) for child in ast.walk(function)}
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _name(node.func) in classes - family):
                continue
            where = f"{where_file}:{node.lineno}"
            argument = _code_argument(node)
            if argument is None:
                continue  # the class's default_code: collected below when the class is instantiated bare
            suffix = _family_suffix(argument)
            function = enclosing.get(id(node))
            if suffix is not None and function is not None:
                result.suffixes.setdefault(function.name, set()).add(suffix)
                continue
            strings = _strings(argument)
            if strings is None and isinstance(argument, ast.Name):
                strings = _resolve_local(argument.id, function, tables, node.lineno)
            if strings is None:
                result.unresolved.append(f"{where}: {ast.unparse(node)[:100]}")
            else:
                result.add(strings, where)
    _bare_defaults(modules, classes, result)
    _adapter_defaults(modules, result)
    _families(modules, result)
    return result


def _bare_defaults(modules: list[tuple[str, ast.Module]], classes: set[str], result: Scan) -> None:
    """``UnknownKeyError(detail=...)``: the code is the class's ``default_code``."""
    defaults: dict[str, str] = {}
    for _, tree in modules:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name in classes:
                for statement in node.body:
                    if (isinstance(statement, ast.Assign | ast.AnnAssign)
                            and any(_name(t) == "default_code" for t in
                                    (statement.targets if isinstance(statement, ast.Assign) else [statement.target]))):
                        strings = _strings(statement.value)
                        if strings:
                            defaults[node.name] = next(iter(strings))
    for where_file, tree in modules:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) in classes and _code_argument(node) is None:
                name = _name(node.func)
                assert name is not None
                if name not in defaults:
                    result.unresolved.append(f"{where_file}:{node.lineno}: {name} without code or default_code")
                else:
                    result.add({defaults[name]}, f"{where_file}:{node.lineno}")


def _adapter_defaults(modules: list[tuple[str, ast.Module]], result: Scan) -> None:
    for where_file, tree in modules:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name in RAISED_BY_ADAPTERS:
                for statement in node.body:
                    if isinstance(statement, ast.Assign) and any(_name(t) == "default_code" for t in statement.targets):
                        result.add(_strings(statement.value) or set(), f"{where_file}:{node.lineno}")


def _families(modules: list[tuple[str, ast.Module]], result: Scan) -> None:
    """Follow ``what`` from the functions that build ``f"{what}_..."`` codes to literal callers."""
    calls = [(where_file, function, node) for where_file, tree in modules for function in _functions(tree)
             for node in ast.walk(function) if isinstance(node, ast.Call)]
    grew = True
    while grew:  # a function passing its own ``what`` on raises what the callee raises
        grew = False
        for _, function, call in calls:
            callee = _name(call.func)
            if callee in result.suffixes and "what" in result.params.get(function.name, []):
                passed = _what_argument(call, result.params.get(callee, []))
                if isinstance(passed, ast.Name) and passed.id == "what":
                    known = result.suffixes.setdefault(function.name, set())
                    if not result.suffixes[callee] <= known:
                        known |= result.suffixes[callee]
                        grew = True
    for where_file, _, call in calls:
        callee = _name(call.func)
        if callee in result.suffixes:
            passed = _what_argument(call, result.params.get(callee, []))
            what = _strings(passed)
            if what is not None:
                result.add({w + s for w in what for s in result.suffixes[callee]}, f"{where_file}:{call.lineno}")


def test_the_scanner_sees_every_kind_of_code() -> None:
    """The scanner finds a literal code, a tabled one, a conditional one, a default_code and families;
    if it found none of one kind the comparison below would prove little."""
    codes = scan().codes
    for code in ("state_unknown", "idp_cancelled", "insecure_issuer", "unknown_kid", "jwks_timeout",
                 "discovery_failed", "token_unreachable"):
        assert code in codes, f"the scanner no longer finds {code}: the comparison below would miss codes"


def _onboarding_codes() -> frozenset[str]:
    """Codes in the first column of the "## Errors" table of docs/cognito-onboarding.md."""
    import re

    section = ONBOARDING_DOC.read_text().split("\n## Errors\n", 1)[1].split("\n## ", 1)[0]
    return frozenset(code for line in section.splitlines() if line.startswith("| `")
                     for code in re.findall(r"`([a-z0-9_]+)`", line.split("|")[1]))


def test_the_scanner_follows_codes_built_by_typed_errors() -> None:
    """Provider errors as types (``ProviderTimeout(what)`` building ``f"{what}_timeout"``) keep
    their codes visible to the scanner; the ``what`` given by a caller names the family member."""
    source = """
class SSOError(Exception): ...
class ProviderError(SSOError): ...
class ProviderTimeout(ProviderError):
    def __init__(self, what, *, detail=""):
        super().__init__(f"{what}_timeout", detail=detail)
def fetch(url, *, what):
    raise ProviderTimeout(what, detail=url)
def keys():
    return fetch("https://idp.example/keys", what="jwks")
def refused():
    raise ProviderError("internal_address")
"""
    result = scan([("tenant_sso/example.py", ast.parse(source))])
    assert not result.unresolved
    assert set(result.codes) == {"jwks_timeout", "internal_address"}


def test_every_code_the_source_raises_is_documented_and_nothing_more() -> None:
    result = scan()
    assert not result.unresolved, (
        "reason codes the scanner cannot read (pass a literal, or teach tests/unit/test_reason_codes.py "
        "this form):\n  " + "\n  ".join(result.unresolved)
    )
    documented = documented_codes()
    onboarding = _onboarding_codes()
    raised = set(result.codes)
    undocumented = sorted(
        code for code in raised - documented
        if not (result.codes[code].startswith(ONBOARDING) and code in onboarding)
    )
    stale = sorted(documented - raised)
    problems = []
    if undocumented:
        problems.append("raised but missing from the reason-code table of docs/security.md:\n  "
                        + "\n  ".join(f"{code}  ({result.codes[code]})" for code in undocumented))
    if stale:
        problems.append("documented in docs/security.md but raised nowhere in src/tenant_sso:\n  "
                        + "\n  ".join(stale))
    assert not problems, "\n".join(problems)
