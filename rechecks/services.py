"""Re-checking issued permits when rules or lists change: create a run, select the permits it must look at, split
them into chunks for the workers, evaluate each chunk in bulk, and triage what changed.

Every step is idempotent, so a redelivered task or a resumed run changes nothing twice: chunks are unique per
run and index, findings per run and permit, and the counters move only with the conditional UPDATE that marks a
chunk done. See docs/rechecks.md."""

import json
from collections.abc import Iterable
from datetime import date, timedelta
from threading import Lock
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from audit.services import audit_record
from permits.models import Permit, PermitStatus

from .casefacts import case_documents, rows_for_ids
from .facets import FULL, permit_facets, split_party_value, touched_facets, window_edges, window_reach
from .models import Finding, PermitFacet, RecheckChunk, RecheckRun, Trigger

IN_FORCE = (PermitStatus.ISSUED, PermitStatus.SUSPENDED)
CHUNK_SIZE = 500
TRIAGE_ROLES = (Role.REVIEWER, Role.SENIOR_REVIEWER)


class RecheckRefused(Exception):
    pass


class FindingAlreadyTriaged(Exception):
    """Someone else triaged the finding a moment ago; nothing was written."""


def _require(actor: Any, roles: Iterable[Role], what: str) -> None:
    if not getattr(actor, "is_authenticated", False) or not actor.has_role(*roles):
        raise PermissionDenied(what)


# --- The permit-facts index ---------------------------------------------------------------------------------------


def facets_backfill(*, batch: int = 500) -> int:
    """Index the facts of every permit in force that has none yet, and return how many were indexed.

    Permits are indexed after their issue commits (`facets_index`, queued by a post-save signal); this catches
    any the queue missed (a broker that was down, permits issued before this app), at the start of every run."""
    missing = list(
        Permit.objects.filter(status__in=IN_FORCE)
        .filter(~Exists(PermitFacet.objects.filter(permit=OuterRef("pk"))))
        .values_list("pk", "case_id")
    )
    for start in range(0, len(missing), batch):
        _index(missing[start : start + batch])
    return len(missing)


def facets_index(*, permit_ids: list[int]) -> int:
    """Index the given permits' facts (those not indexed yet). Idempotent: the rows are unique."""
    pairs = list(
        Permit.objects.filter(pk__in=permit_ids)
        .filter(~Exists(PermitFacet.objects.filter(permit=OuterRef("pk"))))
        .values_list("pk", "case_id")
    )
    _index(pairs)
    return len(pairs)


def _index(pairs: list[tuple[int, int]]) -> None:
    documents = case_documents(case_id for _, case_id in pairs)
    rows = [
        PermitFacet(permit_id=permit_id, kind=kind, value=value)
        for permit_id, case_id in pairs
        for kind, value in sorted(permit_facets(documents[case_id]))
    ]
    PermitFacet.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)


def _scoped(qs, scope: dict):
    if scope.get("organisations"):
        qs = qs.filter(organisation_id__in=scope["organisations"])
    if scope.get("countries"):
        qs = qs.filter(destination_country__in=scope["countries"])
    if scope.get("control_codes"):
        codes = Q()
        for code in scope["control_codes"]:
            codes |= Q(kind="control_code", value__startswith=code.replace(" ", "").upper())
        qs = qs.filter(Exists(PermitFacet.objects.filter(codes, permit=OuterRef("pk"))))
    return qs


def _facet_filter(facets) -> Q:
    q = Q(pk__in=[])
    for kind, value, prefix in sorted(facets):
        q |= Q(kind=kind, value__startswith=value) if prefix else Q(kind=kind, value=value)
    return q


