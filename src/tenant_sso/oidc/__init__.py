"""The OpenID Connect relying-party protocol, with no Django imports.

Plain data in, plain data out: metadata and keys are passed in, caches are any object with
``get(key)`` / ``set(key, value, timeout)`` (Django's cache fits), the HTTP client is an
injectable ``httpx.Client``. Errors are :mod:`tenant_sso.exceptions` subclasses with stable codes.
"""
