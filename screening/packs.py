"""Rule-set versions to and from rule packs: the mapping between the tables and the JSON document."""

from collections.abc import Callable
from decimal import Decimal

from django.db import transaction

from .models import (
    ControlEntry,
    CountryGroup,
    HSCode,
    Instrument,
    Jurisdiction,
    LicenceType,
    PartyList,
    PartyListEntry,
    Provision,
    Rule,
    RuleSetVersion,
    Suspension,
)
from .rulepack import FORMAT

# Keys a section always carries, even when empty; any other key is left out when it has no value, so that an
# export is canonical and export(import(pack)) == pack for a canonical pack.
ALWAYS = {
    "jurisdictions": {"code", "name", "home"},
    "country_groups": {"code", "name", "members"},
    "instruments": {"key", "jurisdiction", "kind", "citation", "verification"},
    "provisions": {"key", "instrument", "ref"},
    "control_entries": {"jurisdiction", "code", "description"},
    "licence_types": {"jurisdiction", "code", "name", "max_validity_days"},
    "rules": {"code", "jurisdiction", "type", "provision", "outcome", "binds", "conditions"},
    "suspensions": {"key", "target", "by", "from", "to_inclusive"},
    "lists": {"key", "jurisdiction", "name", "entries"},
    "entries": {"name"},
}


def _clean(section: str, row: dict) -> dict:
    keep = ALWAYS[section]
    return {k: v for k, v in row.items() if k in keep or v not in (None, "", [], {})}


def _d(value):
    return value.isoformat() if value else None


def _dec(value: Decimal | None) -> str | None:
    if value is None:
        return None
    text = format(value.normalize(), "f")
    return text


def export_pack(version: RuleSetVersion) -> dict:
    """The whole version as a rule pack (canonical form)."""
    v = version
    pack: dict = {"format": FORMAT, "version": {"label": v.label}}
    if v.notes:
        pack["version"]["notes"] = v.notes
    if v.effective_from:
        pack["version"]["effective_from"] = v.effective_from.isoformat()
    if v.published_at:
        pack["version"]["published_at"] = v.published_at.isoformat()
    pack["jurisdictions"] = [
        _clean("jurisdictions", {"code": j.code, "name": j.name, "adjective": j.adjective, "home": j.home})
        for j in Jurisdiction.objects.filter(version=v).order_by("id")
    ]
    pack["country_groups"] = [
        _clean(
            "country_groups",
            {
                "code": g.code,
                "name": g.name,
                "members": g.members,
                "verification": g.verification,
                "source_url": g.source_url,
            },
        )
        for g in CountryGroup.objects.filter(version=v).order_by("id")
    ]
    pack["instruments"] = [
        _clean(
            "instruments",
            {
                "key": i.key,
                "jurisdiction": i.jurisdiction,
                "kind": i.kind,
                "number": i.number,
                "title": i.title,
                "issuer": i.issuer,
                "citation": i.citation,
                "published": _d(i.published),
                "effective_from": _d(i.effective_from),
                "effective_to": _d(i.effective_to),
                "source_url": i.source_url,
                "verification": i.verification,
                "notes": i.notes,
            },
        )
        for i in Instrument.objects.filter(version=v).order_by("id")
    ]
    pack["provisions"] = [
        _clean(
            "provisions",
            {
                "key": p.key,
                "instrument": p.instrument,
                "ref": p.ref,
                "text": p.text,
                "effective_from": _d(p.effective_from),
                "effective_to": _d(p.effective_to),
                "verification": p.verification,
            },
        )
        for p in Provision.objects.filter(version=v).order_by("id")
    ]
    pack["control_entries"] = [
        _clean(
            "control_entries",
            {
                "jurisdiction": e.jurisdiction,
                "code": e.code,
                "element": e.element or None,
                "forms": e.forms,
                "description": e.description,
                "provision": e.provision,
                "hs_codes": sorted(h.code for h in e.hs_codes.all()),
                "verification": e.verification,
            },
        )
        for e in ControlEntry.objects.filter(version=v).order_by("id").prefetch_related("hs_codes")
    ]
    pack["licence_types"] = [
        _clean(
            "licence_types",
            {
                "jurisdiction": t.jurisdiction,
                "code": t.code,
                "name": t.name,
                "max_validity_days": t.max_validity_days,
                "review_working_days": t.review_working_days,
                "amendment_review_working_days": t.amendment_review_working_days,
                "extensions": t.extensions,
                "shipment_tolerance": _dec(t.shipment_tolerance),
                "verification": t.verification,
                "provision": t.provision,
            },
        )
        for t in LicenceType.objects.filter(version=v).order_by("id")
    ]
    pack["rules"] = [rule_to_pack(r) for r in Rule.objects.filter(version=v).order_by("id")]
    pack["suspensions"] = [
        _clean(
            "suspensions",
            {
                "key": s.key,
                "target": {s.target_kind: s.target},
                "by": s.by,
                "from": _d(s.starts),
                "to": _d(s.ends),
                "to_inclusive": s.ends_inclusive,
                "verification": s.verification,
                "notes": s.notes,
            },
        )
        for s in Suspension.objects.filter(version=v).order_by("id")
    ]
    entries_by_list: dict[int, list] = {}
    for e in PartyListEntry.objects.filter(version=v).order_by("id"):
        entries_by_list.setdefault(e.party_list_id, []).append(
            _clean(
                "entries",
                {
                    "id": e.entry_id,
                    "name": e.name,
                    "aliases": e.aliases,
                    "country": e.country,
                    "instrument": e.instrument,
                    "listed_from": _d(e.listed_from),
                    "listed_to": _d(e.listed_to),
                },
            )
        )
    pack["lists"] = [
        _clean(
            "lists",
            {
                "key": lst.key,
                "jurisdiction": lst.jurisdiction,
                "name": lst.name,
                "source": lst.source,
                "verification": lst.verification,
                "entries": entries_by_list.get(lst.pk, []),
            },
        )
        for lst in PartyList.objects.filter(version=v).order_by("id")
    ]
    return pack


