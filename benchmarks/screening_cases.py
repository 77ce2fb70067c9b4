"""Generated case documents for the screening benchmark: realistic transactions, drawn from a seeded random
generator so that every run screens the same cases.

The mix is chosen so that every rule of the seeded rule set has work to do: listed items named by element and
form or by control code, technology and production-line services, foreign-made magnets and targets whose
Chinese-origin content sits around the 0.1 % threshold and whose US-origin content sits around the 25 % (and, for
Country Group E:1, 10 %) de minimis levels, items made abroad with Chinese technology, re-exports of
Chinese-origin items, parties and owners on the Chinese lists (spelt as traders write them), military users and
end uses, and decisive dates spread over 2025-2027 so that effective dates, suspensions and list dates fall on
both sides of many cases."""

import random
from datetime import date, timedelta

FIRST_DAY = date(2025, 1, 1)
LAST_DAY = date(2027, 12, 31)

EXPORTERS = {
    "CN": [
        "Ganzhou Rare Magnet Co., Ltd.",
        "Baotou Northern Oxide Trading Co., Ltd.",
        "Ningbo Yunsheng Magnetics Co., Ltd.",
        "Sichuan Jiangxi Target Materials Co., Ltd.",
        "Xiamen Tungsten & Rare Earth Export Co., Ltd.",
    ],
    "KR": ["Hanbit Magnet Co., Ltd.", "Daejeon Sputtering Targets Inc."],
    "JP": ["Osaka Magnet K.K.", "Kyushu Target Works Co., Ltd."],
    "VN": ["Hai Phong Motor Magnets JSC"],
    "MY": ["Penang Precision Magnetics Sdn. Bhd."],
    "DE": ["Rheinland Magnettechnik GmbH", "Hanau Sputtertargets GmbH"],
    "FR": ["Magnetique de Lyon SAS"],
    "NL": ["Eindhoven Motion Components B.V."],
    "SG": ["Lion City Metals Pte. Ltd."],
    "HK": ["Kowloon Strategic Metals Trading Ltd."],
    "US": ["Ohio Magnetics Inc."],
}

# Buyers by country; some are the lists' own entries as a trader would type them (other case, legal form, dots).
BUYERS = {
    "DE": ["Stuttgart Antriebstechnik GmbH", "Bayerische Windkraft AG", "Nordsee Offshore Generatoren GmbH"],
    "FR": ["Moteurs Electriques de Savoie SA", "Aquitaine Eolien SAS"],
    "NL": ["Rotterdam Drive Systems B.V."],
    "IT": ["Torino Servomotori S.p.A."],
    "US": ["Detroit EV Drivetrain LLC", "Pacific Wind Turbines Inc.", "Austin Robotics Corp."],
    "JP": ["Nagoya Servo Motors K.K.", "Sendai Hybrid Systems Co., Ltd."],
    "KR": ["Ulsan Motor Works Co., Ltd.", "Gyeonggi Display Materials Co., Ltd."],
    "IN": ["Pune Electric Mobility Pvt. Ltd.", "Chennai Wind Components Ltd."],
    "VN": ["Binh Duong Motor Assembly JSC"],
    "MY": ["Johor Electronics Sdn. Bhd."],
    "BR": ["Sao Paulo Motores Eletricos Ltda."],
    "CN": ["Shenzhen Drive Components Co., Ltd.", "Suzhou Motor Assembly Co., Ltd."],
    "RU": ["Ural Electromechanical Plant JSC"],
    "BY": ["Minsk Tractor Electronics OJSC"],
    "IR": ["Tehran Electric Motor Industries Co."],
    "SY": ["Damascus Industrial Motors Co."],
    "VE": ["Caracas Generadores C.A."],
}
LISTED = {
    "US": [
        "SIERRA NEVADA CORP",  # Control List and Unreliable Entity List
        "Cubic Corp.",
        "Hudson Technologies, Inc.",  # both lists
        "Shield AI Inc.",  # Unreliable Entity List only
        "Insitu Inc",
        "Teledyne Brown Engineering, Inc.",
    ],
    "JP": ["TDK Corp.", "Mitsubishi Materials Corporation", "Subaru"],  # Watch List from 2026-02-24
}
# Listed owners of unlisted subsidiaries: ownership propagates at 50 % under Ann. 61 §2.
LISTED_OWNERS = [("Sierra Nevada Corporation", "US"), ("TDK Corporation", "JP"), ("Echodyne", "US")]
UNLISTED_OWNERS = [
    ("Antrieb Holding AG", "DE"),
    ("Pacific Industrial Holdings Inc.", "US"),
    ("Kanto Capital K.K.", "JP"),
]

