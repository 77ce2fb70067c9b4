"""Writes to rule sets: import a pack as a draft, start a draft from a published version, edit a draft's rows,
publish. Every action checks, writes in one transaction and records the audit event."""

import hashlib
import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User
from accounts.roles import Role
from audit.services import audit_in_one_insert, audit_record
from config.compiled_writes import insert_rows

from .models import Rule, RuleSetVersion, Screening
from .packs import export_pack, rule_fields_from_pack, rule_to_pack, write_pack_rows
from .rulepack import validate_pack


class RulePackInvalid(Exception):
    def __init__(self, errors: dict[str, list[str]]):
        self.errors = errors
        super().__init__("; ".join(f"{path}: {', '.join(msgs)}" for path, msgs in list(errors.items())[:10]))


class VersionNotDraft(Exception):
    pass


def _require_rule_admin(actor: User | None) -> None:
    # None is the system itself (seeding from the command line); people need the rule-admin role.
    if actor is not None and not actor.has_role(Role.RULE_ADMIN):
        raise PermissionDenied("Only rule admins may change rule sets.")


LABEL_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _unique_label(label: str) -> str:
    # Labels appear in URLs and on the command line: letters, digits, dot, dash and underscore only.
    if not LABEL_PATTERN.match(label or ""):
        raise RulePackInvalid({"version.label": ["use letters, digits, '.', '-' and '_' only (at most 64)"]})
    if not RuleSetVersion.objects.filter(label=label).exists():
        return label
    n = 2
    while RuleSetVersion.objects.filter(label=f"{label}-{n}").exists():
        n += 1
    return f"{label}-{n}"


@transaction.atomic
def rule_set_import(
    *,
    pack: Any,
    actor: User | None,
    label: str | None = None,
    notes: str | None = None,
    progress: Callable[..., None] | None = None,
) -> RuleSetVersion:
    """A new draft holding the pack. A pack that fails validation raises RulePackInvalid and writes nothing.
    `progress` is told the rows written as they are (see packs.write_pack_rows)."""
    _require_rule_admin(actor)
    errors = validate_pack(pack)
    if errors:
        raise RulePackInvalid(errors)
    version = RuleSetVersion.objects.create(
        label=_unique_label(label or pack["version"]["label"]),
        notes=pack["version"].get("notes", "") if notes is None else notes,
        created_by=actor,
    )
    write_pack_rows(version, pack, progress=progress)
    audit_record(
        actor=actor,
        verb="ruleset.imported",
        target=version,
        after={"label": version.label, "rules": len(pack["rules"]), "instruments": len(pack["instruments"])},
    )
    return version


@transaction.atomic
def rule_set_create_draft(*, base: RuleSetVersion, label: str, actor: User | None) -> RuleSetVersion:
    """A draft that starts as a copy of `base`, to be edited and published as a new version."""
    _require_rule_admin(actor)
    pack = export_pack(base)
    version = RuleSetVersion.objects.create(
        label=_unique_label(label), notes="", based_on=base, created_by=actor, effective_from=None
    )
    write_pack_rows(version, pack)
    audit_record(actor=actor, verb="ruleset.draft_created", target=version, after={"based_on": base.label})
    return version


def rule_set_validate(*, version: RuleSetVersion) -> dict[str, list[str]]:
    return validate_pack(export_pack(version))


@transaction.atomic
def rule_set_publish(
    *, version: RuleSetVersion, actor: User | None, effective_from: date | None = None
) -> RuleSetVersion:
    """Publish a valid draft. From then on it never changes. Of two admins publishing at once, one wins."""
    _require_rule_admin(actor)
    errors = rule_set_validate(version=version)
    if errors:
        raise RulePackInvalid(errors)
    now = timezone.now()
    updated = RuleSetVersion.objects.filter(
        pk=version.pk, status=RuleSetVersion.Status.DRAFT, revision=version.revision
    ).update(
        status=RuleSetVersion.Status.PUBLISHED,
        published_at=now,
        published_by=actor,
        effective_from=effective_from or version.effective_from,
    )
    if updated != 1:
        raise VersionNotDraft(f"{version.label} is already published or was changed while you looked at it.")
    version.refresh_from_db()
    audit_record(
        actor=actor,
        verb="ruleset.published",
        target=version,
        after={
            "label": version.label,
            "published_at": now.isoformat(),
            "effective_from": version.effective_from.isoformat() if version.effective_from else None,
        },
    )
    # Permits in force are checked again under the new version (an incremental run, started once this commits).
    from rechecks.services import recheck_after_publish

    recheck_after_publish(version=version, actor=actor)
    return version


