"""config.csp.CachedPolicyCSPMiddleware builds the Content-Security-Policy once, and answers every kind of response
with exactly the headers django-csp's own CSPMiddleware gives it: the plain policy, a view's own (@csp_update,
@csp_replace, @csp and their report-only forms), a per-request nonce, exempt and excluded responses, DEBUG's
error pages, and a changed setting."""

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY, NONCE, SELF
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.test import Client, RequestFactory
from rest_framework.test import APIClient

from config.csp import CachedPolicyCSPMiddleware

HEADERS = (HEADER, HEADER_REPORT_ONLY)


def _ok(request):
    return HttpResponse("ok")


def both(path="/cases/", *, status=200, nonce=False, **attrs):
    """The headers each middleware puts on the same request and an identical fresh response."""
    request = RequestFactory().get(path)
    ours, theirs = CachedPolicyCSPMiddleware(_ok), CSPMiddleware(_ok)
    ours.process_request(request)
    if nonce:
        str(request.csp_nonce)  # what a template's {{ request.csp_nonce }} does
    results = []
    for middleware in (theirs, ours):
        response = JsonResponse({"a": 1}, status=status)
        for name, value in attrs.items():
            setattr(response, name, value)
        middleware.process_response(request, response)
        results.append({h: response.get(h) for h in HEADERS})
    return results[0], results[1], request


def test_the_csp_middleware_in_use_is_the_one_that_builds_once():
    assert "config.csp.CachedPolicyCSPMiddleware" in settings.MIDDLEWARE
    assert "csp.middleware.CSPMiddleware" not in settings.MIDDLEWARE


def test_the_header_is_built_once_and_reused():
    middleware = CachedPolicyCSPMiddleware(_ok)
    request = RequestFactory().get("/api/v1/cases/")
    first = middleware.process_response(request, JsonResponse({}))[HEADER]
    second = middleware.process_response(RequestFactory().get("/login/"), HttpResponse())[HEADER]
    assert first == build_policy()
    # The very same string object: nothing rebuilt it for the second response.
    assert second is first


@pytest.mark.parametrize("status", [200, 201, 302, 400, 403, 404, 413, 500, 503])
def test_the_plain_policy_is_django_csps_own(status):
    theirs, ours, _ = both(status=status)
    assert ours == theirs
    assert ours[HEADER] == build_policy() and "script-src 'self'" in ours[HEADER]


@pytest.mark.parametrize("status", [404, 500])
def test_debug_error_pages_go_without_a_policy_as_with_django_csp(settings, status):
    settings.DEBUG = True
    theirs, ours, _ = both(status=status)
    assert ours == theirs == {HEADER: None, HEADER_REPORT_ONLY: None}


@pytest.mark.parametrize(
    ("attrs", "own"),
    [
        ({"_csp_update": {"img-src": ["https://maps.example.org"]}}, True),
        ({"_csp_replace": {"script-src": ["'self'", "https://cdn.example.org"]}}, True),
        ({"_csp_config": {"default-src": ["'none'"]}}, True),
        ({"_csp_config_ro": {"default-src": ["'self'"]}}, True),
        # With no report-only policy in settings there is nothing to update or replace: django-csp adds none.
        ({"_csp_update_ro": {"img-src": ["https://maps.example.org"]}}, False),
        ({"_csp_replace_ro": {"img-src": ["https://maps.example.org"]}}, False),
    ],
    ids=lambda value: next(iter(value)) if isinstance(value, dict) else "",
)
def test_a_views_own_policy_is_django_csps_own(attrs, own):
    theirs, ours, _ = both(**attrs)
    assert ours == theirs
    assert (ours != {HEADER: build_policy(), HEADER_REPORT_ONLY: None}) is own


def test_an_exempt_response_or_one_with_its_own_header_is_left_alone():
    theirs, ours, _ = both(_csp_exempt=True)
    assert ours == theirs == {HEADER: None, HEADER_REPORT_ONLY: None}
    request = RequestFactory().get("/")
    response = HttpResponse()
    response[HEADER] = "default-src 'none'"
    CachedPolicyCSPMiddleware(_ok).process_response(request, response)
    assert response[HEADER] == "default-src 'none'"


def test_a_report_only_policy_and_excluded_prefixes_follow_the_settings(settings):
    settings.CONTENT_SECURITY_POLICY = {**settings.CONTENT_SECURITY_POLICY, "EXCLUDE_URL_PREFIXES": ["/api/"]}
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {"DIRECTIVES": {"default-src": [SELF], "img-src": ["https:"]}}
    theirs, ours, _ = both("/cases/")
    assert ours == theirs and ours[HEADER_REPORT_ONLY] == build_policy(report_only=True)
    assert "img-src https:" in ours[HEADER_REPORT_ONLY]
    theirs, ours, _ = both("/api/v1/cases/")
    assert ours == theirs and ours[HEADER] is None and ours[HEADER_REPORT_ONLY]


def test_a_changed_policy_is_used_at_once(settings):
    middleware = CachedPolicyCSPMiddleware(_ok)
    before = middleware.process_response(RequestFactory().get("/"), HttpResponse())[HEADER]
    assert before == build_policy() and "script-src 'self'" in before
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": ["'none'"]}}
    after = middleware.process_response(RequestFactory().get("/"), HttpResponse())[HEADER]
    assert after == "default-src 'none'"


def test_a_nonce_in_the_policy_is_each_requests_own(settings):
    settings.CONTENT_SECURITY_POLICY = {"DIRECTIVES": {"default-src": [SELF], "script-src": [SELF, NONCE]}}
    theirs, ours, request = both(nonce=True)
    assert ours == theirs
    assert f"'nonce-{request.csp_nonce}'" in ours[HEADER]
    _, other, other_request = both(nonce=True)
    assert other_request.csp_nonce != request.csp_nonce and other[HEADER] != ours[HEADER]
    # A request that never asked for its nonce gets the policy without one, as from django-csp.
    theirs, ours, _ = both(nonce=False)
    assert ours == theirs and "nonce" not in ours[HEADER]


def test_a_nonce_the_policy_does_not_name_changes_nothing():
    theirs, ours, _ = both(nonce=True)
    assert ours == theirs == {HEADER: build_policy(), HEADER_REPORT_ONLY: None}


def test_a_nonce_asked_for_after_the_header_is_written_still_raises():
    _, _, request = both()
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)


@pytest.mark.django_db
def test_pages_and_api_responses_carry_the_same_policy(officer):
    api = APIClient()
    api.force_authenticate(officer)
    responses = [
        Client().get("/login/"),
        Client().get("/no-such-page/"),
        api.get("/api/v1/cases"),
        APIClient().get("/api/v1/cases"),
    ]
    assert [r.status_code for r in responses] == [200, 404, 200, 401]
    assert {r[HEADER] for r in responses} == {build_policy()}
    assert not any(HEADER_REPORT_ONLY in r for r in responses)
