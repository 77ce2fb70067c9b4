"""Rule packs: validation beyond the schema (references resolve, dates are ordered, codes are unique).

Pure functions over the pack document; the import service calls `validate_pack` before writing anything, so a
pack that fails changes nothing and the caller gets every problem keyed by its JSON path."""

from collections import Counter
from datetime import date

from .contract import validate
from .engine.facts import normalise_code

FORMAT = "licensa-rule-pack/1"


def _dup_errors(rows, field, section, errors):
    counts = Counter(row.get(field) for row in rows)
    for index, row in enumerate(rows):
        if counts[row.get(field)] > 1:
            errors.setdefault(f"{section}[{index}].{field}", []).append(f"duplicate {field} '{row.get(field)}'")


def _ordered(start, end) -> bool:
    return not (start and end) or date.fromisoformat(start) <= date.fromisoformat(end)


def validate_pack(pack) -> dict[str, list[str]]:
    """Every problem in the pack, keyed by JSON path; {} when the pack is sound."""
    errors = validate("rule-pack", pack)
    if errors:
        return errors  # references cannot be checked in a document of the wrong shape

    def err(path: str, message: str) -> None:
        errors.setdefault(path, []).append(message)

    jurisdictions = {j["code"] for j in pack["jurisdictions"]}
    groups = {g["code"] for g in pack.get("country_groups", [])}
    instruments = {i["key"]: i for i in pack["instruments"]}
    provisions = {p["key"]: p for p in pack.get("provisions", [])}
    rules = pack["rules"]
    lists = {lst["key"] for lst in pack.get("lists", [])}
    entry_codes = [normalise_code(e["code"]) for e in pack.get("control_entries", [])]

    for section, rows, field in [
        ("jurisdictions", pack["jurisdictions"], "code"),
        ("country_groups", pack.get("country_groups", []), "code"),
        ("instruments", pack["instruments"], "key"),
        ("provisions", pack.get("provisions", []), "key"),
        ("rules", rules, "code"),
        ("suspensions", pack.get("suspensions", []), "key"),
        ("lists", pack.get("lists", []), "key"),
    ]:
        _dup_errors(rows, field, section, errors)
    seen_entries = Counter((e["jurisdiction"], normalise_code(e["code"])) for e in pack.get("control_entries", []))
    for index, e in enumerate(pack.get("control_entries", [])):
        if seen_entries[(e["jurisdiction"], normalise_code(e["code"]))] > 1:
            err(f"control_entries[{index}].code", f"duplicate control entry '{e['code']}'")

    def check_destinations(values, path):
        for k, value in enumerate(values or ()):
            if value.startswith("group:") and value[6:] not in groups:
                err(f"{path}[{k}]", f"unknown country group '{value[6:]}'")

    for index, j in enumerate(pack["jurisdictions"]):
        check_destinations(j["home"], f"jurisdictions[{index}].home")
    for index, i in enumerate(pack["instruments"]):
        if i["jurisdiction"] not in jurisdictions:
            err(f"instruments[{index}].jurisdiction", f"unknown jurisdiction '{i['jurisdiction']}'")
        if not _ordered(i.get("effective_from"), i.get("effective_to")):
            err(f"instruments[{index}].effective_to", "ends before it starts")
    for index, p in enumerate(pack.get("provisions", [])):
        if p["instrument"] not in instruments:
            err(f"provisions[{index}].instrument", f"unknown instrument '{p['instrument']}'")
        if not _ordered(p.get("effective_from"), p.get("effective_to")):
            err(f"provisions[{index}].effective_to", "ends before it starts")
    for index, e in enumerate(pack.get("control_entries", [])):
        if e["jurisdiction"] not in jurisdictions:
            err(f"control_entries[{index}].jurisdiction", f"unknown jurisdiction '{e['jurisdiction']}'")
        if e.get("provision") and e["provision"] not in provisions and e["provision"] not in instruments:
            err(f"control_entries[{index}].provision", f"unknown provision '{e['provision']}'")

    codes = {r["code"] for r in rules}
    for index, r in enumerate(rules):
        path = f"rules[{index}]"
        if r["jurisdiction"] not in jurisdictions:
            err(f"{path}.jurisdiction", f"unknown jurisdiction '{r['jurisdiction']}'")
        if r["provision"] not in provisions and r["provision"] not in instruments:
            err(f"{path}.provision", f"unknown provision or instrument '{r['provision']}'")
        if not _ordered(r.get("effective_from"), r.get("effective_to")):
            err(f"{path}.effective_to", "ends before it starts")
        check_destinations(r.get("destinations"), f"{path}.destinations")
        check_destinations(r.get("exclude_destinations"), f"{path}.exclude_destinations")
        c = r["conditions"]
        for key in ("control_entries", "content_control_entries"):
            for k, prefix in enumerate(c.get(key, ())):
                if not any(code.startswith(normalise_code(prefix)) for code in entry_codes):
                    err(f"{path}.conditions.{key}[{k}]", f"no control entry starts with '{prefix}'")
        for k, t in enumerate(c.get("thresholds_by_destination", ())):
            check_destinations(t["destinations"], f"{path}.conditions.thresholds_by_destination[{k}].destinations")
        for k, name in enumerate(c.get("lists", ())):
            if name not in lists:
                err(f"{path}.conditions.lists[{k}]", f"unknown list '{name}'")
        for k, code in enumerate(c.get("excludes", ())):
            if code not in codes:
                err(f"{path}.conditions.excludes[{k}]", f"unknown rule '{code}'")
        if r["type"] == "technology" and not (c.get("technology_areas") or c.get("control_entries")):
            err(f"{path}.conditions.technology_areas", "a technology rule needs technology areas or control entries")
        if r["type"] == "destination" and not r.get("destinations"):
            err(f"{path}.destinations", "a destination rule needs destinations")

    targets = {"rule": codes, "provision": set(provisions), "instrument": set(instruments), "list": lists}
    for index, s in enumerate(pack.get("suspensions", [])):
        path = f"suspensions[{index}]"
        kind, target = next(iter(s["target"].items()))
        if target not in targets[kind]:
            err(f"{path}.target.{kind}", f"unknown {kind} '{target}'")
        if s["by"] not in instruments:
            err(f"{path}.by", f"unknown instrument '{s['by']}'")
        if not _ordered(s["from"], s.get("to")):
            err(f"{path}.to", "ends before it starts")

    for li, lst in enumerate(pack.get("lists", [])):
        if lst["jurisdiction"] not in jurisdictions:
            err(f"lists[{li}].jurisdiction", f"unknown jurisdiction '{lst['jurisdiction']}'")
        for ei, e in enumerate(lst.get("entries", [])):
            if e.get("instrument") and e["instrument"] not in instruments:
                err(f"lists[{li}].entries[{ei}].instrument", f"unknown instrument '{e['instrument']}'")
            if not _ordered(e.get("listed_from"), e.get("listed_to")):
                err(f"lists[{li}].entries[{ei}].listed_to", "ends before it starts")
    return errors


