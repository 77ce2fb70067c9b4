"""django-csp's middleware, with each policy header built once instead of on every response.

csp.middleware.CSPMiddleware rebuilds the Content-Security-Policy string from settings on every response:
dataclasses.asdict deep-copies the per-response parts, then build_policy merges, copies and joins every directive,
twice (enforced and report-only). For a response that carries no per-view policy (no @csp_update, @csp_replace or
@csp, which set attributes on the response) and no nonce that the policy uses, the result depends on the settings
alone, so it is built once per distinct settings object and reused; about 2% of an API request's CPU.

Anything else (a per-view policy, a nonce the policy interpolates, a changed setting) goes through django-csp's own
code, so which responses get which header, and the header's bytes, stay django-csp's. tests/test_request_csp.py
compares the two for each kind of response."""

from __future__ import annotations

import http.client as http_client
from typing import TYPE_CHECKING

from csp.constants import HEADER, HEADER_REPORT_ONLY, NONCE
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings

if TYPE_CHECKING:
    from django.http import HttpRequest, HttpResponseBase

# The response attributes django-csp's decorators set; any of them makes the policy the view's own.
_PER_RESPONSE_PARTS = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)
_DEBUG_EXEMPT_CODES = (http_client.INTERNAL_SERVER_ERROR, http_client.NOT_FOUND)


class _Built:
    """The two headers as build_policy makes them from the given settings objects, without a nonce."""

    def __init__(self, policy: dict | None, report_only: dict | None) -> None:
        self.policy = policy
        self.report_only = report_only
        self.header = build_policy()
        self.header_ro = build_policy(report_only=True)
        self.excluded = tuple((policy or {}).get("EXCLUDE_URL_PREFIXES", None) or ())
        self.excluded_ro = tuple((report_only or {}).get("EXCLUDE_URL_PREFIXES", None) or ())
        # With a nonce on the request, a policy naming NONCE interpolates it: that header differs per request.
        self.uses_nonce = _names_nonce(policy) or _names_nonce(report_only)


def _names_nonce(policy: dict | None) -> bool:
    directives = (policy or {}).get("DIRECTIVES", None) or {}
    return any(
        value is NONCE or (isinstance(value, (list, tuple, set)) and NONCE in value) for value in directives.values()
    )


class CachedPolicyCSPMiddleware(CSPMiddleware):
    def __init__(self, get_response) -> None:
        super().__init__(get_response)
        self._built: _Built | None = None

    def _current(self) -> _Built:
        # Keyed by the settings objects themselves: override_settings (or a reload) puts new ones in place, and
        # the headers are rebuilt from those.
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", None)
        report_only = getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None)
        built = self._built
        if built is None or built.policy is not policy or built.report_only is not report_only:
            built = self._built = _Built(policy, report_only)
        return built

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        built = self._current()
        nonce = getattr(request, "_csp_nonce", None)
        if (nonce is not None and built.uses_nonce) or any(
            getattr(response, name, None) is not None for name in _PER_RESPONSE_PARTS
        ):
            return super().process_response(request, response)

        # From here on, the same steps as CSPMiddleware.process_response with the headers it would build.
        if response.status_code in _DEBUG_EXEMPT_CODES and settings.DEBUG:
            return response
        path = request.path_info
        for name, value, exempt, excluded in (
            (HEADER, built.header, "_csp_exempt", built.excluded),
            (HEADER_REPORT_ONLY, built.header_ro, "_csp_exempt_ro", built.excluded_ro),
        ):
            if (
                value
                and name not in response
                and getattr(response, exempt, False) is False
                and not path.startswith(excluded)
            ):
                response[name] = value
        if nonce is None:
            # As django-csp does: a nonce asked for after the header is written would not be in it, so it raises.
            request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