def _touch(version: RuleSetVersion) -> None:
    updated = RuleSetVersion.objects.filter(pk=version.pk, status=RuleSetVersion.Status.DRAFT).update(
        revision=F("revision") + 1
    )
    if updated != 1:
        raise VersionNotDraft(f"{version.label} is published: edit a new draft instead.")
    version.refresh_from_db(fields=["revision"])


@transaction.atomic
def rule_save(*, version: RuleSetVersion, actor: User | None, data: dict, code: str | None = None) -> Rule:
    """Create a rule in a draft, or change the rule `code`. `data` uses the rule pack's keys; the rule is
    checked against the pack schema for its type before it is written."""
    _require_rule_admin(actor)
    if not version.is_draft:
        raise VersionNotDraft(f"{version.label} is published: edit a new draft instead.")
    from .contract import validate as validate_document

    probe = {
        "format": "licensa-rule-pack/1",
        "version": {"label": "probe"},
        "jurisdictions": [{"code": "XX", "name": "probe", "home": ["XX"]}],
        "instruments": [
            {"key": "probe", "jurisdiction": "XX", "kind": "law", "citation": "probe", "verification": "text"}
        ],
        "rules": [data],
    }
    errors = {k.replace("rules[0]", "rule", 1): v for k, v in validate_document("rule-pack", probe).items()}
    if errors:
        raise RulePackInvalid(errors)
    fields = rule_fields_from_pack(data)
    existing = Rule.objects.filter(version=version, code=code).first() if code else None
    if existing is None and Rule.objects.filter(version=version, code=fields["code"]).exists():
        raise RulePackInvalid({"rule.code": [f"a rule '{fields['code']}' exists in this draft"]})
    before = rule_to_pack(existing) if existing else None
    rule = existing or Rule(version=version)
    for name, value in fields.items():
        setattr(rule, name, value)
    rule.save()
    rule.refresh_from_db()
    _touch(version)
    audit_record(
        actor=actor,
        verb="rule.changed" if existing else "rule.created",
        target=rule,
        before=before,
        after=rule_to_pack(rule),
        message=f"in draft {version.label}",
    )
    return rule


@transaction.atomic
def rule_delete(*, version: RuleSetVersion, actor: User | None, code: str) -> None:
    _require_rule_admin(actor)
    rule = Rule.objects.get(version=version, code=code)
    before = rule_to_pack(rule)
    rule.delete()  # refuses in a published version
    _touch(version)
    audit_record(actor=actor, verb="rule.deleted", target=version, before=before, message=f"rule {code}")


# --- Screening cases -------------------------------------------------------------------------------------------


