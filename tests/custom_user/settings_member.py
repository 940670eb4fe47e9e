"""The test settings with ``custom_user.Member`` (no groups, UUID key) as the user model."""

from tests.settings import *  # noqa: F403

INSTALLED_APPS = [*INSTALLED_APPS, "tests.custom_user"]  # noqa: F405
AUTH_USER_MODEL = "custom_user.Member"
