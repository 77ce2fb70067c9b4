"""Settings for the test suite: the real settings, with a secret generated for this run.

Nothing secret lives in the repository. DATABASE_URL and REDIS_URL still come from the environment, so the
suite runs against PostgreSQL and Redis when .ci/run provides them."""

import os
import secrets

os.environ["LICENSA_TESTING"] = "1"
os.environ.setdefault("SECRET_KEY", "test-" + secrets.token_urlsafe(48))

from .settings import *  # noqa: E402,F403