def select_permits(*, run: RecheckRun) -> list[int]:
    """The ids of the permits in force that the run must evaluate (see docs/rechecks.md, "Selection"): those still
    valid on the run's decisive date. A change that takes effect after a permit's validity has ended cannot change
    what it allows, even while its status still says issued (expiry runs by the calendar); one valid from a later
    day is evaluated, since the change holds from its date on."""
    facets_backfill()
    in_force = Permit.objects.filter(status__in=IN_FORCE, valid_to__gte=run.decisive_date)
    qs = _scoped(in_force, run.scope)
    if run.trigger == Trigger.LIST_VERSION_IMPORTED:
        values = _list_delta_party_values(run)
        selected = PermitFacet.objects.filter(kind="party", value__in=values).values("permit_id")
        qs = qs.filter(pk__in=selected)
    elif run.scope.get("incremental"):
        facets = run.scope.get("facets")
        if facets is not None:
            selected = PermitFacet.objects.filter(_facet_filter(tuple(f) for f in facets)).values("permit_id")
            qs = qs.filter(pk__in=selected)
    return list(qs.order_by("pk").values_list("pk", flat=True))


def _list_delta_party_values(run: RecheckRun) -> list[str]:
    """Party facets that the list version's added or changed entries match, or that the entries it changed or
    removed matched as they were before (a delisting is a looser finding). Matched with the screening matcher
    (thresholds, review band, and dispositions: a false positive stays out until its entry's content changes)."""
    from parties.models import ListEntry, ListVersion
    from parties.screening import ENTRY_FIELDS, load_list, make_matcher, stored_dispositions
    from screening.selectors import compiled_rule_set

    version = run.list_version
    restricted = version.restricted_list
    previous = (
        ListVersion.objects.filter(restricted_list=restricted, number__lt=version.number).order_by("-number").first()
    )
    before = (
        dict(ListEntry.objects.filter(version=previous).values_list("entry_id", "content_hash")) if previous else {}
    )
    now = {r["entry_id"]: r for r in ListEntry.objects.filter(version=version).values(*ENTRY_FIELDS)}
    added_or_changed = [r for entry_id, r in now.items() if before.get(entry_id) != r["content_hash"]]
    gone = [e for e, h in before.items() if e not in now or now[e]["content_hash"] != h]
    as_before = (
        list(ListEntry.objects.filter(version=previous, entry_id__in=gone).values(*ENTRY_FIELDS)) if gone else []
    )
    loaded = [
        load_list(
            key=restricted.key,
            name=restricted.name,
            records=records,
            match_threshold=restricted.match_threshold,
            review_threshold=restricted.review_threshold,
            version_id=version_id,
        )
        for records, version_id in ((added_or_changed, version.pk), (as_before, previous.pk if previous else None))
        if records
    ]
    if not loaded:
        return []
    matcher = make_matcher(loaded, compiled_rule_set(run.new_version), stored_dispositions())
    in_force = PermitFacet.objects.filter(kind="party", permit__status__in=IN_FORCE)
    values = []
    for value in in_force.values_list("value", flat=True).distinct().iterator(chunk_size=5000):
        country, name = split_party_value(value)
        if any(not m.review for m in matcher(name, country)):
            values.append(value)
    return values


# --- Runs --------------------------------------------------------------------------------------------------------


def _chunk_size() -> int:
    return int(getattr(settings, "RECHECK_CHUNK_SIZE", CHUNK_SIZE))


@transaction.atomic
def recheck_run_create(
    *,
    trigger: str,
    new_version,
    decisive_date: date,
    actor: User | None,
    old_version=None,
    list_version=None,
    baseline_date: date | None = None,
    scope: dict | None = None,
) -> RecheckRun:
    """Record a run and start it once the transaction commits. People (rule admins) start manual runs; the
    system starts the others (actor None)."""
    if actor is not None:
        _require(actor, (Role.RULE_ADMIN,), "Only rule admins start re-checks.")
    scope = dict(scope or {})
    scope.setdefault("incremental", trigger != Trigger.MANUAL)
    scope.setdefault("chunk_size", _chunk_size())
    if scope["incremental"] and trigger == Trigger.RULE_SET_PUBLISHED and old_version is not None:
        from screening.packs import export_pack

        facets = touched_facets(export_pack(old_version), export_pack(new_version))
        scope["facets"] = None if facets is FULL else sorted(list(f) for f in facets)
    run = RecheckRun.objects.create(
        trigger=trigger,
        old_version=old_version,
        new_version=new_version,
        list_version=list_version,
        decisive_date=decisive_date,
        baseline_date=baseline_date or decisive_date,
        scope=scope,
        created_by=actor,
    )
    audit_record(
        actor=actor,
        verb="recheck.created",
        target=run,
        after={
            "trigger": trigger,
            "old_version": old_version.label if old_version else None,
            "new_version": new_version.label,
            "list_version": str(list_version) if list_version else None,
            "decisive_date": decisive_date.isoformat(),
            "scope": {k: v for k, v in scope.items() if k != "facets"},
        },
    )
    run_id = run.pk
    transaction.on_commit(lambda: _enqueue_start(run_id), robust=True)
    return run


