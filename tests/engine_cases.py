"""Case documents for engine tests, built from small parts."""

import copy


def item(description="Sintered NdFeB magnets with 2.5 wt % Dy", **kw):
    base = {
        "description": description,
        "kind": "goods",
        "value": {"amount": "100000.00", "currency": "USD"},
        "quantity": {"amount": "500", "unit": "kg"},
        "elements": [{"element": "Dy", "form": "magnet", "mass_fraction": 0.025}],
    }
    base.update(kw)
    return base


def party(name="Stuttgart Antriebstechnik GmbH", country="DE", role="end_user", **kw):
    base = {"role": role, "name": name, "country": country, "category": "commercial"}
    base.update(kw)
    return base


def case(
    date="2025-06-01",
    exporter=("Ganzhou Rare Magnet Co., Ltd.", "CN"),
    dest="DE",
    items=None,
    parties=None,
    end_use=("civil",),
    **kw,
):
    doc = {
        "reference": kw.pop("reference", "T"),
        "decisive_date": date,
        "exporter": {"name": exporter[0], "country": exporter[1]},
        "destination_country": dest,
        "items": copy.deepcopy(items) if items is not None else [item()],
        "parties": copy.deepcopy(parties) if parties is not None else [party(country=dest)],
        "end_use": {"categories": list(end_use)},
    }
    doc.update(kw)
    return doc


CN = ("Ganzhou Rare Magnet Co., Ltd.", "CN")
KR = ("Hanbit Magnet Co., Ltd.", "KR")
SG = ("Lion City Metals Pte. Ltd.", "SG")
DE = ("Rheinland Magnettechnik GmbH", "DE")
JP = ("Osaka Magnet K.K.", "JP")
