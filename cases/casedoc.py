"""A case as the screening contract's case document (case.schema.json)."""

from decimal import Decimal
from functools import cache

from django.db.models import Model

from config.countries import stored_country_code

from .models import Case


def _code(obj: Model, name: str) -> str | None:
    """`getattr(obj, name).code` for a country field, without the `Country` object the field's descriptor builds
    on every read (with its alpha-2 lookups: most of this module's time went there, and every case document reads
    five or more countries)."""
    code = stored_country_code(obj, _country_field(type(obj), name))
    if code is not None:
        return code
    value = getattr(obj, name)
    return None if value is None else value.code


@cache
def _country_field(model: type[Model], name: str):
    return model._meta.get_field(name)


def decimal_string(value: Decimal) -> str:
    """A Decimal as the contract's decimal string: plain digits, no exponent, no needless trailing zeros."""
    text = format(value.normalize(), "f")
    return text


def _share(value: Decimal) -> float | int:
    # The contract carries shares as JSON numbers; fractions of up to eight places are exact enough there.
    as_float = float(value)
    return int(as_float) if as_float in (0.0, 1.0) else as_float


def item_document(item) -> dict:
    doc: dict = {"description": item.description, "kind": item.kind}
    if item.control_code:
        doc["control_code"] = item.control_code
    if item.hs_code:
        doc["hs_code"] = item.hs_code
    for name in ("produced_in", "origin_country", "technology_origin"):
        if code := _code(item, name):
            doc[name] = code
    if item.value_amount is not None and item.value_currency:
        doc["value"] = {"amount": decimal_string(item.value_amount), "currency": item.value_currency}
    if item.quantity_amount is not None and item.quantity_unit:
        doc["quantity"] = {"amount": decimal_string(item.quantity_amount), "unit": item.quantity_unit}
    elements = []
    for element in item.elements.all():
        entry = {"element": element.element, "form": element.form}
        if element.mass_fraction is not None:
            entry["mass_fraction"] = _share(element.mass_fraction)
        elements.append(entry)
    if elements:
        doc["elements"] = elements
    content = []
    for part in item.content.all():
        entry = {"origin_country": _code(part, "origin_country"), "value_share": _share(part.value_share)}
        if part.control_code:
            entry["control_code"] = part.control_code
        if part.element:
            entry["element"] = part.element
        if part.form:
            entry["form"] = part.form
        content.append(entry)
    if content:
        doc["content"] = content
    doc["deep_processed"] = item.deep_processed
    if item.technology_area:
        doc["technology_area"] = item.technology_area
    doc["public_domain"] = item.public_domain
    return doc


def party_document(party) -> dict:
    doc = {"role": party.role, "name": party.name, "country": _code(party, "country"), "category": party.category}
    if party.address:
        doc["address"] = party.address
    owners = []
    for owner in party.owners.all():
        entry = {"name": owner.name, "share": _share(owner.share)}
        if code := _code(owner, "country"):
            entry["country"] = code
        owners.append(entry)
    if owners:
        doc["owners"] = owners
    return doc


def case_document(case: Case) -> dict:
    """The facts of the case as a case document. Prefetch items (elements, content) and parties (owners) to
    keep this to a fixed number of queries; see selectors.case_with_facts."""
    organisation = case.organisation
    doc: dict = {
        "reference": case.reference,
        "decisive_date": case.decisive_date.isoformat() if case.decisive_date else None,
        "exporter": {"name": organisation.name, "country": organisation.country},
        "transaction": case.transaction,
        "destination_country": _code(case, "destination_country") or None,
        "items": [item_document(item) for item in case.items.all()],
        "parties": [party_document(party) for party in case.parties.all()],
        "end_use": {
            "categories": list(case.end_use_categories or []),
            "authority_notified": case.authority_notified,
        },
    }
    if case.end_use_description:
        doc["end_use"]["description"] = case.end_use_description
    return doc
