"""Importing restricted-party list versions: all or nothing, with a summary against the previous version."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from audit.services import audit_record

from .importers import PARSERS, ListFileError, on_record_read
from .models import ListEntry, ListVersion, RestrictedList

LIST_KEY_PATTERN = r"^[A-Z0-9][A-Z0-9_-]{1,63}$"


@dataclass(frozen=True)
class ImportSummary:
    version: ListVersion
    entries: int
    added: list[str]
    removed: list[str]
    changed: list[str]

    def line(self) -> str:
        return (
            f"{self.version}: {self.entries} entries; {len(self.added)} added, {len(self.removed)} removed, "
            f"{len(self.changed)} changed since the previous version."
        )


class ListImportRefused(Exception):
    pass


def list_import(
    *,
    list_key: str,
    fmt: str,
    paths: list[Path],
    actor: User | None,
    name: str | None = None,
    jurisdiction: str = "",
    effective_from: date | None = None,
    progress: Callable[..., None] | None = None,
) -> ImportSummary:
    """Parse the files, then write a new current version in one transaction. A file that fails to parse raises
    ListFileError before anything is written; the previous version stays in force.

    `progress`, when given, is called as `progress(stage="reading", done=records read)` while the files are
    parsed and `progress(stage="writing", done=entries written, total=entries)` while the version is written;
    it is called from inside the transaction, so it must make its writes visible by other means (see
    imports.progress)."""
    import re

    if actor is not None and not actor.has_role(Role.RULE_ADMIN):
        raise ListImportRefused(_("Only rule admins may import restricted-party lists."))
    if not re.match(LIST_KEY_PATTERN, list_key):
        raise ListImportRefused(
            _("List name '%(list_key)s': use capitals, digits, '-' and '_' (e.g. US-CSL).") % {"list_key": list_key}
        )
    if fmt not in PARSERS:
        raise ListImportRefused(f"Unknown format {fmt!r}; known: {', '.join(PARSERS)}.")
    if progress is None:
        entries = PARSERS[fmt](paths)  # raises ListFileError
    else:
        read = 0

        def record_read() -> None:
            nonlocal read
            read += 1
            progress(stage="reading", done=read)

        token = on_record_read.set(record_read)
        try:
            entries = PARSERS[fmt](paths)
        finally:
            on_record_read.reset(token)
    return _write_version(
        list_key=list_key,
        fmt=fmt,
        paths=paths,
        entries=entries,
        actor=actor,
        name=name,
        jurisdiction=jurisdiction,
        effective_from=effective_from or timezone.localdate(),
        progress=progress,
    )


ENTRY_BATCH = 2000


@transaction.atomic
def _write_version(
    *, list_key, fmt, paths, entries, actor, name, jurisdiction, effective_from, progress=None
) -> ImportSummary:
    import hashlib

    restricted, created = RestrictedList.objects.select_for_update().get_or_create(
        key=list_key, defaults={"name": name or list_key, "format": fmt, "jurisdiction": jurisdiction}
    )
    if not created and restricted.format != fmt:
        raise ListImportRefused(
            _("%(list_key)s is imported as %(format)s, not %(fmt)s.")
            % {"list_key": list_key, "format": restricted.format, "fmt": fmt}
        )
    previous = restricted.versions.filter(status=ListVersion.Status.CURRENT).first()
    before = dict(previous.entries.values_list("entry_id", "content_hash")) if previous else {}
    after = {e["entry_id"]: e["content_hash"] for e in entries}
    added = sorted(set(after) - set(before))
    removed = sorted(set(before) - set(after))
    changed = sorted(k for k in set(after) & set(before) if after[k] != before[k])
    if previous is not None:
        # Two imports of one list at once: the row lock above serialises them; this checks it held.
        superseded = ListVersion.objects.filter(pk=previous.pk, status=ListVersion.Status.CURRENT).update(
            status=ListVersion.Status.SUPERSEDED
        )
        if superseded != 1:
            raise ListImportRefused(_("%(list_key)s changed during the import; try again.") % {"list_key": list_key})
    version = ListVersion.objects.create(
        restricted_list=restricted,
        number=(previous.number + 1) if previous else 1,
        effective_from=effective_from,
        imported_by=actor,
        source_files=[{"name": p.name, "sha256": hashlib.sha256(p.read_bytes()).hexdigest()} for p in paths],
        entry_count=len(entries),
        added=len(added),
        removed=len(removed),
        changed=len(changed),
    )
    for start in range(0, len(entries), ENTRY_BATCH):
        if progress is not None:
            progress(stage="writing", done=start, total=len(entries))
        ListEntry.objects.bulk_create(ListEntry(version=version, **e) for e in entries[start : start + ENTRY_BATCH])
    audit_record(
        actor=actor,
        verb="list.imported",
        target=version,
        before={"version": previous.number, "entries": len(before)} if previous else None,
        after={
            "version": version.number,
            "entries": len(entries),
            "added": len(added),
            "removed": len(removed),
            "changed": len(changed),
            "files": version.source_files,
            "effective_from": effective_from.isoformat(),
        },
        message=f"{list_key}: {len(added)} added, {len(removed)} removed, {len(changed)} changed",
    )
    if added or changed:
        version_id = version.pk
        transaction.on_commit(lambda: _enqueue_delta(version_id), robust=True)
    if added or changed or removed:
        # Issued permits too: those whose parties the added, changed or removed entries match are checked again.
        from rechecks.services import recheck_after_list_import

        recheck_after_list_import(version=version)
    return ImportSummary(version=version, entries=len(entries), added=added, removed=removed, changed=changed)


def _enqueue_delta(version_id: int) -> None:
    from .tasks import rescreen_list_delta

    rescreen_list_delta.delay(version_id)


__all__ = ["ImportSummary", "ListFileError", "ListImportRefused", "list_import"]


# --- Potential matches and dispositions ------------------------------------------------------------------------

OPEN_CASE_EXCLUDED = ("draft", "withdrawn", "closed", "refused")


def potential_matches_raise(*, case, determination: dict, origin: str = "screening") -> list:
    """Record the determination's party matches as work for reviewers, once per party, entry and entry content."""
    from .models import PotentialMatch

    if not determination.get("party_matches"):
        return []
    from datetime import date as _date

    from .screening import lists_in_force

    versions = {
        v.restricted_list.key: v for v in lists_in_force(on=_date.fromisoformat(determination["decisive_date"]))
    }
    parties = list(case.parties.all())
    raised = []
    for m in determination["party_matches"]:
        version = versions.get(m["list"])
        if version is None:
            continue
        match, created = PotentialMatch.objects.get_or_create(
            case=case,
            party_index=m["party"],
            via_owner=m.get("via_owner") or "",
            restricted_list=version.restricted_list,
            entry_id=m["entry"],
            entry_hash=(m.get("details") or {}).get("content_hash", ""),
            defaults={
                "party_name": parties[m["party"]].name if m["party"] < len(parties) else "",
                "list_version": version,
                "entry_name": m.get("entry_name", ""),
                "score": m["score"],
                "band": m.get("status", "hit"),
                "explanation": m.get("explanation") or {},
                "origin": origin,
            },
        )
        if created:
            raised.append(match)
    if raised:
        audit_record(
            actor=None,
            verb="case.party_matches_raised",
            target=case,
            case=case,
            organisation=case.organisation,
            after={
                "origin": origin,
                "matches": [
                    {"party": m.party_name, "list": m.restricted_list.key, "entry": m.entry_id, "score": str(m.score)}
                    for m in raised
                ],
            },
        )
    return raised


