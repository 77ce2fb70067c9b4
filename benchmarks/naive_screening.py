"""The screening benchmark's baseline: a deliberately naive evaluator, written the way an ORM-first implementation
would be. For every case it reads the version's rules from the Rule table and, rule by rule, queries the
provision and instrument the rule cites, the suspensions that name it, the country groups and control entries it
refers to; it reads each party list and each entry's instrument; then it applies the engine's own matching
(screening.engine.evaluate) to what it read.

It has the engine's semantics and must give the engine's determinations, which the benchmark and
tests/test_bench_screening.py check; the difference in speed is what compiling a rule set once buys. Nothing
here is for production use."""

from datetime import timedelta
from decimal import Decimal

from django.db.models import Q

from parties.screening import make_matcher
from screening.engine import evaluate, facts_from_document
from screening.engine import ruleset as compiled
from screening.engine.facts import normalise_code
from screening.models import (
    ControlEntry,
    CountryGroup,
    Instrument,
    Jurisdiction,
    Provision,
    Rule,
    RuleSetVersion,
    Suspension,
)


def _countries(values, version: RuleSetVersion) -> frozenset[str]:
    """Countries named directly or through a group, one query per group."""
    countries: set[str] = set()
    for value in values or ():
        if value.startswith("group:"):
            countries |= set(CountryGroup.objects.get(version=version, code=value[6:]).members)
        else:
            countries.add(value)
    return frozenset(countries)


def _instrument(key: str, version: RuleSetVersion) -> compiled.Instrument | None:
    row = Instrument.objects.filter(version=version, key=key).first()
    if row is None:
        return None
    return compiled.Instrument(
        key=row.key,
        jurisdiction=row.jurisdiction,
        citation=row.citation,
        effective_from=row.effective_from,
        effective_to=row.effective_to,
        verification=row.verification,
    )


def _provision(key: str, version: RuleSetVersion) -> compiled.Provision:
    """The provision a rule cites; a rule may cite a whole instrument instead."""
    row = Provision.objects.filter(version=version, key=key).first()
    if row is None:
        instrument = _instrument(key, version)
        return compiled.Provision(key, instrument, "", instrument.effective_from, instrument.effective_to)
    instrument = _instrument(row.instrument, version)
    return compiled.Provision(
        key=row.key,
        instrument=instrument,
        ref=row.ref,
        effective_from=row.effective_from or instrument.effective_from,
        effective_to=row.effective_to or instrument.effective_to,
    )


def _control_entries(prefixes: tuple[str, ...], jurisdiction: str, version: RuleSetVersion):
    if not prefixes:
        return ()
    rows = ControlEntry.objects.filter(version=version, jurisdiction=jurisdiction).order_by("id")
    return tuple(
        compiled.ControlEntry(
            code=row.code,
            key=normalise_code(row.code),
            jurisdiction=row.jurisdiction,
            element=row.element or "",
            forms=frozenset(row.forms or ()),
            description=row.description,
        )
        for row in rows
        if any(normalise_code(row.code).startswith(p) for p in prefixes)
    )


def _suspensions(targets: list[tuple[str, str]], version: RuleSetVersion, found: dict) -> None:
    """Add the suspensions naming any of the targets to `found` (by row id), with the instrument that suspends."""
    where = Q()
    for kind, target in targets:
        where |= Q(target_kind=kind, target=target)
    for row in Suspension.objects.filter(where, version=version):
        if row.pk in found:
            continue
        last = row.ends if row.ends is None or row.ends_inclusive else row.ends - timedelta(days=1)
        by = _instrument(row.by, version)
        found[row.pk] = compiled.Suspension(row.key, row.target_kind, row.target, by, row.starts, last)


