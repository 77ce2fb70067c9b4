"""The screening contract's two doors (the `screen` command and POST /api/v1/screenings) share this: check a
case document, pick the rule set, screen. Nothing here is stored."""

from datetime import date
from decimal import Decimal

from django_countries import countries

from .contract import validate
from .engine import screen_document
from .models import RuleSetVersion
from .selectors import compiled_rule_set, rule_set_by_label, rule_set_in_force

_COUNTRY_CODES = frozenset(code for code, _name in countries)


def _dicts(value) -> list:
    """The entries of a list that are objects, with their index: the checks below read what the schema check may
    already have reported as malformed, and must not stumble on it."""
    return [(i, v) for i, v in enumerate(value) if isinstance(v, dict)] if isinstance(value, list) else []


def _country_errors(doc: dict) -> dict[str, list[str]]:
    """The schema checks a country's shape (two capitals); this checks that it is an assigned ISO code."""
    errors: dict[str, list[str]] = {}

    def check(value, path):
        if isinstance(value, str) and len(value) == 2 and value not in _COUNTRY_CODES:
            errors.setdefault(path, []).append("not an ISO 3166-1 alpha-2 country code")

    check(doc.get("destination_country"), "destination_country")
    exporter = doc.get("exporter")
    check(exporter.get("country") if isinstance(exporter, dict) else None, "exporter.country")
    for i, item in _dicts(doc.get("items")):
        for key in ("produced_in", "origin_country", "technology_origin"):
            check(item.get(key), f"items[{i}].{key}")
        for k, part in _dicts(item.get("content")):
            check(part.get("origin_country"), f"items[{i}].content[{k}].origin_country")
    for i, party in _dicts(doc.get("parties")):
        check(party.get("country"), f"parties[{i}].country")
        for k, owner in _dicts(party.get("owners")):
            check(owner.get("country"), f"parties[{i}].owners[{k}].country")
    return errors


def case_document_errors(doc) -> dict[str, list[str]]:
    """Every problem with a case document, keyed by JSON path; {} when it can be screened."""
    errors = validate("case", doc)
    if isinstance(doc, dict):
        for path, messages in _country_errors(doc).items():
            if path not in errors:
                errors[path] = messages
        for i, item in _dicts(doc.get("items")):
            shares = [c.get("value_share") for _k, c in _dicts(item.get("content"))]
            # Shares out of [0, 1] are the schema's to report; summing them could overflow Decimal's context.
            numbers = all(
                isinstance(s, (int, float, Decimal))
                and not isinstance(s, bool)
                and Decimal(str(s)).is_finite()
                and 0 <= Decimal(str(s)) <= 1
                for s in shares
            )
            if numbers and sum(Decimal(str(s)) for s in shares) > 1:
                errors.setdefault(f"items[{i}].content", []).append("value shares add up to more than 1")
    return errors


def resolve_rule_set(label: str | None) -> RuleSetVersion:
    return rule_set_by_label(label) if label else rule_set_in_force()


def screen(doc: dict, *, version: RuleSetVersion, decisive_date: date | None = None, matcher=None) -> dict:
    """Screen a valid case document against a published version, and its parties against the restricted-party
    lists in force on the decisive date."""
    from parties.screening import party_matcher

    rule_set = compiled_rule_set(version)
    if matcher is None:
        on = decisive_date or date.fromisoformat(doc["decisive_date"])
        matcher = party_matcher(on=on, rule_set=rule_set)
    return screen_document(doc, rule_set, decisive_date=decisive_date, matcher=matcher)