@transaction.atomic
def case_screen(*, case_id: int, trigger: str = "submission") -> Screening:
    """Screen a submitted case with the rule set in force and store the determination.

    Idempotent: screening the same facts under the same version again returns the stored screening."""
    from cases.casedoc import case_document
    from cases.selectors import case_lock_for_screening
    from cases.vocab import CaseStatus
    from cases.workflow import case_transition

    from .interface import case_document_errors, screen
    from .selectors import offering_stored_screening, rule_set_in_force

    case = case_lock_for_screening(case_id=case_id)
    version = rule_set_in_force()
    document = case_document(case)
    digest = hashlib.sha256(json.dumps(document, sort_keys=True, default=str).encode()).hexdigest()
    # A submission's screening is stored only here, and only with the case's move from submitted to screened in
    # the same transaction (the case never returns to submitted): a case still submitted has none to look for.
    if trigger != "submission" or case.status != CaseStatus.SUBMITTED:
        existing = Screening.objects.filter(case=case, version=version, facts_digest=digest, trigger=trigger).first()
        if existing is not None:
            return existing
    if trigger == "submission" and case.status != CaseStatus.SUBMITTED:
        # A submission's task delivered late (a worker started after the case was screened, or decided): the
        # submission was screened already, perhaps under an older version, and that screening is the one the
        # decision rests on. Screening it again under today's version would rewrite what the case page shows.
        earlier = Screening.objects.filter(case=case, trigger=trigger).order_by("-created_at", "-id").first()
        if earlier is not None:
            return earlier
    errors = case_document_errors(document)
    if errors:
        # A submitted case passed the completeness check; a document that still fails is a bug to see, not hide.
        raise ValueError(f"{case.reference} does not make a valid case document: {errors}")
    determination = screen(document, version=version)
    # The events of the screening (stored, the status change, the routing) go in as one INSERT.
    with audit_in_one_insert():
        screening = Screening(
            case=case,
            version=version,
            trigger=trigger,
            decisive_date=case.decisive_date,
            outcome=determination["outcome"],
            determination=determination,
            facts_digest=digest,
        )
        # Nothing listens for a screening's save: the insert with its SQL built once (config/compiled_writes.py).
        insert_rows([screening])
        # Party matches become work for reviewers, once per party, entry and entry content.
        from parties.services import potential_matches_raise

        potential_matches_raise(case=case, determination=determination)
        audit_record(
            actor=None,
            verb="case.screened",
            target=screening,
            case=case,
            organisation=case.organisation,
            after={
                "outcome": screening.outcome,
                "rule_set": version.label,
                "reasons": [r["rule"] for r in determination["reasons"]],
            },
        )
        if case.status == CaseStatus.SUBMITTED:
            # This function's transaction holds the transition and lets its failures out: no savepoint needed. The
            # routing it sets off takes the screening stored above rather than read it back.
            with offering_stored_screening(screening):
                case_transition(
                    case=case, action="screen", actor=None, message=f"Screened under {version.label}", savepoint=False
                )
    return screening


def rule_set_dry_run(*, draft: RuleSetVersion, base: RuleSetVersion | None = None, limit: int = 500) -> dict:
    """Before publishing: which recent cases would get a different outcome under `draft` than under `base`
    (the version in force). Reads only; screens each case's facts on its own decisive date with both."""
    from cases.casedoc import case_document
    from cases.models import Case
    from cases.selectors import with_facts
    from cases.vocab import CaseStatus

    from .engine import screen_document
    from .engine.compare import compare_determinations
    from .selectors import compiled_rule_set, rule_set_in_force

    base = base or rule_set_in_force()
    old_rules, new_rules = compiled_rule_set(base), compiled_rule_set(draft)
    cases = with_facts(
        Case.objects.exclude(status__in=[CaseStatus.DRAFT, CaseStatus.WITHDRAWN])
        .filter(decisive_date__isnull=False)
        .order_by("-submitted_at", "-id")
    )[:limit]
    from parties.screening import party_matcher

    matchers: dict = {}

    def compare(case) -> dict | None:
        # Parties too, against the lists in force on the case's decisive date, with a matcher per rule set.
        document = case_document(case)
        on = case.decisive_date
        if on not in matchers:
            matchers[on] = (party_matcher(on=on, rule_set=old_rules), party_matcher(on=on, rule_set=new_rules))
        old_matcher, new_matcher = matchers[on]
        return compare_determinations(
            screen_document(document, old_rules, matcher=old_matcher),
            screen_document(document, new_rules, matcher=new_matcher),
        )

    changes = []
    examined = 0
    for case in cases:
        examined += 1
        change = compare(case)
        if change:
            changes.append({"case": case.reference, "case_id": case.pk, **change})

    # Permits in force (issued or suspended): the facts of the case each was decided on, screened with both.
    from permits.models import Permit, PermitStatus

    permits = Permit.objects.filter(status__in=[PermitStatus.ISSUED, PermitStatus.SUSPENDED]).select_related("case")
    permits = list(permits.order_by("-id")[:limit])
    permit_cases = {c.pk: c for c in with_facts(Case.objects.filter(pk__in=[p.case_id for p in permits]))}
    permit_changes = []
    for permit in permits:
        change = compare(permit_cases[permit.case_id])
        if change:
            permit_changes.append({"permit": permit.number, "case": permit.case.reference, **change})
    return {
        "base": base.label,
        "draft": draft.label,
        "draft_revision": draft.revision,
        "cases_examined": examined,
        "cases_changed": changes,
        "permits_examined": len(permits),
        "permits_changed": permit_changes,
    }


