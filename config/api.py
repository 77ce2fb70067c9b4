"""API conventions shared by every endpoint: validation errors keyed by JSON path."""

from typing import Any

from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler


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
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        response.data = {"errors": flatten_errors(exc.detail)}
    elif response is not None and isinstance(exc, exceptions.ParseError):
        # A body that is not JSON (or not the multipart it claims) is bad input like any other: the same 400 shape
        # the schema promises, not DRF's {"detail": ...}.
        response.data = {"errors": {"non_field_errors": [str(exc.detail)]}}
    return response
