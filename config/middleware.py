"""The project's own middleware: a database that cannot be reached answers 503, and a body too large to take
answers 413 before it is read.

A database that cannot be reached answers 503, not a stack trace or a bare 500. When PostgreSQL restarts, fails
over or drops the app's connections, a request's query raises OperationalError (or InterfaceError on a connection
that is already closed). That is the service being briefly unavailable, not a bug: the browser gets
templates/503.html and the API the usual error shape, both with Retry-After, and the broken connection is closed
here so the next request opens a fresh one instead of failing on the dead one."""

import logging
import sys

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.template import loader
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views import defaults

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


def _unavailable_answer(request: HttpRequest, exception: BaseException | None) -> HttpResponse | None:
    if not isinstance(exception, (OperationalError, InterfaceError)):
        return None
    # The operator needs the cause (host, error) in the log; the visitor gets none of it.
    logger.error("Database unreachable on %s %s: %s", request.method, request.path, exception)
    _close_broken_connections()
    return database_unavailable(request)


class DatabaseUnavailableMiddleware:
    """The 503 for a view's error. An error raised in another middleware (a session saved on the way out, say) never
    reaches process_exception: Django turns it into its 500 handler's answer, which is `server_error` below."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        return _unavailable_answer(request, exception)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: the 503 when the error being handled is the database's, else Django's own 500 page. Django calls
    it inside the `except` that caught the error, wherever in the middleware or the view it was raised."""
    return _unavailable_answer(request, sys.exception()) or defaults.server_error(request)


def _refused(request: HttpRequest, status: int, title: str, message: str) -> HttpResponse:
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": message}, status=status)
    # Standalone like 503.html: the session and user middleware have not run yet, and need not.
    html = loader.render_to_string("request_refused.html", {"title": title, "message": message})
    return HttpResponse(html, status=status)


class RequestSizeLimitMiddleware:
    """Refuses a request whose body is larger than MAX_REQUEST_BYTES before anything reads it.

    Django streams a multipart body to temporary files (anything over FILE_UPLOAD_MAX_MEMORY_SIZE goes to disk)
    while it parses request.POST/FILES, and only then do the upload checks see the file's size; a 2 GB upload
    would be written out in full before being refused. The declared Content-Length is known before the first byte
    of the body is read, so the refusal costs nothing. Django reads no more than Content-Length declares, so a
    body that lies about its length is cut there, not read on.

    A body sent in chunks (Transfer-Encoding without Content-Length, which gunicorn passes through) has no length
    to check, and Django under WSGI reads such a body as empty: the view would see a form with nothing in it. It
    is answered 411 instead, with a message, so the sender learns to send a length."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit = settings.MAX_REQUEST_BYTES
        declared = request.META.get("CONTENT_LENGTH")
        try:
            length = int(declared) if declared else None
        except ValueError:
            length = None  # what Django itself makes of it: no body
        if length is not None and length > limit:
            logger.warning(
                "Refused %s %s: body of %d bytes over the %d limit", request.method, request.path, length, limit
            )
            with _senders_language(request):
                return _refused(
                    request,
                    413,
                    _("Request too large"),
                    _(
                        "The request is %(size)s MB, more than the %(limit)s MB this service accepts at once. "
                        "Each document may be at most %(document)s MB; send fewer or smaller files."
                    )
                    % {
                        "size": _megabytes(length),
                        "limit": _megabytes(limit),
                        "document": _megabytes(settings.DOCUMENT_MAX_BYTES),
                    },
                )
        if length is None and request.META.get("HTTP_TRANSFER_ENCODING"):
            with _senders_language(request):
                return _refused(
                    request,
                    411,
                    _("Length required"),
                    _(
                        "Send the request with a Content-Length header: a body sent in chunks without one is not "
                        "accepted."
                    ),
                )
        return self.get_response(request)


def _senders_language(request: HttpRequest) -> translation.override:
    """The language LocaleMiddleware would pick from the cookie or Accept-Language. This middleware runs before it,
    and Django never deactivates a language after a response: without this, a refusal would be written in the
    language of whatever request the same thread served last."""
    return translation.override(translation.get_language_from_request(request))


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.1f}".removesuffix(".0")


class LocaleMiddleware(DjangoLocaleMiddleware):
    """Django's LocaleMiddleware without its URL-prefix work when no URLconf uses i18n_patterns.

    Django's looks for a language code at the start of the path twice per request (a regex match and a lookup in
    LANGUAGES each time), and uses the answer only under i18n_patterns, which Licensa's URLs do not use. Without
    them, what is left is exactly what Django's does: the language from the cookie or Accept-Language, activated and
    put on the request, then Vary: Accept-Language and Content-Language on the response. With i18n_patterns in
    the request's URLconf, Django's own code runs. tests/test_request_locale.py compares the two."""

    def process_request(self, request: HttpRequest) -> None:
        if is_language_prefix_patterns_used(getattr(request, "urlconf", settings.ROOT_URLCONF))[0]:
            return super().process_request(request)
        translation.activate(translation.get_language_from_request(request, check_path=False))
        request.LANGUAGE_CODE = translation.get_language()
        return None

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if is_language_prefix_patterns_used(getattr(request, "urlconf", settings.ROOT_URLCONF))[0]:
            return super().process_response(request, response)
        patch_vary_headers(response, ("Accept-Language",))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