SECTION_KEYS = {
    "jurisdictions": ("code",),
    "country_groups": ("code",),
    "instruments": ("key",),
    "provisions": ("key",),
    "control_entries": ("jurisdiction", "code"),
    "licence_types": ("jurisdiction", "code"),
    "rules": ("code",),
    "suspensions": ("key",),
    "lists": ("key",),
}


def _row_key(row: dict, fields: tuple[str, ...]) -> str:
    return "/".join(str(row.get(f)) for f in fields)


def _field_changes(old: dict, new: dict, prefix: str = "") -> dict[str, list]:
    changes: dict[str, list] = {}
    for field in sorted(set(old) | set(new)):
        a, b = old.get(field), new.get(field)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict):
            changes.update(_field_changes(a, b, f"{prefix}{field}."))
        else:
            changes[f"{prefix}{field}"] = [a, b]
    return changes


def diff_packs(old: dict, new: dict) -> dict:
    """Rows added, removed and changed (field by field) from `old` to `new`, per section.

    List entries are compared by their id inside each list, so a list update reads as entries added/removed."""
    result: dict = {}
    for section, fields in SECTION_KEYS.items():
        before = {_row_key(r, fields): r for r in old.get(section, [])}
        after = {_row_key(r, fields): r for r in new.get(section, [])}
        added = sorted(set(after) - set(before))
        removed = sorted(set(before) - set(after))
        changed = []
        for key in sorted(set(before) & set(after)):
            a, b = dict(before[key]), dict(after[key])
            if section == "lists":
                entries_a = {e.get("id") or e["name"]: e for e in a.pop("entries", [])}
                entries_b = {e.get("id") or e["name"]: e for e in b.pop("entries", [])}
                delta = _field_changes(a, b)
                for entry_id in sorted(set(entries_b) - set(entries_a)):
                    delta[f"entries[{entry_id}]"] = [None, entries_b[entry_id]["name"]]
                for entry_id in sorted(set(entries_a) - set(entries_b)):
                    delta[f"entries[{entry_id}]"] = [entries_a[entry_id]["name"], None]
                for entry_id in sorted(set(entries_a) & set(entries_b)):
                    for f, pair in _field_changes(entries_a[entry_id], entries_b[entry_id]).items():
                        delta[f"entries[{entry_id}].{f}"] = pair
            else:
                delta = _field_changes(a, b)
            if delta:
                changed.append({"key": key, "fields": delta})
        if added or removed or changed:
            result[section] = {
                "added": [after[k] for k in added],
                "removed": [before[k] for k in removed],
                "changed": changed,
            }
    return result