def _enqueue_start(run_id: int) -> None:
    from .tasks import recheck_run_start

    recheck_run_start.delay(run_id)


def _enqueue_chunks(run_id: int, indexes: list[int]) -> None:
    from .tasks import recheck_chunk

    for index in indexes:
        recheck_chunk.delay(run_id, index)


def recheck_run_start(*, run_id: int) -> RecheckRun:
    """Select the permits, write the chunks and queue them. A second start of the same run does nothing."""
    run = RecheckRun.objects.select_related("list_version__restricted_list", "new_version").get(pk=run_id)
    if run.status != RecheckRun.Status.PENDING:
        return run
    try:
        ids = select_permits(run=run)
    except (OperationalError, InterfaceError):
        raise  # transient: the task retries
    except Exception as error:
        # Anything else is a bug to see: the run says it failed (and why) instead of staying pending for ever.
        with transaction.atomic():
            if RecheckRun.objects.filter(pk=run.pk, status=RecheckRun.Status.PENDING).update(
                status=RecheckRun.Status.FAILED, finished_at=timezone.now()
            ):
                audit_record(
                    actor=None,
                    verb="recheck.failed",
                    target=run,
                    after={"error": f"{type(error).__name__}: {error}"[:500]},
                )
        raise
    size = max(1, int(run.scope.get("chunk_size") or CHUNK_SIZE))
    parts = [ids[i : i + size] for i in range(0, len(ids), size)]
    with transaction.atomic():
        RecheckChunk.objects.bulk_create(
            [RecheckChunk(run=run, index=n, permit_ids=part) for n, part in enumerate(parts)], ignore_conflicts=True
        )
        now = timezone.now()
        updated = RecheckRun.objects.filter(pk=run.pk, status=RecheckRun.Status.PENDING).update(
            status=RecheckRun.Status.RUNNING, total=len(ids), chunk_count=len(parts), started_at=now
        )
        if updated != 1:
            return run
        if not parts:
            _finish(run.pk)
        else:
            transaction.on_commit(lambda: _enqueue_chunks(run.pk, list(range(len(parts)))), robust=True)
    run.refresh_from_db()
    return run


def recheck_run_resume(*, run: RecheckRun) -> list[int]:
    """Queue again every chunk of a running run that is not done (after a worker died holding some). Chunks that
    are in fact still being worked on are harmless to queue twice: the second pass finds them done."""
    if run.status == RecheckRun.Status.PENDING:
        _enqueue_start(run.pk)
        return []
    if run.status != RecheckRun.Status.RUNNING:
        return []
    indexes = list(
        RecheckChunk.objects.filter(run=run, status=RecheckChunk.Status.PENDING)
        .order_by("index")
        .values_list("index", flat=True)
    )
    if not indexes:
        with transaction.atomic():
            _finish(run.pk)
        return []
    _enqueue_chunks(run.pk, indexes)
    return indexes


def _finish(run_id: int) -> None:
    """Inside a transaction: mark the run done if no chunk is pending, with its completion in the audit trail.
    The caller holds the run's row lock (or is the start), so of two last chunks exactly one finishes the run."""
    if RecheckChunk.objects.filter(run_id=run_id, status=RecheckChunk.Status.PENDING).exists():
        return
    updated = RecheckRun.objects.filter(pk=run_id, status=RecheckRun.Status.RUNNING).update(
        status=RecheckRun.Status.DONE, finished_at=timezone.now()
    )
    if updated == 1:
        run = RecheckRun.objects.get(pk=run_id)
        audit_record(
            actor=None,
            verb="recheck.completed",
            target=run,
            after={"total": run.total, "done": run.done, "changed": run.changed, "failed": run.failed},
        )


