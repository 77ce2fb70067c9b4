"""API conventions shared by every endpoint: validation errors keyed by JSON path, and JSON read strictly."""

import json
import re
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

# A JSON escape of a UTF-16 surrogate (\ud800-\udfff). Paired, two of them make one character; alone, one decodes to
# a string no database, log or answer can encode, so a body with one is refused. Scanned for first: almost no
# body has any.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _constant(name: str) -> Any:
    raise ValueError(_("%(name)s is not a number JSON allows.") % {"name": name})


def _has_lone_surrogate(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def json_loads_strict(body: bytes | str, **kwargs: Any) -> Any:
    """`json.loads`, refusing what parses but cannot be kept or answered: NaN and Infinity, a nesting too deep for
    the interpreter (RecursionError), text with a lone surrogate. Every refusal is a ValueError with a message."""
    raw = body.encode() if isinstance(body, str) else body
    try:
        value = json.loads(raw, parse_constant=_constant, **kwargs)
    except RecursionError:
        raise ValueError(_("The JSON is nested too deeply.")) from None
    if _SURROGATE_ESCAPE.search(raw) and _has_lone_surrogate(value):
        raise ValueError(_("The JSON holds text that is not valid Unicode (a lone surrogate)."))
    return value


class StrictJSONParser(JSONParser):
    """DRF's JSON parser reading through `json_loads_strict`: bad JSON of every kind is a 400, never a 500."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return json_loads_strict(stream.read() if stream is not None else b"")
        except (ValueError, UnicodeDecodeError) as exc:
            raise exceptions.ParseError(_("JSON parse error - %(error)s") % {"error": exc}) from None


def flatten_errors(detail: Any, path: str = "") -> dict[str, list[str]]:
    """Turn DRF's nested error structure into {"items[0].value.amount": ["..."]}.

    Non-field errors at the top level are keyed "non_field_errors"; deeper down they are keyed by the path of
    the object they belong to.
    """
    out: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            if key in ("non_field_errors", "__all__"):
                child = path or "non_field_errors"
            elif isinstance(key, int):
                # DRF reports the entries of a list (many=True serializers, ListField) as {index: errors}.
                child = f"{path}[{key}]"
            else:
                child = f"{path}.{key}" if path else str(key)
            for k, v in flatten_errors(value, child).items():
                out.setdefault(k, []).extend(v)
    elif isinstance(detail, list):
        if detail and all(not isinstance(x, (dict, list)) for x in detail):
            out.setdefault(path or "non_field_errors", []).extend(str(x) for x in detail)
        else:
            for index, value in enumerate(detail):
                if value in ({}, [], None):
                    continue
                for k, v in flatten_errors(value, f"{path}[{index}]").items():
                    out.setdefault(k, []).extend(v)
    elif detail is not None:
        out.setdefault(path or "non_field_errors", []).append(str(detail))
    return out


def exception_handler(exc: Exception, context: dict) -> Any:
    if isinstance(exc, RequestDataTooBig):
        # A body over Django's in-memory limit (DATA_UPLOAD_MAX_MEMORY_SIZE): the API's 413, not an HTML 400.
        return Response(
            {"errors": {"non_field_errors": [_("The request body is too large.")]}},
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        response.data = {"errors": flatten_errors(exc.detail)}
    elif response is not None and isinstance(exc, exceptions.ParseError):
        # A body that is not JSON (or not the multipart it claims) is bad input like any other: the same 400 shape
        # the schema promises, not DRF's {"detail": ...}.
        response.data = {"errors": {"non_field_errors": [str(exc.detail)]}}
    return response
