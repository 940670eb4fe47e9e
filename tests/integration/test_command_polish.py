"""What an operator sees of the management commands: every option explained in ``--help``,
repeatable options said to be, ``sso_connection list`` as a table with its header and domains,
``sso_cognito status`` without boto3 saying so once and failing."""

from __future__ import annotations

import argparse
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command, load_command_class

from tenant_sso.models import Connection, Organization, OrganizationDomain

COMMANDS = ["sso_connection", "sso_cognito", "sso_prune_events", "sso_rotate_secrets"]


def _parsers(name: str) -> list[tuple[str, argparse.ArgumentParser]]:
    command = load_command_class("tenant_sso", name)
    parser = command.create_parser("manage.py", name)
    found = [(name, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found += [(f"{name} {sub}", p) for sub, p in action.choices.items()]
    return found


def _own_options(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    """The options a command defines (not Django's --verbosity, --settings...)."""
    django_defaults = {"--version", "--verbosity", "--settings", "--pythonpath", "--traceback", "--no-color",
                       "--force-color", "--skip-checks", "--help"}
    return [
        a for a in parser._actions
        if not isinstance(a, argparse._SubParsersAction | argparse._HelpAction)
        and not django_defaults & set(a.option_strings)
    ]


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_is_explained_and_repeatable_ones_say_so(name: str) -> None:
    unexplained, silent_repeats = [], []
    for where, parser in _parsers(name):
        for action in _own_options(parser):
            label = f"{where} {'/'.join(action.option_strings) or action.dest}"
            if not (action.help or "").strip():
                unexplained.append(label)
            if isinstance(action, argparse._AppendAction) and "Repeatable" not in (action.help or ""):
                silent_repeats.append(label)
    assert unexplained == [], f"options without help: {unexplained}"
    assert silent_repeats == [], f"repeatable options that do not say so: {silent_repeats}"


def test_help_of_create_says_repeatable_in_the_printed_text() -> None:
    parser = dict(_parsers("sso_connection"))["sso_connection create"]
    text = parser.format_help()
    assert "--email-domain DOMAIN" in text and "Repeatable: one per domain" in text
    assert "--allowed-group GROUP" in text and "Repeatable: one per group" in text


@pytest.mark.django_db
def test_list_prints_a_header_row_and_the_domains() -> None:
    for slug, domains in (("acme", ["acme.com", "acme.co.uk"]), ("globex-international", ["globex.test"])):
        org = Organization.objects.create(name=slug, slug=slug)
        for domain in domains:
            OrganizationDomain.objects.create(organization=org, domain=domain)
        connection = Connection(organization=org, kind="oidc", client_id=f"{slug}-client",
                                issuer=f"https://{slug}.okta.test", allowed_groups=["x"])
        connection.set_client_secret("s")
        connection.save()
    out = StringIO()
    call_command("sso_connection", "list", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0].split() == ["ORGANIZATION", "KIND", "STATE", "CLIENT", "ID", "EMAIL", "DOMAINS", "ISSUER"]
    assert lines[1].split() == ["acme", "oidc", "enabled", "acme-client", "acme.co.uk,acme.com", "https://acme.okta.test"]
    assert lines[2].split()[0] == "globex-international" and "globex.test" in lines[2]
    # Columns line up under the header, whatever the slug's length.
    assert lines[1].index("oidc") == lines[0].index("KIND") == lines[2].index("oidc")


@pytest.mark.django_db
def test_list_without_connections_says_so() -> None:
    out = StringIO()
    call_command("sso_connection", "list", stdout=out)
    assert out.getvalue().strip() == "No connections."


@pytest.mark.django_db
def test_status_without_boto3_says_so_once_and_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    for slug in ("acme", "globex", "initech"):
        org = Organization.objects.create(name=slug, slug=slug)
        connection = Connection(organization=org, kind="cognito", client_id=f"{slug}-client",
                                issuer="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123",
                                cognito_domain="acme.auth.us-east-1.amazoncognito.com", allowed_groups=["x"])
        connection.set_client_secret("s")
        connection.save()
    monkeypatch.setitem(sys.modules, "boto3", None)  # what an install without the [cognito] extra looks like
    out, err = StringIO(), StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("sso_cognito", "status", stdout=out, stderr=err)
    text = str(caught.value) + out.getvalue() + err.getvalue()
    assert text.count("boto3 missing") == 1, text
    assert str(caught.value).startswith("[boto3_missing] ")
    assert "drift" not in text.lower()


@pytest.mark.django_db
def test_status_without_boto3_through_a_given_provisioner_also_fails_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from tenant_sso.cognito.onboarding import Provisioner

    org = Organization.objects.create(name="acme", slug="acme")
    connection = Connection(organization=org, kind="cognito", client_id="c",
                            issuer="https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123",
                            cognito_domain="acme.auth.us-east-1.amazoncognito.com", allowed_groups=["x"])
    connection.set_client_secret("s")
    connection.save()
    monkeypatch.setitem(sys.modules, "boto3", None)
    with pytest.raises(CommandError, match=r"^\[boto3_missing\] boto3 missing"):
        call_command("sso_cognito", "status", provisioner=Provisioner(), stdout=StringIO())