# --- Evaluating a chunk -------------------------------------------------------------------------------------------

_CONTEXTS: dict[tuple, dict] = {}
_CONTEXTS_LOCK = Lock()


def _context(run: RecheckRun) -> dict:
    """The compiled rule sets and party matchers of a run, built once per process: a worker handles many chunks
    of one run, and the matchers remember the names they have answered."""
    key = (run.pk, run.created_at)
    with _CONTEXTS_LOCK:
        if key in _CONTEXTS:
            return _CONTEXTS[key]
    from parties.screening import lists_in_force, loaded_list, make_matcher, stored_dispositions
    from screening.selectors import compiled_rule_set

    new_rules = compiled_rule_set(run.new_version)
    old_rules = compiled_rule_set(run.old_version) if run.old_version_id else None
    dispositions = stored_dispositions()
    new_lists = [loaded_list(v) for v in lists_in_force(on=run.decisive_date)]
    old_lists = [loaded_list(v) for v in lists_in_force(on=run.baseline_date)]
    if run.list_version_id:
        # The old side sees the list as it stood before this version; everything else alike.
        from parties.models import ListVersion

        version = run.list_version
        previous = (
            ListVersion.objects.filter(restricted_list_id=version.restricted_list_id, number__lt=version.number)
            .select_related("restricted_list")
            .order_by("-number")
            .first()
        )
        old_lists = [lst for lst in old_lists if lst.key != version.restricted_list.key]
        if previous is not None:
            old_lists.append(loaded_list(previous))
    new_matcher = make_matcher(new_lists, new_rules, dispositions)
    # A matcher's answers depend on the list versions, the dispositions and the instruments the entries cite. When
    # both sides share them (a publication that leaves lists and instruments alone, a daily check), one matcher,
    # with its memory of the names it has answered, serves both: each party name is matched once per process
    # rather than twice, and matching new names is much of the cost of a chunk.
    same_lists = [lst.version_id for lst in old_lists] == [lst.version_id for lst in new_lists]
    if same_lists and (old_rules is None or old_rules.instruments == new_rules.instruments):
        old_matcher = new_matcher
    else:
        old_matcher = make_matcher(old_lists, old_rules or new_rules, dispositions)
    context = {"new_rules": new_rules, "old_rules": old_rules, "new_matcher": new_matcher, "old_matcher": old_matcher}
    with _CONTEXTS_LOCK:
        if len(_CONTEXTS) > 4:
            _CONTEXTS.clear()
        _CONTEXTS[key] = context
    return context


def _permit_rows(permit_ids: list[int], *, with_determination: bool) -> list[tuple[int, int, dict | None]]:
    """(permit, case, stored determination or None) for each permit, by id. Plain SQL with the ids as one
    parameter (see casefacts); the stored determination, a large JSON document, only when it is the old side."""
    if with_determination:
        sql = (
            "SELECT p.id, p.case_id, s.determination FROM permits_permit p "
            "JOIN screening_screening s ON s.id = p.screening_id WHERE {where} ORDER BY p.id"
        )
    else:
        sql = "SELECT p.id, p.case_id, NULL FROM permits_permit p WHERE {where} ORDER BY p.id"
    rows = rows_for_ids(sql, "p.id", list(permit_ids))
    # A JSON column read without the ORM is its text.
    return [(pk, case_id, json.loads(d) if isinstance(d, str) else d) for pk, case_id, d in rows]


