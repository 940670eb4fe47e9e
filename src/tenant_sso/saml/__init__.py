"""SAML 2.0 upstreams (brokered by Cognito, or by the local devidp): pure, no Django imports.

- :mod:`.metadata`: an IdP's metadata parsed safely and checked (``parse_metadata``).
- :mod:`.presets`: each vendor's attribute names (Okta, Entra ID, ADFS, Google Workspace, generic).
- :mod:`.sp`: the values the customer's IT admin pastes into their IdP (``sp_values``).

What Django stores of a SAML upstream is in :mod:`tenant_sso.saml_store` (docs/saml.md).
"""
