"""The project's URLs without its 500 handler (tests/test_database_errors_outside_views.py)."""

from config.urls import urlpatterns  # noqa: F401
