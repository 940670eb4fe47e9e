"""What tests share: one login driver, one HTML form parser, the app's URLs, factories as fixtures.

* :mod:`tests.support.urls`      -- the app's paths from ``reverse()`` (login, signin, callbacks, logout).
* :mod:`tests.support.html`      -- the one HTML form parser (forms, hidden fields, an admin form's values).
* :mod:`tests.support.driver`    -- the login driver on Django's test client, and the browser at the IdP.
* :mod:`tests.support.pages`     -- what a refusal looks like: the reason code on the page, the audit row.
* :mod:`tests.support.stubs`     -- tiny misbehaving HTTP servers and the devidp request log.
* :mod:`tests.support.idp`       -- the local identity provider's two-tenant configuration.
* :mod:`tests.support.cognito`   -- boto3 clients on moto, the onboarding command's arguments, AWS errors.
* :mod:`tests.support.admin`     -- the admin's connection form as a person fills it in, its messages.
* :mod:`tests.support.factories` -- pytest fixtures making organizations, connections, identities, users.

conftest.py files hold fixtures only; test modules import helpers from here (the live-server
drivers stay with their servers: tests/services/helpers.py, tests/interop/harness.py).
"""