def rule_to_pack(r: Rule) -> dict:
    return _clean(
        "rules",
        {
            "code": r.code,
            "jurisdiction": r.jurisdiction,
            "type": r.type,
            "provision": r.provision,
            "outcome": r.outcome,
            "binds": r.binds,
            "summary": r.summary,
            "conditions": r.conditions,
            "transactions": r.transactions,
            "destinations": r.destinations,
            "exclude_destinations": r.exclude_destinations,
            "effective_from": _d(r.effective_from),
            "effective_to": _d(r.effective_to),
            "obligations": r.obligations,
            "verification": r.verification,
            "source_url": r.source_url,
        },
    )


def rule_fields_from_pack(r: dict) -> dict:
    return {
        "code": r["code"],
        "jurisdiction": r["jurisdiction"],
        "type": r["type"],
        "provision": r["provision"],
        "outcome": r["outcome"],
        "binds": r.get("binds", "both"),
        "summary": r.get("summary", ""),
        "conditions": r.get("conditions", {}),
        "transactions": r.get("transactions"),
        "destinations": r.get("destinations"),
        "exclude_destinations": r.get("exclude_destinations"),
        "effective_from": r.get("effective_from"),
        "effective_to": r.get("effective_to"),
        "obligations": r.get("obligations", []),
        "verification": r.get("verification", ""),
        "source_url": r.get("source_url", ""),
    }


def _write_jurisdictions(v, rows):
    Jurisdiction.objects.bulk_create(
        Jurisdiction(version=v, code=j["code"], name=j["name"], adjective=j.get("adjective", ""), home=j["home"])
        for j in rows
    )


def _write_country_groups(v, rows):
    CountryGroup.objects.bulk_create(
        CountryGroup(
            version=v,
            code=g["code"],
            name=g["name"],
            members=g["members"],
            verification=g.get("verification", "inferred"),
            source_url=g.get("source_url", ""),
        )
        for g in rows
    )


def _write_instruments(v, rows):
    Instrument.objects.bulk_create(
        Instrument(
            version=v,
            key=i["key"],
            jurisdiction=i["jurisdiction"],
            kind=i["kind"],
            number=i.get("number", ""),
            title=i.get("title", ""),
            issuer=i.get("issuer", ""),
            citation=i["citation"],
            published=i.get("published"),
            effective_from=i.get("effective_from"),
            effective_to=i.get("effective_to"),
            source_url=i.get("source_url", ""),
            verification=i["verification"],
            notes=i.get("notes", ""),
        )
        for i in rows
    )


def _write_provisions(v, rows):
    Provision.objects.bulk_create(
        Provision(
            version=v,
            key=p["key"],
            instrument=p["instrument"],
            ref=p["ref"],
            text=p.get("text", ""),
            effective_from=p.get("effective_from"),
            effective_to=p.get("effective_to"),
            verification=p.get("verification", ""),
        )
        for p in rows
    )