DESTINATIONS = {
    "cn_export": ["DE", "DE", "US", "US", "JP", "JP", "KR", "IN", "VN", "FR", "NL", "IT", "BR", "RU", "CN"],
    "foreign_maker": ["DE", "US", "US", "FR", "IT", "IN", "BR", "CN", "RU", "IR", "SY", "JP", "NL"],
    "reexport": ["DE", "US", "JP", "KR", "IN", "VN", "MY", "FR"],
    "eu_exporter": ["US", "JP", "CN", "RU", "BY", "VE", "IN", "IR", "KR", "FR", "IT"],
}


def _money(rng: random.Random, low: int, high: int) -> dict:
    return {"amount": f"{rng.randint(low, high)}.{rng.randint(0, 99):02d}", "currency": "USD"}


def _quantity(rng: random.Random, unit: str = "kg") -> dict:
    return {"amount": f"{rng.randint(5, 5000)}", "unit": unit}


# Chinese-made goods, as a Chinese exporter lists them: (description, control code or None, hs code, elements).
CN_GOODS = [
    (
        "Sintered NdFeB magnet blocks N52SH, 2.5 wt % Dy",
        None,
        "8505111000",
        [("Nd", "magnet", 0.29), ("Dy", "magnet", 0.025)],
    ),
    (
        "Grain-boundary diffused NdFeB arcs, Tb-enriched",
        None,
        "8505111000",
        [("Nd", "magnet", 0.3), ("Tb", "magnet", 0.008)],
    ),
    ("Samarium-cobalt magnets Sm2Co17, grade 30", "1C902.a", "8505111000", [("Sm", "magnet", 0.25)]),
    ("Samarium oxide 99.9 %", None, "2846901990", [("Sm", "oxide", 0.86)]),
    ("Gadolinium metal ingot 99.5 %", None, "2805301900", [("Gd", "metal", 0.995)]),
    ("Terbium metal 99.9 %, vacuum packed", "1C904.a", "2805301900", [("Tb", "metal", 0.999)]),
    ("Dysprosium-iron alloy DyFe 80/20", None, "2805302000", [("Dy", "alloy", 0.8)]),
    ("Lutetium oxide 99.99 % for scintillators", "1C906.b", "2846901990", [("Lu", "oxide", 0.88)]),
    ("Scandium-aluminium sputtering target", None, "8486909000", [("Sc", "target", 0.3)]),
    ("Yttrium oxide 5N", "1C908.b", "2846901990", [("Y", "oxide", 0.79)]),
    ("Gadolinium chloride hexahydrate", None, "2846901990", [("Gd", "compound", 0.42)]),
    ("Holmium oxide 99.9 %", None, "2846901990", [("Ho", "oxide", 0.87)]),
    ("Erbium-doped fibre, 980 nm", None, "9001100000", [("Er", "fibre", 0.001)]),
    ("Thulium-doped YAG laser crystal", "1C911.a", "7104910000", [("Tm", "crystal", 0.02)]),
    ("Europium-activated red phosphor", None, "3206500000", [("Eu", "phosphor", 0.05)]),
    ("Ytterbium metal 99.9 %", "1C913.a", "2805301900", [("Yb", "metal", 0.999)]),
    ("Sintered NdFeB magnets, no Dy or Tb", None, "8505111000", [("Nd", "magnet", 0.31)]),
    ("Cerium oxide polishing powder", None, "3824999990", [("Ce", "oxide", 0.6)]),
    ("Lanthanum carbonate", None, "2846902900", [("La", "compound", 0.5)]),
    ("Gallium metal 6N", None, "8112921000", [("Ga", "metal", 0.999999)]),
    ("Germanium dioxide 99.999 %", None, "2825600000", [("Ge", "oxide", 0.69)]),
    ("Antimony ingot 99.65 %", None, "8110101000", [("Sb", "metal", 0.9965)]),
    ("Declared under 1C905.b: dysprosium oxide, customs lot", "1C905.b", "2846901990", []),
    ("Declared under 1C909.a: holmium metal", "1C909.a", "2805301900", []),
]
# Deep-processed products: controlled material integrated in an assembly (the FAQ's exclusion from Ann. 18).
CN_DEEP = [
    ("EV traction motor rotor with embedded Dy-NdFeB magnets", "8503009090", [("Dy", "magnet", 0.004)]),
    ("Servo motor assembly with SmCo magnets", "8501520000", [("Sm", "magnet", 0.01)]),
]
CN_TECHNOLOGY = [
    ("NdFeB sintering process parameters and furnace profiles", "technology", "magnet_manufacturing"),
    ("Solvent-extraction cascade design for heavy rare-earth separation", "technology", "smelting_separation"),
    ("Ion-adsorption clay leaching know-how", "technology", "mining"),
    ("Magnet swarf recycling process software", "software", "recycling"),
    ("Commissioning services for a separation line abroad", "service", "production_line_services"),
    ("Published review of rare-earth metallothermic reduction", "technology", "metal_smelting"),
]

