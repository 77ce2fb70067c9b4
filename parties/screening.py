"""Restricted-party lists as the screening engine sees them: the versions in force on a decisive date, an index
per version built once per process, and a matcher that answers the engine with list matches (hits at or above a
list's threshold, potential matches in its review band), leaving out what reviewers disposed of as false
positives — until the entry's content changes."""

from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from threading import Lock

from config.compiled_reads import CompiledRead, instance_from, model_columns
from screening.engine.evaluate import ListMatch
from screening.engine.names import name_key
from screening.engine.ruleset import CompiledRuleSet, ListEntry

from .matching import MatchIndex, entry_from_record

DETAIL_FIELDS = (
    "source", "programs", "license_requirement", "license_policy", "federal_register_notice", "source_url",
    "remarks", "countries", "addresses", "identifiers", "content_hash",
)  # fmt: skip


@dataclass(frozen=True)
class LoadedList:
    """One list version, indexed."""

    key: str
    name: str
    match_threshold: float
    review_threshold: float
    index: MatchIndex
    records: dict[str, dict]
    version_id: int | None = None


def load_list(
    *,
    key: str,
    name: str,
    records: Iterable[dict],
    match_threshold: float,
    review_threshold: float,
    version_id: int | None = None,
) -> LoadedList:
    records = {str(r["entry_id"]): r for r in records}
    index = MatchIndex.build(entry_from_record(key, r) for r in records.values())
    return LoadedList(key, name, float(match_threshold), float(review_threshold), index, records, version_id)


MEMO_SIZE = 100_000

# What the matcher and the determination read of a stored entry.
ENTRY_FIELDS = tuple(
    dict.fromkeys(
        [
            "entry_id",
            "kind",
            "name",
            "aliases",
            "countries",
            "identifiers",
            "instrument",
            "listed_from",
            "listed_to",
            *DETAIL_FIELDS,
        ]
    )
)

# (party name key, party country, list key, entry id, entry content hash) -> "true_match" | "false_positive"
Dispositions = Callable[[str, str, str, str, str], str | None]


def _date(value) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def make_matcher(lists: list[LoadedList], rule_set: CompiledRuleSet, dispositions: Dispositions | None = None):
    """A matcher for screening.engine.evaluate: name and country in, ListMatch objects out.

    It remembers its answers: the lists and dispositions it was made with do not change, and a batch (a re-check
    of many permits, a benchmark) screens the same parties again and again."""
    memo: dict[tuple[str, str], list[ListMatch]] = {}

    def match(name: str, country: str) -> list[ListMatch]:
        key = (name, country or "")
        if key in memo:
            return memo[key]
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        found: list[ListMatch] = []
        party_key = name_key(name)
        for lst in lists:
            for m in lst.index.search(name, country=country or None, threshold=lst.review_threshold, limit=5):
                record = lst.records[m.entry_id]
                decision = (
                    dispositions(party_key, country or "", lst.key, m.entry_id, record["content_hash"])
                    if dispositions
                    else None
                )
                if decision == "false_positive":
                    continue
                review = m.score < lst.match_threshold and decision != "true_match"
                entry = ListEntry(
                    list_key=lst.key,
                    list_name=lst.name,
                    entry_id=m.entry_id,
                    name=record["name"],
                    key="",
                    country=(record.get("countries") or [""])[0],
                    instrument=rule_set.instruments.get(record.get("instrument") or ""),
                    listed_from=_date(record.get("listed_from")),
                    listed_to=_date(record.get("listed_to")),
                    details={k: record[k] for k in DETAIL_FIELDS if record.get(k)},
                )
                explanation = m.explanation.as_dict()
                if decision == "true_match":
                    explanation["notes"] = [*explanation.get("notes", []), "confirmed as a true match by a reviewer"]
                found.append(ListMatch(entry, round(m.score, 4), m.matched_name, review, explanation))
        memo[key] = found
        return found

    return match


# --- From the database -----------------------------------------------------------------------------------------

_CACHE: "OrderedDict[tuple, LoadedList]" = OrderedDict()
_LOCK = Lock()
_CACHE_SIZE = 16


def _in_force_rows(on: date):
    from .models import ListVersion, RestrictedList

    return (
        ListVersion.objects.filter(effective_from__lte=on)
        .order_by("restricted_list__key", "-effective_from", "-number")
        .values_list(*model_columns(ListVersion), *model_columns(RestrictedList, "restricted_list__"))
    )


# Every screening asks for the lists in force: the read is compiled once (config/compiled_reads.py) instead of
# built by the ORM each time, which cost three times more. Only the SQL is kept: a version imported a moment ago
# is read like any other.
_IN_FORCE_READ = CompiledRead(_in_force_rows, on=date(1, 1, 1))


def lists_in_force(*, on: date):
    """For each list, the newest version whose effective date is on or before `on` (one query)."""
    from .models import ListVersion, RestrictedList

    # A datetime is read as the date the ORM would compare it as (the field's own conversion: an aware one's
    # date in the default time zone), so the compiled read serves every call.
    on = ListVersion._meta.get_field("effective_from").to_python(on)
    width = len(ListVersion._meta.concrete_fields)
    field = ListVersion._meta.get_field("restricted_list")
    chosen = {}
    for row in _IN_FORCE_READ.rows(on=on):
        version = instance_from(ListVersion, row)
        field.set_cached_value(version, instance_from(RestrictedList, row, width))
        chosen.setdefault(version.restricted_list_id, version)
    return list(chosen.values())


def loaded_list(version) -> LoadedList:
    """The version indexed, once per process (a list version never changes once imported)."""
    from .models import ListEntry as StoredEntry

    key = (version.pk, version.imported_at)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    records = StoredEntry.objects.filter(version=version).values(*ENTRY_FIELDS)
    restricted = version.restricted_list
    loaded = load_list(
        key=restricted.key,
        name=restricted.name,
        records=records,
        match_threshold=restricted.match_threshold,
        review_threshold=restricted.review_threshold,
        version_id=version.pk,
    )
    with _LOCK:
        _CACHE[key] = loaded
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return loaded


def stored_dispositions() -> Dispositions:
    """The latest decision per party and entry content, read at most once for a screening: on the first lookup,
    which comes only when a party matches an entry. Most screenings match nothing and so read nothing."""
    from .models import Disposition

    latest: dict[tuple, str] | None = None

    def lookup(party_key: str, country: str, list_key: str, entry_id: str, entry_hash: str) -> str | None:
        nonlocal latest
        if latest is None:
            rows = Disposition.objects.order_by("decided_at", "id").values_list(
                "party_key", "party_country", "restricted_list__key", "entry_id", "entry_hash", "decision"
            )
            latest = {tuple(row[:5]): row[5] for row in rows}
        return latest.get((party_key, country, list_key, entry_id, entry_hash))

    return lookup


def party_matcher(*, on: date, rule_set: CompiledRuleSet):
    """The matcher for screening a case decided on `on`: every list's version in force that day."""
    return make_matcher([loaded_list(v) for v in lists_in_force(on=on)], rule_set, stored_dispositions())