def evaluate_permits(*, run: RecheckRun, permit_ids: list[int]) -> tuple[list[Finding], list[dict]]:
    """Findings for the permits whose determination differs between the run's old and new side, and the permits
    that could not be evaluated. A fixed number of queries, whatever the number of permits; no query inside the
    loop."""
    from screening.engine import evaluate, facts_from_document
    from screening.engine.compare import compare_determinations

    context = _context(run)
    old_rules, new_rules = context["old_rules"], context["new_rules"]
    rows = _permit_rows(permit_ids, with_determination=old_rules is None)
    documents = case_documents(case_id for _, case_id, _ in rows)
    # Facts are frozen values: when both sides are on one day (a publication, a list import) they read the same.
    one_day = run.baseline_date == run.decisive_date
    findings, failures = [], []
    for permit_id, case_id, determination in rows:
        try:
            document = documents[case_id]
            new_facts = facts_from_document(document, decisive_date=run.decisive_date)
            if old_rules is None:
                # No old version: compare with the determination the permit was issued on.
                old = determination
            else:
                old_facts = new_facts if one_day else facts_from_document(document, decisive_date=run.baseline_date)
                old = evaluate(old_facts, old_rules, matcher=context["old_matcher"])
            new = evaluate(new_facts, new_rules, matcher=context["new_matcher"])
            change = compare_determinations(old, new)
        except Exception as error:  # noqa: BLE001 — one bad permit must not stop the other 499; it is counted.
            failures.append({"permit": permit_id, "error": f"{type(error).__name__}: {error}"[:500]})
            continue
        if change is None:
            continue
        findings.append(
            Finding(
                run_id=run.pk,
                permit_id=permit_id,
                direction=change["direction"],
                old_outcome=change["old_outcome"],
                new_outcome=change["new_outcome"],
                newly_fired=change["newly_fired"],
                no_longer_fired=change["no_longer_fired"],
            )
        )
    return findings, failures


def recheck_chunk_process(*, run_id: int, index: int) -> int:
    """Evaluate one chunk and record its findings; returns the number of findings. Processing a chunk twice
    (a redelivered task, a resume while the first worker was still going) writes each finding once and moves the
    run's counters once."""
    chunk = RecheckChunk.objects.select_related("run__new_version", "run__old_version", "run__list_version").get(
        run_id=run_id, index=index
    )
    if chunk.status == RecheckChunk.Status.DONE:
        return 0
    RecheckChunk.objects.filter(pk=chunk.pk).update(attempts=F("attempts") + 1)
    findings, failures = evaluate_permits(run=chunk.run, permit_ids=list(chunk.permit_ids))
    return recheck_chunk_record(chunk=chunk, findings=findings, failures=failures)


@transaction.atomic
def recheck_chunk_record(*, chunk: RecheckChunk, findings: list[Finding], failures: list[dict]) -> int:
    """Write a chunk's findings and mark it done; the run's counters move only if this marked it. Returns the
    number of findings recorded (0 when another worker finished the chunk first: its counts stand)."""
    Finding.objects.bulk_create(findings, ignore_conflicts=True)
    marked = RecheckChunk.objects.filter(pk=chunk.pk, status=RecheckChunk.Status.PENDING).update(
        status=RecheckChunk.Status.DONE,
        changed=len(findings),
        failed=len(failures),
        errors=failures,
        finished_at=timezone.now(),
    )
    if marked != 1:
        return 0
    # The run's row lock serialises the chunks finishing at once, so exactly one sees none pending.
    RecheckRun.objects.select_for_update().filter(pk=chunk.run_id).update(
        done=F("done") + len(chunk.permit_ids),
        changed=F("changed") + len(findings),
        failed=F("failed") + len(failures),
    )
    _finish(chunk.run_id)
    return len(findings)


# --- What starts a run -------------------------------------------------------------------------------------------


def _permits_in_force_exist() -> bool:
    return Permit.objects.filter(status__in=IN_FORCE).exists()


def recheck_after_publish(*, version, actor: User | None, today: date | None = None) -> RecheckRun | None:
    """Inside rule_set_publish's transaction: an incremental run from the version published before to this one,
    evaluated on the new version's effective date (or the day of publication)."""
    from screening.models import RuleSetVersion

    if not _permits_in_force_exist():
        return None
    previous = (
        RuleSetVersion.objects.filter(status=RuleSetVersion.Status.PUBLISHED)
        .exclude(pk=version.pk)
        .order_by("-published_at", "-id")
        .first()
    )
    if previous is None:
        return None
    day = version.effective_from or today or timezone.localdate()
    return recheck_run_create(
        trigger=Trigger.RULE_SET_PUBLISHED,
        old_version=previous,
        new_version=version,
        decisive_date=day,
        actor=None,
    )