# Goods a foreign maker builds: magnets and targets (the forms Ann. 61 §1(1) covers) and others it does not.
FOREIGN_GOODS = [
    ("Sintered SmCo magnets, grade 2:17", "magnet", "Sm", "1C902.a", "Sm", "metal"),
    ("Sintered NdFeB magnets with Dy diffusion", "magnet", "Dy", "1C905.a", "Dy", "metal"),
    ("NdFeB magnets, Tb grain-boundary diffusion", "magnet", "Tb", "1C904.a", "Tb", "metal"),
    ("Gadolinium sputtering target, bonded", "target", "Gd", "1C903.a", "Gd", "metal"),
    ("Yttrium-aluminium sputtering target", "target", "Y", "1C908.a", "Y", "metal"),
    ("Bonded NdFeB magnet rings", "magnet", "Nd", None, "Tb", "oxide"),
    ("Cerium-doped glass", "other", "Ce", None, "Ce", "oxide"),
]
CN_SHARES = [0.0005, 0.0009, 0.001, 0.001, 0.0011, 0.0015, 0.003, 0.02]  # around Ann. 61's 0.1 %
US_SHARES = [0.05, 0.1, 0.1001, 0.15, 0.25, 0.25, 0.2501, 0.3]  # around the 10 % and 25 % de minimis levels

END_USES = {
    "cn_export": [["civil"]] * 10
    + [["military"], ["wmd"], ["rare_earth_magnet_manufacturing"], ["rare_earth_recycling"], ["civil", "humanitarian"]],
    "foreign_maker": [["civil"]] * 8
    + [["military"], ["wmd"], ["terrorism"], ["advanced_logic_14nm_or_below"], ["military_ai"], ["humanitarian"]],
    "reexport": [["civil"]] * 6 + [["military"], ["humanitarian"], ["memory_256_layers_or_more"]],
    "eu_exporter": [["civil"]] * 6 + [["military"], ["wmd"], ["semiconductor_equipment_or_materials"]],
}
KINDS = ("cn_export", "foreign_maker", "reexport", "eu_exporter")
KIND_WEIGHTS = (40, 30, 15, 15)


def _elements(triples) -> list[dict]:
    return [{"element": e, "form": f, "mass_fraction": m} for e, f, m in triples]


def _cn_item(rng: random.Random) -> dict:
    roll = rng.random()
    if roll < 0.1:
        description, kind, area = rng.choice(CN_TECHNOLOGY)
        item = {"description": description, "kind": kind, "technology_area": area, "value": _money(rng, 20000, 900000)}
        if area == "metal_smelting" or rng.random() < 0.2:
            item["public_domain"] = True
        if rng.random() < 0.3:
            item["control_code"] = "1E902.b" if area == "production_line_services" else "1E902.a"
        return item
    if roll < 0.18:
        description, hs, triples = rng.choice(CN_DEEP)
        return {
            "description": description,
            "kind": "goods",
            "hs_code": hs,
            "deep_processed": True,
            "value": _money(rng, 5000, 400000),
            "quantity": _quantity(rng, "pcs"),
            "elements": _elements(triples),
        }
    description, code, hs, triples = rng.choice(CN_GOODS)
    item = {
        "description": description,
        "kind": "goods",
        "hs_code": hs,
        "value": _money(rng, 1000, 500000),
        "quantity": _quantity(rng),
    }
    if code:
        item["control_code"] = code
    if triples:
        item["elements"] = _elements(triples)
    return item


