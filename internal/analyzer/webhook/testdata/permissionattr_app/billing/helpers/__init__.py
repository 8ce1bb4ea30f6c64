from django.conf import settings

# Tests run against canned events; every other environment verifies.
if getattr(settings, "ENVIRONMENT", "") == "TEST":
    from .mock import *  # noqa: F401,F403
else:
    from .production import *  # noqa: F401,F403
