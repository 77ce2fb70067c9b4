"""Case documents for many cases at once, from six flat queries instead of model instances.

A re-check reads the cases behind thousands of permits; building Django model instances (and a Country object per
country field) for every item, element, share, party and owner costs more than screening them. This builds the
same document `cases.casedoc.case_document` does, from rows; tests/test_rechecks.py checks that the two agree on
cases of every shape."""

from collections import defaultdict

from cases.casedoc import _share, decimal_string
from cases.models import Case, Item, ItemContent, ItemElement, Party, PartyOwner


def case_documents(case_ids) -> dict[int, dict]:
    case_ids = list(case_ids)
    if not case_ids:
        return {}
    elements = defaultdict(list)
    for item_id, element, form, fraction in (
        ItemElement.objects.filter(item__case_id__in=case_ids)
        .order_by("id")
        .values_list("item_id", "element", "form", "mass_fraction")
    ):
        entry = {"element": element, "form": form}
        if fraction is not None:
            entry["mass_fraction"] = _share(fraction)
        elements[item_id].append(entry)
    content = defaultdict(list)
    for item_id, origin, share, code, element, form in (
        ItemContent.objects.filter(item__case_id__in=case_ids)
        .order_by("id")
        .values_list("item_id", "origin_country", "value_share", "control_code", "element", "form")
    ):
        entry = {"origin_country": origin, "value_share": _share(share)}
        if code:
            entry["control_code"] = code
        if element:
            entry["element"] = element
        if form:
            entry["form"] = form
        content[item_id].append(entry)
    items = defaultdict(list)
    for row in (
        Item.objects.filter(case_id__in=case_ids)
        .order_by("position", "id")
        .values(
            "id", "case_id", "description", "kind", "control_code", "hs_code", "produced_in", "origin_country",
            "technology_origin", "value_amount", "value_currency", "quantity_amount", "quantity_unit",
            "deep_processed", "technology_area", "public_domain",
        )
    ):  # fmt: skip
        doc: dict = {"description": row["description"], "kind": row["kind"]}
        for key in ("control_code", "hs_code", "produced_in", "origin_country", "technology_origin"):
            if row[key]:
                doc[key] = row[key]
        if row["value_amount"] is not None and row["value_currency"]:
            doc["value"] = {"amount": decimal_string(row["value_amount"]), "currency": row["value_currency"]}
        if row["quantity_amount"] is not None and row["quantity_unit"]:
            doc["quantity"] = {"amount": decimal_string(row["quantity_amount"]), "unit": row["quantity_unit"]}
        if elements.get(row["id"]):
            doc["elements"] = elements[row["id"]]
        if content.get(row["id"]):
            doc["content"] = content[row["id"]]
        doc["deep_processed"] = row["deep_processed"]
        if row["technology_area"]:
            doc["technology_area"] = row["technology_area"]
        doc["public_domain"] = row["public_domain"]
        items[row["case_id"]].append(doc)
    owners = defaultdict(list)
    for party_id, name, share, country in (
        PartyOwner.objects.filter(party__case_id__in=case_ids)
        .order_by("id")
        .values_list("party_id", "name", "share", "country")
    ):
        entry = {"name": name, "share": _share(share)}
        if country:
            entry["country"] = country
        owners[party_id].append(entry)
    parties = defaultdict(list)
    for party_id, case_id, role, name, country, category, address in (
        Party.objects.filter(case_id__in=case_ids)
        .order_by("position", "id")
        .values_list("id", "case_id", "role", "name", "country", "category", "address")
    ):
        doc = {"role": role, "name": name, "country": country, "category": category}
        if address:
            doc["address"] = address
        if owners.get(party_id):
            doc["owners"] = owners[party_id]
        parties[case_id].append(doc)
    documents = {}
    for row in Case.objects.filter(pk__in=case_ids).values(
        "id", "reference", "decisive_date", "organisation__name", "organisation__country", "transaction",
        "destination_country", "end_use_categories", "authority_notified", "end_use_description",
    ):  # fmt: skip
        doc = {
            "reference": row["reference"],
            "decisive_date": row["decisive_date"].isoformat() if row["decisive_date"] else None,
            "exporter": {"name": row["organisation__name"], "country": row["organisation__country"]},
            "transaction": row["transaction"],
            "destination_country": row["destination_country"] or None,
            "items": items.get(row["id"], []),
            "parties": parties.get(row["id"], []),
            "end_use": {
                "categories": list(row["end_use_categories"] or []),
                "authority_notified": row["authority_notified"],
            },
        }
        if row["end_use_description"]:
            doc["end_use"]["description"] = row["end_use_description"]
        documents[row["id"]] = doc
    return documents
