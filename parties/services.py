"""Importing restricted-party list versions: all or nothing, with a summary against the previous version."""

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from audit.services import audit_record

from .importers import PARSERS, ListFileError
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
) -> ImportSummary:
    """Parse the files, then write a new current version in one transaction. A file that fails to parse raises
    ListFileError before anything is written; the previous version stays in force."""
    import re

    if actor is not None and not actor.has_role(Role.RULE_ADMIN):
        raise ListImportRefused("Only rule admins may import restricted-party lists.")
    if not re.match(LIST_KEY_PATTERN, list_key):
        raise ListImportRefused(f"List name {list_key!r}: use capitals, digits, '-' and '_' (e.g. US-CSL).")
    if fmt not in PARSERS:
        raise ListImportRefused(f"Unknown format {fmt!r}; known: {', '.join(PARSERS)}.")
    entries = PARSERS[fmt](paths)  # raises ListFileError
    return _write_version(
        list_key=list_key,
        fmt=fmt,
        paths=paths,
        entries=entries,
        actor=actor,
        name=name,
        jurisdiction=jurisdiction,
        effective_from=effective_from or timezone.localdate(),
    )


@transaction.atomic
def _write_version(*, list_key, fmt, paths, entries, actor, name, jurisdiction, effective_from) -> ImportSummary:
    import hashlib

    restricted, created = RestrictedList.objects.select_for_update().get_or_create(
        key=list_key, defaults={"name": name or list_key, "format": fmt, "jurisdiction": jurisdiction}
    )
    if not created and restricted.format != fmt:
        raise ListImportRefused(f"{list_key} is imported as {restricted.format}, not {fmt}.")
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
            raise ListImportRefused(f"{list_key} changed during the import; try again.")
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
    ListEntry.objects.bulk_create((ListEntry(version=version, **e) for e in entries), batch_size=2000)
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
    return ImportSummary(version=version, entries=len(entries), added=added, removed=removed, changed=changed)


__all__ = ["ImportSummary", "ListFileError", "ListImportRefused", "list_import"]
