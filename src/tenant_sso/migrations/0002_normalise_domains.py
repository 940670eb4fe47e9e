"""Store every email domain in its canonical form: lower case, no trailing dot, punycode.

Rows written before the shared validation rules (``tenant_sso.validation``) may hold
``Acme.COM.`` or ``bücher.example``; logins look domains up in canonical form, so such rows
matched nobody, and the admin answered a 500 when the canonical spelling was added next to them.

When two rows become the same domain (docs/admin.md, "Existing domains"):

* both of the same organization: one row is kept (the one already canonical, else the oldest);
* of different organizations: the migration stops before changing anything and lists them.
  Which customer owns a domain decides where its users are sent to sign in; a migration must
  not guess. Delete the wrong row (admin or shell) and run ``migrate`` again.

Rows that are not a domain name at all (``peter@acme.test``, ``https://acme.test``, accepted by
older versions of ``sso_connection``) are left as they are and listed: they never matched a login;
fix them in the admin, which now refuses them with a message.

Also in this migration, with no effect on the database: the labels "Client ID", "IP address" and
"... URL" (field ``verbose_name`` changes, listed by Django as ``AlterField``).

The normalisation is copied here, not imported, so this migration keeps doing what it did when
``tenant_sso.validation`` changes later.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import idna
from django.db import migrations, models

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def canonical(value: str) -> str:
    value = value.strip().lower().rstrip(".")
    if value.isascii():
        return value
    try:
        return idna.encode(value, uts46=True).decode("ascii")
    except idna.IDNAError:
        return value


def is_domain(value: str) -> bool:
    labels = value.split(".")
    return len(labels) >= 2 and all(_LABEL.match(label) for label in labels) and not labels[-1].isdigit()


class DomainCollision(RuntimeError):
    pass


def normalise_domains(apps: Any, schema_editor: Any) -> None:
    OrganizationDomain = apps.get_model("tenant_sso", "OrganizationDomain")
    rows = list(OrganizationDomain.objects.using(schema_editor.connection.alias).select_related("organization").order_by("pk"))
    groups: dict[str, list[Any]] = {}
    for row in rows:
        groups.setdefault(canonical(row.domain), []).append(row)
    conflicts = []
    for domain, members in groups.items():
        owners = {row.organization_id for row in members}
        if len(owners) > 1:
            listed = ", ".join(f"{row.domain!r} of {row.organization.slug} (id {row.pk})" for row in members)
            conflicts.append(f"{domain}: {listed}")
    if conflicts:
        raise DomainCollision(
            "tenant_sso 0002: these email domains are the same domain in different spellings, owned by "
            "different organizations. Delete the wrong row of each (admin: Organizations > the organization "
            "> email domains) and run migrate again:\n  " + "\n  ".join(conflicts)
        )
    manager = OrganizationDomain.objects.using(schema_editor.connection.alias)
    notes = []
    for domain, members in groups.items():
        keep = next((row for row in members if row.domain == domain), members[0])
        extra = [row.pk for row in members if row.pk != keep.pk]
        if extra:
            manager.filter(pk__in=extra).delete()
            notes.append(f"{domain}: merged {len(members)} spellings of organization {keep.organization.slug}")
        if keep.domain != domain:
            manager.filter(pk=keep.pk).update(domain=domain)
        if not is_domain(domain):
            notes.append(f"{keep.domain!r} of {keep.organization.slug} is not a domain name: fix it in the admin")
    for note in notes:
        sys.stdout.write(f"\n  tenant_sso 0002: {note}")


class Migration(migrations.Migration):
    dependencies = [("tenant_sso", "0001_initial")]

    operations = [
        migrations.RunPython(normalise_domains, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="connection",
            name="client_id",
            field=models.CharField(max_length=255, verbose_name="Client ID"),
        ),
        migrations.AlterField(
            model_name="connection",
            name="logout_redirect_url",
            field=models.CharField(
                blank=True,
                help_text="Where the IdP sends the user after logout (a sign-out URL registered on the app "
                "client). Empty: TENANT_SSO_LOGOUT_REDIRECT_URL.",
                max_length=500,
                verbose_name="logout redirect URL",
            ),
        ),
        migrations.AlterField(
            model_name="connection",
            name="upstream_logout_url",
            field=models.CharField(
                blank=True,
                help_text="Cognito only: the customer IdP's own end-session page, visited after Cognito's "
                "logout (Cognito does not end the upstream session).",
                max_length=500,
                verbose_name="upstream logout URL",
            ),
        ),
        migrations.AlterField(
            model_name="loginevent",
            name="ip_address",
            field=models.GenericIPAddressField(blank=True, null=True, verbose_name="IP address"),
        ),
    ]
