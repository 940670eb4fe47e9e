"""Signals sent by tenant_sso.

``login_succeeded(sender=Connection, request, user, connection, claims, created)``
    after a user is provisioned and logged in.
``login_failed(sender=Connection | None, request, connection, code, detail)``
    after a login attempt was refused (any reason code).
``logged_out(sender=Connection | None, request, user, connection)``
    after the Django session ended, before the redirect to the identity provider.
``credential_expiring(sender=Connection, connection, credential, threshold, days_left, expired)``
    once per credential and threshold (30, 14, 7 days left; 0 = expired): a SAML signing
    certificate or a known client-secret expiry (tenant_sso.expiry; docs/saml.md).

The setup portal (docs/setup-portal.md), each with ``sender=Organization, organization`` and
``step`` (one of ``link_sent``, ``configured``, ``tested``, ``domain_verified``, ``live``,
``disabled``) plus ``detail``:

``setup_step``
    after each step of an organization's self-service setup completed (a project can send an
    email or notify its CRM).
"""

from __future__ import annotations

from django.dispatch import Signal

login_succeeded = Signal()
login_failed = Signal()
logged_out = Signal()
credential_expiring = Signal()
setup_step = Signal()
