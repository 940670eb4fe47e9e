"""The example project's settings with :class:`tests.services.barrier.BarrierAdapter`."""

from example_project.settings import *  # noqa: F403

TENANT_SSO_ADAPTER = "tests.services.barrier.BarrierAdapter"