class DispositionRefused(Exception):
    pass


@transaction.atomic
def potential_match_dispose(*, match, actor: User, decision: str, reason: str):
    """A reviewer decides a potential match: true match or false positive, with a reason. The decision is
    remembered against the party and the entry's content, so the same hit is not raised again until the entry
    changes."""
    from screening.engine.names import name_key

    from .models import Decision, Disposition, PotentialMatch

    if not actor.has_role(Role.REVIEWER, Role.SENIOR_REVIEWER):
        raise DispositionRefused(_("Only reviewers may dispose of potential matches."))
    if decision not in Decision.values:
        raise DispositionRefused(f"Decision must be one of: {', '.join(Decision.values)}.")
    if not (reason or "").strip():
        raise DispositionRefused(_("Give the reason for the decision."))
    case = match.case
    party = case.parties.all()[match.party_index] if match.party_index < case.parties.count() else None
    name = match.via_owner or match.party_name
    owner_country = ""
    if party is not None and match.via_owner:
        owner = next((o for o in party.owners.all() if o.name == match.via_owner), None)
        owner_country = owner.country.code if owner and owner.country else ""
    country = owner_country if match.via_owner else (party.country.code if party is not None else "")
    disposition = Disposition.objects.create(
        party_key=name_key(name),
        party_country=country,
        party_name=name,
        restricted_list=match.restricted_list,
        entry_id=match.entry_id,
        entry_hash=match.entry_hash,
        decision=decision,
        reason=reason.strip(),
        decided_by=actor,
        case=case,
    )
    updated = PotentialMatch.objects.filter(pk=match.pk, status=PotentialMatch.Status.OPEN).update(
        status=PotentialMatch.Status.DISPOSED, disposition=disposition
    )
    if updated != 1:
        raise DispositionRefused(_("Someone else disposed of this match a moment ago."))
    audit_record(
        actor=actor,
        verb="party_match.disposed",
        target=disposition,
        case=case,
        organisation=case.organisation,
        after={
            "party": name,
            "list": match.restricted_list.key,
            "entry": match.entry_id,
            "entry_hash": match.entry_hash,
            "decision": decision,
            "reason": reason.strip(),
        },
    )
    return disposition


