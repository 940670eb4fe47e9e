"""The self-service setup portal: a customer's IT admin connects their IdP (docs/setup-portal.md).

* :mod:`.links`     setup links (create, open, revoke; only a digest stored), the setup session
                    a link opens, and the portal's audit (:class:`~tenant_sso.models.SetupEvent`);
* :mod:`.providers` the registry of IdP choices (Okta, Entra ID, Google Workspace, generic OIDC):
                    each with its instructions, fields, validation and apply, on either route
                    (through Cognito, or a direct OIDC connection);
* :mod:`.saml`      the SAML choices (ADFS, generic SAML, Okta and Entra ID presets), Cognito
                    route only: the SP values to paste, the metadata's live check, the SAMLIdP
                    upstream apply onboards;
* :mod:`.wizard`    the use cases: state of a setup, live checks, apply, test sign-in result,
                    go-live, break-glass;
* :mod:`.views`     thin views, mounted by ``tenant_sso.urls`` under ``setup/``.
"""
