"""Validation against the screening contract's schemas, with errors keyed by JSON path."""

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

HERE = Path(__file__).resolve().parent


@cache
def load_schema(name: str) -> dict:
    return json.loads((HERE / f"{name}.schema.json").read_text())


@cache
def _validator(name: str) -> Draft202012Validator:
    schema = load_schema(name)
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


@cache
def _quick_check(name: str) -> jsonschema_rs.Draft202012Validator:
    # jsonschema-rs (Rust, draft 2020-12, formats checked) answers "valid or not" in a few hundredths of a
    # millisecond where the pure-Python validator needs most of one; most documents the API and the intake see
    # are valid. Its messages differ from ours, so an invalid document is validated again by jsonschema, which
    # stays the authority on every message; tests/test_contract_validation.py checks the two agree.
    return jsonschema_rs.validator_for(load_schema(name), validate_formats=True)


def json_path(parts: Any) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out


def _message(error: ValidationError) -> tuple[list, str]:
    path = list(error.absolute_path)
    v = error.validator
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        return path + [missing], "required field is missing"
    if v == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        return path + [extra[0]] if extra else path, "unknown key"
    if v == "pattern":
        pattern = error.schema.get("pattern", "")
        if "[0-9]+(\\.[0-9]+)?" in pattern:
            return path, "not a decimal number"
        if pattern == "^[A-Z]{2}$":
            return path, "not an ISO 3166-1 alpha-2 country code"
        if pattern == "^[A-Z]{3}$":
            return path, "not an ISO 4217 currency code"
        return path, f"does not match the pattern {pattern}"
    if v == "enum":
        allowed = ", ".join(json.dumps(x) for x in error.validator_value)
        return path, f"must be one of {allowed}"
    if v == "type":
        return path, f"must be of type {error.validator_value}"
    if v == "maximum":
        return path, f"must be at most {error.validator_value}"
    if v == "minimum":
        return path, f"must be at least {error.validator_value}"
    if v == "format":
        return path, f"not a valid {error.validator_value}"
    return path, error.message


def validate(name: str, document: Any) -> dict[str, list[str]]:
    """Validate against one of the contract schemas ("case" or "determination"); {} when valid."""
    try:
        if _quick_check(name).is_valid(document):
            return {}
    except (TypeError, ValueError, OverflowError):
        # A value the Rust side cannot take (a huge integer, an object no JSON parser returns): ask jsonschema.
        pass
    errors: dict[str, list[str]] = {}
    for error in sorted(_validator(name).iter_errors(document), key=lambda e: list(map(str, e.absolute_path))):
        path, message = _message(error)
        errors.setdefault(json_path(path) or "$", []).append(message)
    return errors