def recheck_after_list_import(*, version) -> RecheckRun | None:
    """Inside the list import's transaction: a run over the permits whose parties the added or changed entries
    match, on the list version's effective date, against the rule set in force on that date (not today's: a
    version published to take effect before then governs that day)."""
    from screening.selectors import NoRuleSet, rule_set_in_force

    if not _permits_in_force_exist():
        return None
    try:
        rules = rule_set_in_force(today=version.effective_from)
    except NoRuleSet:
        return None
    return recheck_run_create(
        trigger=Trigger.LIST_VERSION_IMPORTED,
        old_version=rules,
        new_version=rules,
        list_version=version,
        decisive_date=version.effective_from,
        actor=None,
    )


def recheck_daily_date_check(*, today: date) -> RecheckRun | None:
    """Daily: when a rule or a suspension starts or ends today with no new publication, re-check the permits
    those rules can reach, yesterday against today, under the version in force. Once per day and version."""
    from django.db import IntegrityError

    from screening.selectors import NoRuleSet, compiled_rule_set, rule_set_in_force

    try:
        version = rule_set_in_force(today=today)
    except NoRuleSet:
        return None
    rules = compiled_rule_set(version)
    codes = window_edges(rules, today)
    if not codes or not _permits_in_force_exist():
        return None
    reach = window_reach(rules, codes)
    existing = RecheckRun.objects.filter(
        trigger=Trigger.DAILY_DATE_CHECK, new_version=version, decisive_date=today
    ).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            return recheck_run_create(
                trigger=Trigger.DAILY_DATE_CHECK,
                old_version=version,
                new_version=version,
                decisive_date=today,
                baseline_date=today - timedelta(days=1),
                scope={
                    "incremental": True,
                    "rules": sorted(codes),
                    "facets": None if reach is FULL else sorted(list(f) for f in reach),
                },
                actor=None,
            )
    except IntegrityError:  # beat fired twice at once: the other made the run
        return RecheckRun.objects.filter(
            trigger=Trigger.DAILY_DATE_CHECK, new_version=version, decisive_date=today
        ).first()


def recheck_manual(
    *,
    actor: User,
    decisive_date: date,
    old_version=None,
    new_version=None,
    organisations: list[int] | None = None,
    control_codes: list[str] | None = None,
    countries: list[str] | None = None,
) -> RecheckRun:
    """A rule admin's full re-check of every permit in force, or of those of some holders, control codes or
    destinations. Without an old version each permit is compared with the determination it was issued on."""
    from screening.selectors import rule_set_in_force

    _require(actor, (Role.RULE_ADMIN,), "Only rule admins start re-checks.")
    new_version = new_version or rule_set_in_force(today=decisive_date)
    scope = {
        "incremental": False,
        "organisations": sorted(organisations or []),
        "control_codes": sorted(control_codes or []),
        "countries": sorted(countries or []),
    }
    return recheck_run_create(
        trigger=Trigger.MANUAL,
        old_version=old_version,
        new_version=new_version,
        decisive_date=decisive_date,
        scope=scope,
        actor=actor,
    )


# --- Triage --------------------------------------------------------------------------------------------------------

STRICTER_ACTIONS = ("keep", "suspend", "revoke", "reapply")
INFORMATIONAL_ACTIONS = ("noted",)
ACTION_STATUS = {
    "keep": Finding.Status.KEPT,
    "suspend": Finding.Status.SUSPENDED,
    "revoke": Finding.Status.REVOKED,
    "reapply": Finding.Status.REAPPLY,
    "noted": Finding.Status.NOTED,
}


def actions_for(finding: Finding) -> tuple[str, ...]:
    if finding.status != Finding.Status.OPEN:
        return ()
    return STRICTER_ACTIONS if finding.direction == Finding.Direction.STRICTER else INFORMATIONAL_ACTIONS


def _holder_officers(permit: Permit) -> list[User]:
    users = User.objects.filter(organisation_id=permit.organisation_id, is_active=True).exclude(email="")
    return [u for u in users if u.is_officer]


