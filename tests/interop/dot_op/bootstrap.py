"""Create the provider's users, groups and applications from ``DOT_OP_CONFIG`` (after migrate).

Run as ``python -m tests.interop.dot_op.bootstrap`` with ``DJANGO_SETTINGS_MODULE`` set.
"""

from __future__ import annotations

import django


def main() -> None:
    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import Group, User
    from oauth2_provider.models import Application

    config = settings.CONFIG
    for username, spec in config["users"].items():
        user = User.objects.create_user(username, email=spec.get("email", ""), password="any")
        for name in spec.get("groups", []):
            user.groups.add(Group.objects.get_or_create(name=name)[0])
    for client in config["clients"]:
        Application.objects.create(
            name=client["client_id"],
            client_id=client["client_id"],
            client_secret=client["client_secret"],  # stored hashed by the model
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=" ".join(client["redirect_uris"]),
            post_logout_redirect_uris=" ".join(client["post_logout_redirect_uris"]),
            algorithm=Application.RS256_ALGORITHM,
            skip_authorization=True,  # no consent page: the customer's IT admin trusts the app
        )


if __name__ == "__main__":
    main()
