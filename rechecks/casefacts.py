"""Case documents for many cases at once, from six flat queries instead of model instances.

A re-check reads the cases behind thousands of permits; building Django model instances (and a Country object per
country field) for every item, element, share, party and owner costs more than screening them. This builds the
same document `cases.casedoc.case_document` does, from rows; tests/test_rechecks.py checks that the two agree on
cases of every shape.

The queries are plain SQL with the ids as one array parameter (`= ANY(%s)` on PostgreSQL): the ORM spent more
time turning 500 ids into 500 placeholders, and psycopg more time parsing them, than PostgreSQL took to answer;
and a statement whose text does not change with the number of ids is prepared once per connection."""

import json
from collections import defaultdict
from decimal import Decimal

from django.db import connection

from cases.casedoc import _share, decimal_string


def ids_condition(column: str, ids: list[int]) -> tuple[str, list]:
    """`column` is one of `ids`, as SQL with a single parameter."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(ids)]
    return f"{column} IN (SELECT value FROM json_each(%s))", [json.dumps(list(ids))]


def _decimal(value) -> Decimal | None:
    # PostgreSQL answers numeric columns as Decimal; SQLite as int or float, whose shortest repr is the value.
    if value is None or isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def rows_for_ids(sql: str, column: str, ids: list[int]) -> list[tuple]:
    """The rows of `sql`, whose `{where}` becomes "`column` is one of `ids`"."""
    condition, params = ids_condition(column, ids)
    with connection.cursor() as cursor:
        cursor.execute(sql.format(where=condition), params)
        return cursor.fetchall()


def case_documents(case_ids) -> dict[int, dict]:
    case_ids = list(case_ids)
    if not case_ids:
        return {}
    # Items first: their ids select the elements and content through the index on item_id (a filter on the
    # items' case made PostgreSQL scan the whole elements table for every chunk).
    item_rows = rows_for_ids(
        "SELECT id, case_id, description, kind, control_code, hs_code, produced_in, origin_country, "
        "technology_origin, value_amount, value_currency, quantity_amount, quantity_unit, deep_processed, "
        "technology_area, public_domain FROM cases_item WHERE {where} ORDER BY position, id",
        "case_id",
        case_ids,
    )
    item_ids = [row[0] for row in item_rows]
    elements = defaultdict(list)
    for item_id, element, form, fraction in rows_for_ids(
        "SELECT item_id, element, form, mass_fraction FROM cases_itemelement WHERE {where} ORDER BY id",
        "item_id",
        item_ids,
    ):
        entry = {"element": element, "form": form}
        if fraction is not None:
            entry["mass_fraction"] = _share(_decimal(fraction))
        elements[item_id].append(entry)
    content = defaultdict(list)
    for item_id, origin, share, code, element, form in rows_for_ids(
        "SELECT item_id, origin_country, value_share, control_code, element, form FROM cases_itemcontent "
        "WHERE {where} ORDER BY id",
        "item_id",
        item_ids,
    ):
        entry = {"origin_country": origin, "value_share": _share(_decimal(share))}
        if code:
            entry["control_code"] = code
        if element:
            entry["element"] = element
        if form:
            entry["form"] = form
        content[item_id].append(entry)
    items = defaultdict(list)
    for (
        item_id, case_id, description, kind, control_code, hs_code, produced_in, origin_country, technology_origin,
        value_amount, value_currency, quantity_amount, quantity_unit, deep_processed, technology_area, public_domain,
    ) in item_rows:  # fmt: skip
        doc: dict = {"description": description, "kind": kind}
        for key, value in (
            ("control_code", control_code),
            ("hs_code", hs_code),
            ("produced_in", produced_in),
            ("origin_country", origin_country),
            ("technology_origin", technology_origin),
        ):
            if value:
                doc[key] = value
        if value_amount is not None and value_currency:
            doc["value"] = {"amount": decimal_string(_decimal(value_amount)), "currency": value_currency}
        if quantity_amount is not None and quantity_unit:
            doc["quantity"] = {"amount": decimal_string(_decimal(quantity_amount)), "unit": quantity_unit}
        if elements.get(item_id):
            doc["elements"] = elements[item_id]
        if content.get(item_id):
            doc["content"] = content[item_id]
        doc["deep_processed"] = bool(deep_processed)
        if technology_area:
            doc["technology_area"] = technology_area
        doc["public_domain"] = bool(public_domain)
        items[case_id].append(doc)
    party_rows = rows_for_ids(
        "SELECT id, case_id, role, name, country, category, address FROM cases_party WHERE {where} "
        "ORDER BY position, id",
        "case_id",
        case_ids,
    )
    owners = defaultdict(list)
    for party_id, name, share, country in rows_for_ids(
        "SELECT party_id, name, share, country FROM cases_partyowner WHERE {where} ORDER BY id",
        "party_id",
        [row[0] for row in party_rows],
    ):
        entry = {"name": name, "share": _share(_decimal(share))}
        if country:
            entry["country"] = country
        owners[party_id].append(entry)
    parties = defaultdict(list)
    for party_id, case_id, role, name, country, category, address in party_rows:
        doc = {"role": role, "name": name, "country": country, "category": category}
        if address:
            doc["address"] = address
        if owners.get(party_id):
            doc["owners"] = owners[party_id]
        parties[case_id].append(doc)
    documents = {}
    for (
        case_id, reference, decisive_date, exporter_name, exporter_country, transaction, destination_country,
        end_use_categories, authority_notified, end_use_description,
    ) in rows_for_ids(
        'SELECT c.id, c.reference, c.decisive_date, o.name, o.country, c."transaction", c.destination_country, '
        "c.end_use_categories, c.authority_notified, c.end_use_description FROM cases_case c "
        "JOIN accounts_organisation o ON o.id = c.organisation_id WHERE {where}",
        "c.id",
        case_ids,
    ):  # fmt: skip
        if isinstance(end_use_categories, str):  # a JSON column read without the ORM is its text
            end_use_categories = json.loads(end_use_categories)
        if isinstance(decisive_date, str):
            decisive = decisive_date
        else:
            decisive = decisive_date.isoformat() if decisive_date else None
        doc = {
            "reference": reference,
            "decisive_date": decisive,
            "exporter": {"name": exporter_name, "country": exporter_country},
            "transaction": transaction,
            "destination_country": destination_country or None,
            "items": items.get(case_id, []),
            "parties": parties.get(case_id, []),
            "end_use": {
                "categories": list(end_use_categories or []),
                "authority_notified": bool(authority_notified),
            },
        }
        if end_use_description:
            doc["end_use"]["description"] = end_use_description
        documents[case_id] = doc
    return documents
