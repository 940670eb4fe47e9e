"""SCIM 2.0 provisioning per organization (RFC 7643/7644; docs/scim.md).

The protocol is scim2-server's (request validation, PATCH, filters, responses, SCIM errors) over
scim2-models; this package adds what is ours:

    tokens.py   the organization's bearer token: created/rotated/revoked, stored as a SHA-256
                digest, compared in constant time, audited;
    service.py  the scim2-server service (ServiceProviderConfig, resource types, schemas) and
                the normalisation of what Entra ID and Okta really send before validation;
    store.py    the SCIM user store: reads and converts the organization's ScimUser/ScimGroup
                rows; every write goes through tenant_sso.provisioning;
    views.py    thin: token, rate limit, the scim2-server handler, audit;
    urls.py     Users, Groups, ServiceProviderConfig, ResourceTypes, Schemas under one org.
"""