def _rule(row: Rule, version: RuleSetVersion, suspensions: dict) -> compiled.Rule:
    provision = _provision(row.provision, version)
    conditions = dict(row.conditions or {})
    prefixes = tuple(normalise_code(c) for c in conditions.get("control_entries", ()))
    rule = compiled.Rule(
        code=row.code,
        jurisdiction=row.jurisdiction,
        type=row.type,
        outcome=row.outcome,
        provision=provision,
        binds=row.binds or "both",
        transactions=frozenset(row.transactions) if row.transactions else None,
        destinations=_countries(row.destinations, version) if row.destinations else None,
        exclude_destinations=_countries(row.exclude_destinations, version),
        effective_from=row.effective_from or provision.effective_from,
        effective_to=row.effective_to or provision.effective_to,
        obligations=tuple(row.obligations or ()),
        summary=row.summary,
        conditions=conditions,
        code_prefixes=prefixes,
        entries=_control_entries(prefixes, row.jurisdiction, version),
    )
    if row.type == "content_ratio":
        content_prefixes = tuple(normalise_code(c) for c in conditions.get("content_control_entries", ()))
        conditions["_content_prefixes"] = content_prefixes
        conditions["_content_entries"] = _control_entries(content_prefixes, row.jurisdiction, version)
        conditions["_threshold"] = Decimal(str(conditions["threshold"]))
        conditions["_by_destination"] = [
            (_countries(t["destinations"], version), Decimal(str(t["threshold"])))
            for t in conditions.get("thresholds_by_destination", ())
        ]
    if row.type == "party_list" and conditions.get("ownership_threshold") is not None:
        conditions["_ownership"] = Decimal(str(conditions["ownership_threshold"]))
    targets = [("rule", row.code), ("provision", provision.key), ("instrument", provision.instrument.key)]
    _suspensions(targets, version, suspensions)
    return rule


def _party_lists(version: RuleSetVersion, suspensions: dict, on) -> tuple[list, dict]:
    """The restricted-party lists in force on `on`, read and indexed again for this one case."""
    from parties.models import ListEntry as StoredEntry
    from parties.models import ListVersion, RestrictedList
    from parties.screening import DETAIL_FIELDS, load_list

    loaded, instruments = [], {}
    for restricted in RestrictedList.objects.order_by("id"):
        list_version = (
            ListVersion.objects.filter(restricted_list=restricted, effective_from__lte=on)
            .order_by("-effective_from", "-number")
            .first()
        )
        if list_version is None:
            continue
        _suspensions([("list", restricted.key)], version, suspensions)
        records = []
        for row in StoredEntry.objects.filter(version=list_version).order_by("id"):
            if row.instrument:
                instrument = _instrument(row.instrument, version)
                if instrument is not None:
                    instruments[instrument.key] = instrument
                    _suspensions([("instrument", instrument.key)], version, suspensions)
            record = {
                f: getattr(row, f)
                for f in (
                    "entry_id",
                    "kind",
                    "name",
                    "aliases",
                    "instrument",
                    "listed_from",
                    "listed_to",
                    *DETAIL_FIELDS,
                )
            }
            records.append(record)
        loaded.append(
            load_list(
                key=restricted.key,
                name=restricted.name,
                records=records,
                match_threshold=restricted.match_threshold,
                review_threshold=restricted.review_threshold,
            )
        )
    return loaded, instruments


def naive_screen(doc: dict, *, version: RuleSetVersion) -> dict:
    """Screen one case document, reading everything the rules need from the database again."""
    facts = facts_from_document(doc)
    jurisdictions = {
        row.code: compiled.Jurisdiction(
            code=row.code,
            name=row.name,
            adjective=row.adjective or row.name,
            home_countries=_countries(row.home, version),
        )
        for row in Jurisdiction.objects.filter(version=version).order_by("id")
    }
    suspensions: dict[int, compiled.Suspension] = {}
    rules = [_rule(row, version, suspensions) for row in Rule.objects.filter(version=version).order_by("id")]
    loaded_lists, instruments = _party_lists(version, suspensions, facts.decisive_date)
    rule_set = compiled.CompiledRuleSet(
        version=version.label,
        published_at=version.published_at.isoformat() if version.published_at else None,
        jurisdictions=jurisdictions,
        rules=rules,
        # In table order, as a compiled rule set has them: of two suspensions ending together, the first wins.
        suspensions=[suspensions[pk] for pk in sorted(suspensions)],
        groups={},
        instruments=instruments,
    )
    return evaluate(facts, rule_set, matcher=make_matcher(loaded_lists, rule_set))
