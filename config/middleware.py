"""A database that cannot be reached answers 503, not a stack trace or a bare 500.

When PostgreSQL restarts, fails over or drops the app's connections, a request's query raises OperationalError (or
InterfaceError on a connection that is already closed). That is the service being briefly unavailable, not a bug:
the browser gets templates/503.html and the API the usual error shape, both with Retry-After, and the broken
connection is closed here so the next request opens a fresh one instead of failing on the dead one."""

import logging

from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 30


def _close_broken_connections() -> None:
    for conn in connections.all(initialized_only=True):
        # A connection inside an atomic block belongs to the code that opened it; closing it there would hide the
        # error from that code's own rollback.
        if not conn.in_atomic_block:
            conn.close_if_unusable_or_obsolete()


def database_unavailable(request: HttpRequest) -> HttpResponse:
    message = _("The database is not reachable; try again shortly.")
    if request.path_info.startswith("/api/"):
        response: HttpResponse = JsonResponse({"errors": {"": [message]}}, status=503)
    else:
        # Rendered without the request: the context processors read the user, which needs the database.
        response = HttpResponse(loader.render_to_string("503.html", {"message": message}), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, (OperationalError, InterfaceError)):
            return None
        # The operator needs the cause (host, error) in the log; the visitor gets none of it.
        logger.error("Database unreachable on %s %s: %s", request.method, request.path, exception)
        _close_broken_connections()
        return database_unavailable(request)