def row_key(section: str, row: dict) -> str:
    from .rulepack import SECTION_KEYS

    return "/".join(str(row.get(f)) for f in SECTION_KEYS[section])


@transaction.atomic
def rule_set_row_save(
    *, version: RuleSetVersion, actor: User | None, section: str, row: dict, key: str | None = None
) -> dict:
    """Create a row of any section of a draft (key None) or replace the row `key`, in rule-pack form.

    The whole draft is validated with the change in place; the change is refused if it brings any problem
    the draft did not have before (errors about the row itself are keyed "row.<field>")."""
    from .packs import rewrite_section
    from .rulepack import SECTION_KEYS

    _require_rule_admin(actor)
    if section not in SECTION_KEYS:
        raise RulePackInvalid({"section": [f"unknown section '{section}'"]})
    locked = RuleSetVersion.objects.select_for_update().get(pk=version.pk)
    if not locked.is_draft:
        raise VersionNotDraft(f"{version.label} is published: edit a new draft instead.")
    pack = export_pack(locked)
    rows = pack.setdefault(section, [])
    index = next((i for i, r in enumerate(rows) if row_key(section, r) == key), None) if key else None
    if key and index is None:
        raise RulePackInvalid({"row": [f"no {section} row '{key}' in {version.label}"]})
    before_row = rows[index] if index is not None else None
    errors_before = validate_pack(pack)
    if index is None:
        rows.append(row)
        index = len(rows) - 1
    else:
        rows[index] = row
    errors_after = validate_pack(pack)
    prefix = f"{section}[{index}]"
    new_errors = {
        ("row" + path[len(prefix) :] if path.startswith(prefix) else path): messages
        for path, messages in errors_after.items()
        if path.startswith(prefix) or errors_before.get(path) != messages
    }
    if new_errors:
        raise RulePackInvalid(new_errors)
    rewrite_section(locked, section, rows)
    _touch(locked)
    version.refresh_from_db()
    audit_record(
        actor=actor,
        verb=f"ruleset.{section}.{'changed' if before_row else 'created'}",
        target=locked,
        before=before_row,
        after=row,
        message=f"{section} {row_key(section, row)} in draft {locked.label}",
    )
    return row


@transaction.atomic
def rule_set_row_delete(*, version: RuleSetVersion, actor: User | None, section: str, key: str) -> None:
    """Remove a row from a draft. References to it are reported when the draft is validated or published."""
    from .packs import rewrite_section

    _require_rule_admin(actor)
    locked = RuleSetVersion.objects.select_for_update().get(pk=version.pk)
    if not locked.is_draft:
        raise VersionNotDraft(f"{version.label} is published: edit a new draft instead.")
    pack = export_pack(locked)
    rows = pack.get(section, [])
    remaining = [r for r in rows if row_key(section, r) != key]
    if len(remaining) == len(rows):
        raise RulePackInvalid({"row": [f"no {section} row '{key}' in {version.label}"]})
    removed = next(r for r in rows if row_key(section, r) == key)
    rewrite_section(locked, section, remaining)
    _touch(locked)
    version.refresh_from_db()
    audit_record(
        actor=actor,
        verb=f"ruleset.{section}.deleted",
        target=locked,
        before=removed,
        message=f"{section} {key} in draft {locked.label}",
    )
