"""config.middleware.LocaleMiddleware skips Django's URL-prefix lookups when no i18n_patterns are in use, and
otherwise does what Django's LocaleMiddleware does: the same language activated and on the request, the same Vary
and Content-Language headers, on every kind of request and response; with i18n_patterns, Django's own code runs."""

import pytest
from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.http import HttpResponse, JsonResponse
from django.middleware.locale import LocaleMiddleware as DjangoLocaleMiddleware
from django.test import RequestFactory
from django.urls import path
from django.utils import translation

from config.middleware import LocaleMiddleware

# A URLconf with i18n_patterns, for the requests that name it: Django's own middleware answers those.
urlpatterns = i18n_patterns(path("page/", lambda request: HttpResponse("page"), name="i18n-page"))

REQUESTS = [
    ("/api/v1/cases", {}),
    ("/api/v1/cases", {"HTTP_ACCEPT_LANGUAGE": "zh-Hans,zh;q=0.9"}),
    ("/cases/", {"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.8"}),
    ("/cases/", {"HTTP_ACCEPT_LANGUAGE": "fr-FR,fr;q=0.9"}),
    ("/cases/", {"HTTP_COOKIE": f"{settings.LANGUAGE_COOKIE_NAME}=zh-hans"}),
    ("/zh-hans/cases/", {}),
]
RESPONSES = {
    "json": lambda: JsonResponse({"a": 1}),
    "not found": lambda: HttpResponse("no", status=404),
    "varies already": lambda: _with(HttpResponse(), Vary="Cookie"),
    "own language": lambda: _with(HttpResponse(), **{"Content-Language": "de"}),
}


def _with(response, **headers):
    for name, value in headers.items():
        response[name] = value
    return response


def run(middleware_class, path_info, meta, make_response, urlconf=None):
    request = RequestFactory().get(path_info, **meta)
    if urlconf:
        request.urlconf = urlconf
    middleware = middleware_class(lambda request: make_response())
    with translation.override("en"):
        outcome = middleware.process_request(request)
        active = translation.get_language()
        response = outcome or middleware.process_response(request, make_response())
    return {
        "active": active,
        "request": request.LANGUAGE_CODE,
        "status": response.status_code,
        "headers": dict(response.headers),
    }


def test_the_locale_middleware_in_use_is_ours():
    assert "config.middleware.LocaleMiddleware" in settings.MIDDLEWARE
    assert "django.middleware.locale.LocaleMiddleware" not in settings.MIDDLEWARE


@pytest.mark.parametrize(("path_info", "meta"), REQUESTS)
@pytest.mark.parametrize("kind", RESPONSES)
def test_same_language_and_headers_as_djangos(path_info, meta, kind):
    ours = run(LocaleMiddleware, path_info, meta, RESPONSES[kind])
    assert ours == run(DjangoLocaleMiddleware, path_info, meta, RESPONSES[kind])
    assert "Accept-Language" in ours["headers"]["Vary"]


def test_a_chinese_reader_gets_chinese():
    ours = run(LocaleMiddleware, "/cases/", {"HTTP_ACCEPT_LANGUAGE": "zh-Hans"}, RESPONSES["json"])
    assert ours["active"] == ours["request"] == ours["headers"]["Content-Language"] == "zh-hans"


@pytest.mark.parametrize("path_info", ["/zh-hans/page/", "/en/page/", "/page/", "/zh-hans/nowhere/"])
def test_under_i18n_patterns_djangos_own_code_runs(path_info):
    for kind in ("json", "not found"):
        ours = run(LocaleMiddleware, path_info, {}, RESPONSES[kind], urlconf=__name__)
        assert ours == run(DjangoLocaleMiddleware, path_info, {}, RESPONSES[kind], urlconf=__name__)
    # The language comes from the path, which the shortcut would not look at.
    ours = run(LocaleMiddleware, "/zh-hans/page/", {}, RESPONSES["json"], urlconf=__name__)
    assert ours["active"] == "zh-hans"