def _write_control_entries(v, rows):
    entries = ControlEntry.objects.bulk_create(
        ControlEntry(
            version=v,
            jurisdiction=e["jurisdiction"],
            code=e["code"],
            element=e.get("element") or "",
            forms=e.get("forms", []),
            description=e["description"],
            provision=e.get("provision", ""),
            verification=e.get("verification", ""),
        )
        for e in rows
    )
    wanted = {h for e in rows for h in e.get("hs_codes", [])}
    HSCode.objects.bulk_create([HSCode(code=h) for h in sorted(wanted)], ignore_conflicts=True)
    hs = {h.code: h for h in HSCode.objects.filter(code__in=wanted)}
    through = ControlEntry.hs_codes.through
    through.objects.bulk_create(
        through(controlentry_id=entry.pk, hscode_id=hs[code].pk)
        for entry, data in zip(entries, rows, strict=True)
        for code in data.get("hs_codes", [])
    )


def _write_licence_types(v, rows):
    LicenceType.objects.bulk_create(
        LicenceType(
            version=v,
            jurisdiction=t["jurisdiction"],
            code=t["code"],
            name=t["name"],
            max_validity_days=t["max_validity_days"],
            review_working_days=t.get("review_working_days"),
            amendment_review_working_days=t.get("amendment_review_working_days"),
            extensions=t.get("extensions", 0),
            shipment_tolerance=Decimal(t.get("shipment_tolerance", "0")),
            verification=t.get("verification", ""),
            provision=t.get("provision", ""),
        )
        for t in rows
    )


def _write_rules(v, rows):
    Rule.objects.bulk_create(Rule(version=v, **rule_fields_from_pack(r)) for r in rows)


def _write_suspensions(v, rows):
    Suspension.objects.bulk_create(
        Suspension(
            version=v,
            key=s["key"],
            target_kind=next(iter(s["target"])),
            target=next(iter(s["target"].values())),
            by=s["by"],
            starts=s["from"],
            ends=s.get("to"),
            ends_inclusive=s.get("to_inclusive", True),
            verification=s.get("verification", ""),
            notes=s.get("notes", ""),
        )
        for s in rows
    )


def _write_lists(v, rows):
    for lst in rows:
        party_list = PartyList.objects.create(
            version=v,
            key=lst["key"],
            jurisdiction=lst["jurisdiction"],
            name=lst["name"],
            source=lst.get("source", ""),
            verification=lst.get("verification", ""),
        )
        PartyListEntry.objects.bulk_create(
            PartyListEntry(
                version=v,
                party_list=party_list,
                entry_id=e.get("id") or f"{lst['key']}-{n + 1}",
                name=e["name"],
                aliases=e.get("aliases", []),
                country=e.get("country", ""),
                instrument=e.get("instrument", ""),
                listed_from=e.get("listed_from"),
                listed_to=e.get("listed_to"),
            )
            for n, e in enumerate(lst.get("entries", []))
        )


# Section → (writer, models whose rows hold it). Order matters only for readability: rows refer by key.
SECTIONS = {
    "jurisdictions": (_write_jurisdictions, [Jurisdiction]),
    "country_groups": (_write_country_groups, [CountryGroup]),
    "instruments": (_write_instruments, [Instrument]),
    "provisions": (_write_provisions, [Provision]),
    "control_entries": (_write_control_entries, [ControlEntry]),
    "licence_types": (_write_licence_types, [LicenceType]),
    "rules": (_write_rules, [Rule]),
    "suspensions": (_write_suspensions, [Suspension]),
    "lists": (_write_lists, [PartyListEntry, PartyList]),
}


PACK_ROW_BATCH = 500


def pack_row_count(pack: dict) -> int:
    if not isinstance(pack, dict):
        return 0
    return sum(len(rows) for section in SECTIONS if isinstance(rows := pack.get(section), list))


@transaction.atomic
def write_pack_rows(version: RuleSetVersion, pack: dict, progress: Callable[..., None] | None = None) -> None:
    """Write a validated pack's rows into an empty draft version. With `progress`, rows are written in batches
    (every row stands alone, so a section written in parts is the same section) and `progress(stage="writing",
    done=rows written, total=rows)` is called before each."""
    if progress is None:
        for section, (writer, _models) in SECTIONS.items():
            writer(version, pack.get(section, []))
        return
    total, done = pack_row_count(pack), 0
    for section, (writer, _models) in SECTIONS.items():
        rows = pack.get(section, [])
        for start in range(0, len(rows), PACK_ROW_BATCH):
            progress(stage="writing", done=done, total=total)
            part = rows[start : start + PACK_ROW_BATCH]
            writer(version, part)
            done += len(part)


@transaction.atomic
def rewrite_section(version: RuleSetVersion, section: str, rows: list[dict]) -> None:
    """Replace one section of a draft with `rows` (already validated as part of the whole pack)."""
    writer, models = SECTIONS[section]
    for model in models:
        # Row by row through the models' own delete() would re-check the draft once per row; the caller has
        # checked that the version is a draft, so one bulk delete is enough.
        model.objects.filter(version=version).delete()
    writer(version, rows)