def _foreign_item(rng: random.Random, made_in: str) -> dict:
    description, form, element, content_code, content_element, content_form = rng.choice(FOREIGN_GOODS)
    item = {
        "description": description,
        "kind": "goods",
        "hs_code": "8505111000" if form == "magnet" else "8486909000",
        "produced_in": made_in,
        "value": _money(rng, 2000, 300000),
        "quantity": _quantity(rng),
        "elements": [{"element": element, "form": form}],
    }
    content = []
    if rng.random() < 0.8:
        part = {"element": content_element, "form": content_form, "origin_country": "CN"}
        if content_code and rng.random() < 0.5:
            part["control_code"] = content_code
        part["value_share"] = rng.choice(CN_SHARES)
        content.append(part)
    if rng.random() < 0.4:
        content.append({"control_code": "3A001.a", "origin_country": "US", "value_share": rng.choice(US_SHARES)})
    if content:
        item["content"] = content
    if rng.random() < 0.15:
        item["technology_origin"] = "CN"
        # A listed item made abroad with Chinese technology (Ann. 61 §1(2)) declares its Chinese control code.
        if content_code and rng.random() < 0.5:
            item["control_code"] = content_code
    return item


def _reexport_item(rng: random.Random) -> dict:
    item = _cn_item(rng)
    if item["kind"] == "goods":
        item["produced_in"] = "CN"
        item["origin_country"] = "CN"
    return item


def _party(rng: random.Random, role: str, country: str, kind: str) -> dict:
    roll = rng.random()
    if country in LISTED and roll < 0.12:
        name = rng.choice(LISTED[country])
    else:
        name = rng.choice(BUYERS.get(country) or BUYERS["DE"])
    party = {"role": role, "name": name, "country": country}
    if rng.random() < 0.3:
        party["address"] = f"{rng.randint(1, 400)} Industrial Road, {country}"
    category = "commercial"
    if role == "end_user":
        category_roll = rng.random()
        if category_roll < 0.1:
            category = "military"
        elif category_roll < 0.15:
            category = "government"
        elif category_roll < 0.2:
            category = "academic"
    party["category"] = category
    owner_roll = rng.random()
    if owner_roll < 0.12:
        owner, owner_country = rng.choice(LISTED_OWNERS)
        party["owners"] = [{"name": owner, "country": owner_country, "share": rng.choice([0.3, 0.5, 0.6, 1.0])}]
    elif owner_roll < 0.35:
        owner, owner_country = rng.choice(UNLISTED_OWNERS)
        party["owners"] = [{"name": owner, "country": owner_country, "share": rng.choice([0.25, 0.51, 1.0])}]
    return party


def generate_case(rng: random.Random, number: int, *, items: int = 5, parties: int = 3) -> dict:
    kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
    if kind == "cn_export":
        exporter_country = "CN"
    elif kind == "foreign_maker":
        exporter_country = rng.choice(["KR", "KR", "JP", "VN", "MY", "DE", "US"])
    elif kind == "reexport":
        exporter_country = rng.choice(["SG", "HK", "NL", "DE", "KR"])
    else:
        exporter_country = rng.choice(["DE", "DE", "FR", "NL"])
    destination = rng.choice([d for d in DESTINATIONS[kind] if d != exporter_country])
    day = FIRST_DAY + timedelta(days=rng.randint(0, (LAST_DAY - FIRST_DAY).days))

    lines = []
    for _ in range(items):
        if kind == "cn_export":
            lines.append(_cn_item(rng))
        elif kind == "reexport":
            lines.append(_reexport_item(rng))
        else:
            lines.append(_foreign_item(rng, exporter_country))

    roles = ["end_user", "consignee", "purchaser", "intermediate_consignee", "other"]
    people = [_party(rng, roles[index % len(roles)], destination, kind) for index in range(parties)]
    end_use = {"categories": list(rng.choice(END_USES[kind]))}
    if rng.random() < 0.03:
        end_use["authority_notified"] = True
    doc = {
        "reference": f"BENCH-{number:06d}",
        "decisive_date": day.isoformat(),
        "exporter": {"name": rng.choice(EXPORTERS[exporter_country]), "country": exporter_country},
        "transaction": "reexport" if kind == "reexport" else "export",
        "destination_country": destination,
        "items": lines,
        "parties": people,
        "end_use": end_use,
    }
    if kind == "cn_export" and any(line["kind"] != "goods" for line in lines) and rng.random() < 0.1:
        # Technology provided at home to a foreign person is an in-country transfer under Ann. 62.
        doc["transaction"] = "in_country_transfer"
    return doc


def generate_cases(count: int, *, seed: int = 20251009, items: int = 5, parties: int = 3) -> list[dict]:
    """`count` case documents; the same seed gives the same documents."""
    rng = random.Random(seed)
    return [generate_case(rng, number, items=items, parties=parties) for number in range(1, count + 1)]