@transaction.atomic
def finding_triage(*, finding: Finding, actor: User, action: str, reason: str = "") -> Finding:
    """A reviewer decides a finding: keep the permit (with a reason), suspend or revoke it, or ask the holder to
    apply again (a new draft copied from the permit's case); a looser finding is only noted. Of two reviewers
    acting at once exactly one wins. The holder's officers are told by e-mail once it commits."""
    _require(actor, TRIAGE_ROLES, "Only reviewers triage re-check findings.")
    if action not in actions_for(finding):
        raise ValidationError({"action": [_("'%(action)s' is not open for this finding.") % {"action": action}]})
    reason = (reason or "").strip()
    if action != "noted" and not reason:
        raise ValidationError({"reason": [_("Give the reason for the decision.")]})
    updated = Finding.objects.filter(pk=finding.pk, status=Finding.Status.OPEN).update(
        status=ACTION_STATUS[action], triage_reason=reason, triaged_by=actor, triaged_at=timezone.now()
    )
    if updated != 1:
        raise FindingAlreadyTriaged(_("Someone else triaged this finding a moment ago."))
    permit = Permit.objects.select_related("case", "organisation").get(pk=finding.permit_id)
    new_case = None
    if action in ("suspend", "revoke"):
        from permits.workflow import permit_transition

        permit_transition(permit=permit, action=action, actor=actor, reason=f"Re-check {finding.run_id}: {reason}")
    elif action == "reapply":
        from cases.services import case_copy

        # The new draft belongs to the holder: it is made in the name of the officer who filed the permit's case
        # (or another officer of the holder), and the reviewer's request is in the trail beside it.
        officers = _holder_officers(permit) or [
            u for u in User.objects.filter(organisation_id=permit.organisation_id) if u.is_officer
        ]
        filer = next((u for u in officers if u.pk == permit.case.filed_by_id), officers[0] if officers else None)
        if filer is None:
            raise ValidationError({"action": [_("The holder has no officer to file a new case.")]})
        new_case = case_copy(case=permit.case, actor=filer)
        Finding.objects.filter(pk=finding.pk).update(new_case=new_case)
    finding.refresh_from_db()
    audit_record(
        actor=actor,
        verb=f"recheck.finding_{action}",
        target=finding,
        case=permit.case,
        organisation=permit.organisation,
        before={"status": Finding.Status.OPEN},
        after={
            "status": finding.status,
            "permit": permit.number,
            "direction": finding.direction,
            "new_case": new_case.reference if new_case else None,
        },
        message=reason,
    )
    recipients = [u.email for u in _holder_officers(permit)]
    if recipients:
        subject, body = _holder_message(finding, permit, action, reason, new_case)
        # robust: a mail server that is down is logged and never undoes a triage decision that was stored.
        transaction.on_commit(lambda: send_mail(subject, body, None, recipients), robust=True)
    return finding


def _holder_message(finding: Finding, permit: Permit, action: str, reason: str, new_case) -> tuple[str, str]:
    what = {
        "keep": _("Your permit stays in force."),
        "suspend": _("Your permit has been suspended."),
        "revoke": _("Your permit has been revoked."),
        "reapply": _("Please apply again: a new draft case %(ref)s has been prepared from your original case.")
        % {"ref": new_case.reference if new_case else ""},
        "noted": _("No action is needed from you."),
    }[action]
    rules = ", ".join(f"{r['rule']} ({r['citation']})" for r in finding.newly_fired) or "-"
    gone = ", ".join(f"{r['rule']} ({r['citation']})" for r in finding.no_longer_fired) or "-"
    subject = _("Permit %(number)s: re-checked under changed rules") % {"number": permit.number}
    body = "\n".join(
        [
            _("Permit %(number)s was checked again after a change in the rules or lists.") % {"number": permit.number},
            _("Outcome before: %(old)s. Outcome now: %(new)s.")
            % {"old": finding.old_outcome.replace("_", " "), "new": finding.new_outcome.replace("_", " ")},
            _("Rules that now apply: %(rules)s") % {"rules": rules},
            _("Rules that no longer apply: %(rules)s") % {"rules": gone},
            what,
            (_("Reason: %(reason)s") % {"reason": reason}) if reason else "",
        ]
    ).strip()
    return subject, body
