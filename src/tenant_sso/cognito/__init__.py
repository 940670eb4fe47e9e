"""Amazon Cognito specifics: its identifiers and claim quirks, and onboarding tenants with boto3.

Modules, and how calls run (one way, top to bottom)::

    management/commands/sso_cognito.py, admin_actions.py    the command and the admin action
        -> onboarding.py    the use cases: Provisioner.onboard / offboard / status (Outcome, StatusRow)
            -> observe.py   read the current state from Cognito and from our database (no writes)
            -> plan/        desired vs current -> steps, pure (no boto3, no Django):
                            model.py (data), names.py (names from a slug), one planner per resource:
                            attributes.py, identity_provider.py, app_client.py, branding.py,
                            connection.py; __init__.py composes them (plan_onboarding, plan_offboarding)
            -> apply.py     execute a plan's steps; the connection row via connections.upsert_connection
                -> aws.py   the AWS API seam: boto3 clients, throttled calls, paging, AWS errors
                            translated by a table (the only module importing boto3/botocore)
                    -> throttle.py  client-side rate limit, retries with backoff and jitter

    config.py       TENANT_SSO_COGNITO_POOLS and the app client's URLs, read from settings
    identifiers.py  pool ID, region, issuer URL, domain: Cognito's identifiers, validated
    claims.py       the ``identities`` claim's quirks, used at login

The customer's IdP is OIDC (``plan.Upstream``) or SAML 2.0 (``plan.SAMLIdP``: its metadata is
read and checked by ``onboarding.with_saml_metadata`` before any AWS call, and what was onboarded
is recorded through ``tenant_sso.saml_store``); the planners branch on the provider type only in
``plan/identity_provider.py`` (details, mapping) and ``plan/app_client.py`` (the IdP-initiated
callback).

A new onboarding step is a planner in ``plan/``, called from ``plan_onboarding`` in its place
(``apply.py`` runs any step as the API call it names; it needs a line only when the step changes
what ``observe.py`` caches). A new AWS error is a row of ``aws.AWS_ERRORS``. The admin action's
page is the template ``admin/tenant_sso/cognito_onboard.html``.
"""