def _instruments_in_force():
    """The rule set whose instruments list entries name (for suspension checks); an empty one before any is
    published."""
    from types import SimpleNamespace

    from screening.selectors import NoRuleSet, compiled_rule_set, rule_set_in_force

    try:
        return compiled_rule_set(rule_set_in_force())
    except NoRuleSet:
        return SimpleNamespace(instruments={})


def list_delta_rescreen(*, version_id: int) -> list:
    """After a list import: screen only the entries added or changed by this version against the parties (and
    declared owners) of open cases whose decisive date this version covers, and raise new potential matches."""
    from django.db.models import Q

    from cases.models import Case
    from cases.selectors import with_facts

    from .models import ListEntry as StoredEntry
    from .models import ListVersion
    from .screening import ENTRY_FIELDS, load_list, make_matcher, stored_dispositions

    version = ListVersion.objects.select_related("restricted_list").get(pk=version_id)
    restricted = version.restricted_list
    previous = (
        ListVersion.objects.filter(restricted_list=restricted, number__lt=version.number).order_by("-number").first()
    )
    before = (
        dict(StoredEntry.objects.filter(version=previous).values_list("entry_id", "content_hash")) if previous else {}
    )
    delta = [
        r
        for r in StoredEntry.objects.filter(version=version).values(*ENTRY_FIELDS)
        if before.get(r["entry_id"]) != r["content_hash"]
    ]
    cases = with_facts(
        Case.objects.exclude(status__in=OPEN_CASE_EXCLUDED).filter(
            Q(decisive_date__gte=version.effective_from) | Q(decisive_date__isnull=True)
        )
    )
    if not delta or not cases.exists():
        return []
    loaded = load_list(
        key=restricted.key,
        name=restricted.name,
        records=delta,
        match_threshold=restricted.match_threshold,
        review_threshold=restricted.review_threshold,
        version_id=version.pk,
    )
    # The same matcher screening uses: thresholds, review band and dispositions are decided in one place.
    matcher = make_matcher([loaded], _instruments_in_force(), stored_dispositions())

    from .models import PotentialMatch

    raised = []
    for case in cases:
        for index, party in enumerate(case.parties.all()):
            queries = [(party.name, party.country.code, "")]
            queries += [(o.name, o.country.code if o.country else "", o.name) for o in party.owners.all()]
            for name, country, via_owner in queries:
                for m in matcher(name, country):
                    match, created = PotentialMatch.objects.get_or_create(
                        case=case,
                        party_index=index,
                        via_owner=via_owner,
                        restricted_list=restricted,
                        entry_id=m.entry.entry_id,
                        entry_hash=m.entry.details["content_hash"],
                        defaults={
                            "party_name": party.name,
                            "list_version": version,
                            "entry_name": m.entry.name,
                            "score": m.score,
                            "band": "review" if m.review else "hit",
                            "explanation": m.explanation or {},
                            "origin": PotentialMatch.Origin.LIST_UPDATE,
                        },
                    )
                    if created:
                        raised.append(match)
                        audit_record(
                            actor=None,
                            verb="case.party_match_raised",
                            target=match,
                            case=case,
                            organisation=case.organisation,
                            after={
                                "party": name,
                                "list": restricted.key,
                                "entry": m.entry.entry_id,
                                "score": str(match.score),
                                "origin": "list_update",
                                "list_version": version.number,
                            },
                        )
    return raised
