"""Reads of rule sets, and the compiled rule set the engine evaluates with."""

from collections import OrderedDict
from contextlib import AbstractContextManager
from datetime import date
from threading import Lock

from django.db.models import Q, QuerySet
from django.utils import timezone

from config.compiled_reads import CompiledRead, instance_from, model_columns
from config.handoff import Handoff

from .engine import CompiledRuleSet, compile_rule_set
from .models import RuleSetVersion
from .packs import export_pack


class NoRuleSet(LookupError):
    pass


def published_versions() -> QuerySet[RuleSetVersion]:
    return RuleSetVersion.objects.filter(status=RuleSetVersion.Status.PUBLISHED).order_by("-published_at", "-id")


# Inside `rule_set_in_force_read_once`, the version in force on each day, as first read there.
_in_force_read: Handoff[dict[date, RuleSetVersion]] = Handoff("rule_set_in_force_read")


def rule_set_in_force_read_once(read: dict[date, RuleSetVersion]) -> AbstractContextManager:
    """For one piece of work that asks several times which version is in force (a submission starts the case's
    clock by it, and the screening it starts in-process screens by it): `rule_set_in_force` reads each day's
    version once and keeps it in `read`, which the caller may hand on to the rest of the work. A version published
    in between is the next piece's, as if it had been published a moment later."""
    return _in_force_read.offering(read)


def _in_force_on(today: date) -> QuerySet[RuleSetVersion]:
    return published_versions().filter(Q(effective_from__isnull=True) | Q(effective_from__lte=today))


# Every submission reads the version in force (its clock's review limit, then its screening): compiled once
# (config/compiled_reads.py), it costs a quarter of the ORM's read. Nothing is kept but the SQL, so a version
# published a moment ago is read like any other.
_IN_FORCE_READ = CompiledRead(
    lambda today: _in_force_on(today).values_list(*model_columns(RuleSetVersion))[:1], today=date(1, 1, 1)
)


def rule_set_in_force(*, today: date | None = None) -> RuleSetVersion:
    """The newest published version whose effective date has come (system time decides which data is current;
    the rules inside still apply by each case's decisive date)."""
    # A datetime is read as the date the ORM would compare it as (the field's own conversion: an aware one's
    # date in the default time zone), so the compiled read serves every call.
    today = RuleSetVersion._meta.get_field("effective_from").to_python(today) if today else timezone.localdate()
    read = _in_force_read.offered()
    if read is not None and today in read:
        return read[today]
    rows = _IN_FORCE_READ.rows(today=today)
    version = instance_from(RuleSetVersion, rows[0]) if rows else None
    if version is None:
        raise NoRuleSet("No rule set has been published yet. Load the seed with `manage.py load_rule_pack`.")
    if read is not None:
        read[today] = version
    return version


def rule_set_by_label(label: str) -> RuleSetVersion:
    version = published_versions().filter(label=label).first()
    if version is None:
        known = ", ".join(published_versions().values_list("label", flat=True)[:20]) or "none"
        raise NoRuleSet(f"No published rule set '{label}' (published: {known}).")
    return version


_CACHE: "OrderedDict[tuple, CompiledRuleSet]" = OrderedDict()
_CACHE_LOCK = Lock()
_CACHE_SIZE = 8


def compiled_rule_set(version: RuleSetVersion) -> CompiledRuleSet:
    """The version compiled for the engine, loaded once per process. Published versions never change, so the
    cache never goes stale; a draft's key includes its revision."""
    # created_at as well: a test database that rolls back can hand a freed id to a different version.
    key = (version.pk, version.revision, version.created_at)
    with _CACHE_LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    compiled = compile_rule_set(
        export_pack(version),
        version=version.label,
        published_at=version.published_at.isoformat() if version.published_at else None,
    )
    with _CACHE_LOCK:
        _CACHE[key] = compiled
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return compiled


# The screening `case_screen` has just stored, offered to the transition it makes (the routing that follows it
# asks for the case's latest screening): the case's row is locked and the screening is the newest, so reading it
# back would only return it again.
_stored_screening: Handoff = Handoff("stored_screening")


def offering_stored_screening(screening) -> AbstractContextManager:
    return _stored_screening.offering(screening)


def latest_screening(*, case):
    """The newest stored determination for a case, or None while it has not been screened."""
    from .models import Screening

    stored = _stored_screening.offered()
    if stored is not None and stored.case_id == case.pk:
        return stored
    return Screening.objects.filter(case=case).select_related("version").order_by("-created_at", "-id").first()


def determination_for_display(determination: dict, *, items: list, parties: list) -> dict:
    """The determination with each reason's item and party index turned into what a reader recognises."""

    def label(entry: dict) -> str:
        parts = []
        if entry.get("item") is not None and entry["item"] < len(items):
            parts.append(f"Line {entry['item'] + 1}: {items[entry['item']].description[:60]}")
        if entry.get("party") is not None and entry["party"] < len(parties):
            parts.append(f"{parties[entry['party']].name}")
        return " · ".join(parts)

    from .models import Outcome

    labels = dict(Outcome.choices)
    return {
        **determination,
        "outcome_label": labels.get(determination["outcome"], determination["outcome"]),
        "reasons": [
            {**r, "on": label(r), "outcome_label": labels.get(r["outcome"], r["outcome"])}
            for r in determination.get("reasons", [])
        ],
        "suppressed": [{**s, "on": label(s)} for s in determination.get("suppressed", [])],
        "party_matches": [{**m, "on": label(m)} for m in determination.get("party_matches", [])],
    }
