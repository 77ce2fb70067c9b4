"""A database error raised outside a view (in a middleware, as a session saved on the way out raises it) answers
the same clear 503 as one raised in a view, through the project's 500 handler; any other error there still gets
the 500 page. The database itself going away is tested in tests/test_faults.py (PostgreSQL only)."""

import pytest
from django.db import InterfaceError, OperationalError
from django.test import Client

from config.middleware import DatabaseUnavailableMiddleware

ERRORS = {
    "operational": OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused"),
    "interface": InterfaceError("connection already closed"),
    "other": RuntimeError("not the database"),
}


class FailsOnTheWayOut:
    """Raises the error the request names (X-Fail) after the view answered, as SessionMiddleware does when the
    session cannot be saved."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        error = request.headers.get("X-Fail")
        if error:
            raise ERRORS[error]
        return response


@pytest.fixture
def failing(settings):
    middleware = list(settings.MIDDLEWARE)
    # Inside DatabaseUnavailableMiddleware, whose process_exception sees only a view's errors.
    middleware.insert(
        middleware.index("django.contrib.sessions.middleware.SessionMiddleware"),
        f"{__name__}.FailsOnTheWayOut",
    )
    settings.MIDDLEWARE = middleware
    settings.DEBUG = False
    return Client(raise_request_exception=False)


@pytest.mark.django_db
@pytest.mark.parametrize("error", ["operational", "interface"])
def test_a_database_error_in_a_middleware_answers_503(failing, error, caplog):
    page = failing.get("/login/", HTTP_X_FAIL=error)
    assert page.status_code == 503 and page["Retry-After"] == "30"
    body = page.content.decode()
    assert "The database is not reachable; try again shortly." in body
    assert "5432" not in body and "Traceback" not in body
    api = failing.post("/api/v1/auth/token", {}, content_type="application/json", HTTP_X_FAIL=error)
    assert api.status_code == 503
    assert api.json() == {"errors": {"": ["The database is not reachable; try again shortly."]}}
    # The cause is in the log for the operator.
    assert any("Database unreachable" in record.getMessage() for record in caplog.records)


@pytest.mark.django_db
def test_any_other_error_in_a_middleware_is_still_the_500_page(failing):
    page = failing.get("/login/", HTTP_X_FAIL="other")
    assert page.status_code == 500
    assert page.templates[-1].name == "500.html"
    assert "not the database" not in page.content.decode()


@pytest.mark.django_db
def test_without_the_500_handler_the_middleware_alone_would_answer_500(failing, settings):
    # What the handler adds: the middleware's process_exception never sees an error raised in another middleware.
    settings.ROOT_URLCONF = "tests.urls_without_500_handler"
    assert failing.get("/login/", HTTP_X_FAIL="operational").status_code == 500
    assert DatabaseUnavailableMiddleware.process_exception  # the view-error path is unchanged
