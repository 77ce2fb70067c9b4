"""Writes of the review: routing screened cases to queues, and claiming, releasing and reassigning them.

Status changes go through cases.workflow.case_transition, which checks who may take them; the checks here are
the ones the table cannot know: which queue a reviewer may claim from and who holds a case."""

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import F, FilteredRelation, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from audit.services import audit_record
from cases.models import Case
from cases.vocab import CaseStatus
from cases.workflow import CaseChanged, Transition, TransitionNotAllowed, case_transition
from config.compiled_reads import CompiledRead, instance_from, model_columns
from screening.engine.ladder import RANK
from screening.selectors import latest_screening

from .models import CaseAssignment, CaseNote, Queue, Recommendation, RefusalReason, RoutingRule
from .notify import notify_assigned


class AlreadyClaimed(Exception):
    """Another reviewer holds the case; nothing was written."""


def _is_reviewer(user: Any) -> bool:
    return user is not None and user.has_role(Role.REVIEWER, Role.SENIOR_REVIEWER)


def _is_senior(user: Any) -> bool:
    return user is not None and user.has_role(Role.SENIOR_REVIEWER)


def rule_matches(rule: RoutingRule, *, case: Case, outcome: str) -> bool:
    rank = RANK.get(outcome)
    if rule.min_outcome and (rank is None or rank < RANK[rule.min_outcome]):
        return False
    if rule.max_outcome and (rank is None or rank > RANK[rule.max_outcome]):
        return False
    if rule.destination_country and rule.destination_country != case.destination_country:
        return False
    return not (rule.licence_type and rule.licence_type != case.licence_type)


# Every screened case is routed. The active rules, each with its queue, and the default queue come in one read,
# compiled once (config/compiled_reads.py) instead of two the ORM built for each case: a row per active rule, in
# the rules' order, then the default queue with no rule when no active rule sends cases to it. Only the SQL is
# kept, so a rule or queue an admin changed a moment ago is read as it is now.
_ROUTING_READ = CompiledRead(
    lambda: (
        Queue.objects.annotate(active_rule=FilteredRelation("rules", condition=Q(rules__active=True)))
        .filter(Q(active_rule__isnull=False) | Q(is_default=True))
        .order_by(F("active_rule__priority").asc(nulls_last=True), F("active_rule__id").asc(nulls_last=True))
        .values_list(*model_columns(RoutingRule, "active_rule__"), *model_columns(Queue))
    )
)


def route_queue(*, case: Case, outcome: str) -> tuple[Queue | None, RoutingRule | None]:
    """The queue the routing rules send a case with this outcome to, and the rule that sent it."""
    width = len(RoutingRule._meta.concrete_fields)
    default = None
    for row in _ROUTING_READ.rows():
        queue = instance_from(Queue, row, width)
        if queue.is_default and default is None:
            default = queue
        rule = instance_from(RoutingRule, row)
        if rule is not None and rule_matches(rule, case=case, outcome=outcome):
            RoutingRule._meta.get_field("queue").set_cached_value(rule, queue)
            return queue, rule
    return default, None


_UPSERT_UPDATES = ("queue", "rule", "outcome")
_upsert_sql: dict[str, str] = {}


def _upsert_assignment(assignment: CaseAssignment) -> None:
    """`CaseAssignment.objects.bulk_create([assignment], update_conflicts=True, unique_fields=["case"],
    update_fields=["queue", "rule", "outcome"])`: the same statement and values, its SQL written once instead of
    built by the ORM for every routed case. Nothing listens for an assignment's save."""
    opts = CaseAssignment._meta
    fields = [f for f in opts.concrete_fields if not f.primary_key]
    sql = _upsert_sql.get(connection.alias)
    if sql is None:
        qn = connection.ops.quote_name
        table = qn(opts.db_table)
        updates = [qn(opts.get_field(name).column) for name in _UPSERT_UPDATES]
        sql = _upsert_sql[connection.alias] = (
            f"INSERT INTO {table} ({', '.join(qn(f.column) for f in fields)}) "
            f"VALUES ({', '.join(['%s'] * len(fields))}) "
            f"ON CONFLICT({qn(opts.get_field('case').column)}) "
            f"DO UPDATE SET {', '.join(f'{c} = EXCLUDED.{c}' for c in updates)} "
            f"RETURNING {table}.{qn(opts.pk.column)}"
        )
    values = [f.get_db_prep_save(f.pre_save(assignment, True), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        assignment.pk = cursor.fetchone()[0]
    assignment._state.adding = False
    assignment._state.db = connection.alias


def case_route(*, case: Case) -> None:
    """Put a screened case in the queue its latest screening outcome and facts route it to. A case routed before
    keeps its row: the queue follows the latest outcome, and whoever holds the case keeps it."""
    screening = latest_screening(case=case)
    outcome = screening.outcome if screening else ""
    queue, rule = route_queue(case=case, outcome=outcome)
    # One INSERT … ON CONFLICT (case) DO UPDATE: a new case gets its row, a case routed before moves queue but
    # keeps whoever holds it (assigned_to is not among the updated fields).
    _upsert_assignment(CaseAssignment(case=case, queue=queue, rule=rule, outcome=outcome))
    audit_record(
        actor=None,
        verb="case.routed",
        target=case,
        case=case,
        organisation=case.organisation,
        after={"queue": str(queue) if queue else None, "outcome": outcome, "rule": rule.pk if rule else None},
    )


def route_after_screening(case: Case, transition: Transition, actor: Any) -> None:
    if transition.action == "screen":
        case_route(case=case)


def _assignment_for(case: Case) -> CaseAssignment:
    try:
        return CaseAssignment.objects.select_related("queue").get(case=case)
    except CaseAssignment.DoesNotExist:
        pass
    # Screened before routing existed: route now (an upsert, so a concurrent routing cannot collide with it).
    case_route(case=case)
    return CaseAssignment.objects.select_related("queue").get(case=case)


def _check_may_hold(*, user: Any, assignment: CaseAssignment) -> None:
    if not _is_reviewer(user):
        raise PermissionDenied(_("Only reviewers may work on cases."))
    if assignment.queue and assignment.queue.senior_only and not _is_senior(user):
        raise PermissionDenied(
            _("Cases in the %(queue)s queue are for senior reviewers.") % {"queue": assignment.queue}
        )


@transaction.atomic
def case_claim(*, case: Case, actor: User) -> Case:
    """Take a screened case from its queue: it moves to in_review, held by `actor`. Of two reviewers claiming the
    same case at once exactly one wins; the other gets AlreadyClaimed and nothing changes."""
    if case.status != CaseStatus.SCREENED:
        raise TransitionNotAllowed(
            _("%(reference)s is %(status)s: only a screened case can be claimed.")
            % {"reference": case.reference, "status": case.get_status_display().lower()}
        )
    assignment = _assignment_for(case)
    _check_may_hold(user=actor, assignment=assignment)
    # The conditional UPDATE is the claim: on PostgreSQL the second claimant waits on the row lock, then finds
    # the row taken and updates nothing.
    won = CaseAssignment.objects.filter(pk=assignment.pk, assigned_to__isnull=True).update(
        assigned_to=actor, assigned_at=timezone.now()
    )
    if won != 1:
        raise AlreadyClaimed(
            _("%(reference)s has already been claimed by another reviewer.") % {"reference": case.reference}
        )
    return case_transition(
        case=case, action="claim", actor=actor, message=f"Claimed from {assignment.queue or 'no queue'}."
    )


@transaction.atomic
def case_release(*, case: Case, actor: User, reason: str = "") -> Case:
    """Put a case back in its queue. The reviewer holding it may, and so may a senior reviewer."""
    assignment = _assignment_for(case)
    if assignment.assigned_to_id != actor.pk and not _is_senior(actor):
        raise PermissionDenied(_("Only the reviewer holding the case, or a senior reviewer, may release it."))
    released = CaseAssignment.objects.filter(pk=assignment.pk, assigned_to_id=assignment.assigned_to_id).update(
        assigned_to=None, assigned_at=None
    )
    if released != 1:
        raise CaseChanged(_("The case was changed by someone else. Reload it and try again."))
    return case_transition(case=case, action="release", actor=actor, message=reason)


REASSIGNABLE = frozenset(
    {CaseStatus.SCREENED, CaseStatus.IN_REVIEW, CaseStatus.INFORMATION_REQUESTED, CaseStatus.AWAITING_COUNTERSIGNATURE}
)


@transaction.atomic
def case_reassign(*, case: Case, actor: User, assignee: User, reason: str = "") -> Case:
    """A senior reviewer gives a case to another reviewer. A screened case is claimed for the assignee."""
    if not _is_senior(actor):
        raise PermissionDenied(_("Only senior reviewers may reassign cases."))
    if case.status not in REASSIGNABLE:
        raise TransitionNotAllowed(
            _("%(reference)s is %(status)s: there is no review to reassign.")
            % {"reference": case.reference, "status": case.get_status_display().lower()}
        )
    assignment = _assignment_for(case)
    _check_may_hold(user=assignee, assignment=assignment)
    previous = assignment.assigned_to
    if previous is not None and previous.pk == assignee.pk:
        raise TransitionNotAllowed(
            _("%(reference)s is already with %(assignee)s.") % {"reference": case.reference, "assignee": assignee}
        )
    moved = CaseAssignment.objects.filter(pk=assignment.pk, assigned_to=previous).update(
        assigned_to=assignee, assigned_at=timezone.now()
    )
    if moved != 1:
        raise CaseChanged(_("The case was changed by someone else. Reload it and try again."))
    if case.status == CaseStatus.SCREENED:
        case = case_transition(case=case, action="claim", actor=actor, message=f"Assigned to {assignee}.")
    else:
        # No status change, but the case has changed hands: whoever acts on the version read before loses.
        if Case.objects.filter(pk=case.pk, version=case.version).update(version=F("version") + 1) != 1:
            raise CaseChanged(_("The case was changed by someone else. Reload it and try again."))
        case.refresh_from_db()
    audit_record(
        actor=actor,
        verb="case.reassigned",
        target=case,
        case=case,
        organisation=case.organisation,
        before={"assigned_to": previous.username if previous else None},
        after={"assigned_to": assignee.username},
        message=reason,
    )
    if assignee.pk != actor.pk:
        # A senior taking a case themselves needs no e-mail about it.
        notify_assigned(case=case, assignee=assignee, by=actor)
    return case


# --- Recommendation, countersignature, decision -----------------------------------------------------------------

FOUR_EYES_FROM = "case_by_case"


def expected_decision(outcome: str) -> str | None:
    """What a screening outcome points to: approval below case-by-case, refusal above it, nothing at it."""
    rank = RANK.get(outcome)
    if rank is None or rank == RANK[FOUR_EYES_FROM]:
        return None
    return "approve" if rank < RANK[FOUR_EYES_FROM] else "refuse"


def needs_countersignature(*, outcome: str, decision: str) -> bool:
    """Four eyes where the outcome is case-by-case or worse (or unknown), or the reviewer departs from it."""
    if RANK.get(outcome) is None or RANK[outcome] >= RANK[FOUR_EYES_FROM]:
        return True
    direction = "refuse" if decision == Recommendation.Decision.REFUSE else "approve"
    return direction != expected_decision(outcome)


def _clean_recommendation(
    *, decision: str, reasons: str, conditions: str, refusal_reasons: list[RefusalReason], applicant_text: str
) -> None:
    errors: dict[str, list[str]] = {}
    if decision not in Recommendation.Decision.values:
        errors["recommendation"] = [f"Choose one of: {', '.join(Recommendation.Decision.values)}."]
    if not reasons.strip():
        errors["reasons"] = [_("Give the reasons for the recommendation.")]
    if decision == Recommendation.Decision.APPROVE_WITH_CONDITIONS and not conditions.strip():
        errors["conditions"] = [_("An approval with conditions needs its conditions.")]
    if decision == Recommendation.Decision.REFUSE:
        if not refusal_reasons:
            errors["refusal_reasons"] = [_("A refusal needs at least one reason from the standard list.")]
        elif any(not r.active for r in refusal_reasons):
            errors["refusal_reasons"] = [_("That refusal reason is no longer in use.")]
        if not applicant_text.strip():
            errors["applicant_text"] = [_("Explain the refusal to the applicant.")]
    elif refusal_reasons:
        errors["refusal_reasons"] = [_("Refusal reasons belong to a refusal.")]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def case_recommend(
    *,
    case: Case,
    actor: User,
    recommendation: str,
    reasons: str,
    conditions: str = "",
    refusal_reasons: list[RefusalReason] | tuple = (),
    applicant_text: str = "",
) -> Recommendation:
    """The reviewer holding a case records a recommendation. Where four eyes are needed the case goes to
    awaiting_countersignature; otherwise the recommendation is the decision. The row returned holds the case."""
    if not _is_reviewer(actor):
        raise PermissionDenied(_("Only reviewers may recommend a decision."))
    if case.status != CaseStatus.IN_REVIEW:
        raise TransitionNotAllowed(
            _("%(reference)s is %(status)s: a recommendation needs a case in review.")
            % {"reference": case.reference, "status": case.get_status_display().lower()}
        )
    assignment = _assignment_for(case)
    if assignment.assigned_to_id != actor.pk:
        raise PermissionDenied(_("Only the reviewer holding the case may recommend a decision on it."))
    refusal_reasons = list(refusal_reasons)
    _clean_recommendation(
        decision=recommendation,
        reasons=reasons,
        conditions=conditions,
        refusal_reasons=refusal_reasons,
        applicant_text=applicant_text,
    )
    screening = latest_screening(case=case)
    outcome = screening.outcome if screening else ""
    four_eyes = needs_countersignature(outcome=outcome, decision=recommendation)
    row = Recommendation.objects.create(
        case=case,
        reviewer=actor,
        decision=recommendation,
        reasons=reasons,
        conditions=conditions,
        applicant_text=applicant_text,
        screening_outcome=outcome,
        needs_countersignature=four_eyes,
    )
    row.refusal_reasons.set(refusal_reasons)
    audit_record(
        actor=actor,
        verb="case.recommended",
        target=case,
        case=case,
        organisation=case.organisation,
        after={
            "recommendation": recommendation,
            "screening_outcome": outcome,
            "needs_countersignature": four_eyes,
            "refusal_reasons": [r.code for r in refusal_reasons],
            "conditions": conditions,
            "applicant_text": applicant_text,
        },
        message=reasons,
    )
    if four_eyes:
        action = "refer_for_countersignature"
    else:
        action = "refuse" if recommendation == Recommendation.Decision.REFUSE else "approve"
    row.case = case_transition(case=case, action=action, actor=actor, message=reasons)
    return row


# --- What a decision rests on ------------------------------------------------------------------------------------

_APPROVALS = (Recommendation.Decision.APPROVE, Recommendation.Decision.APPROVE_WITH_CONDITIONS)
_REFUSALS = (Recommendation.Decision.REFUSE,)


def _rests_on(rec: Recommendation | None, actor: Any, action: str) -> bool:
    """Whether the case's latest recommendation is the one `action` by `actor` must rest on: what
    `case_recommend` and `case_countersign` write just before they take the action."""
    if rec is None or actor is None:
        return False
    if action in ("approve", "refuse"):
        decisions = _APPROVALS if action == "approve" else _REFUSALS
        return rec.reviewer_id == actor.pk and rec.decision in decisions and not rec.needs_countersignature
    if action == "refer_for_countersignature":
        return rec.reviewer_id == actor.pk and rec.needs_countersignature and rec.countersigned_by_id is None
    # A countersignature, agreeing or not: by someone other than the author (four eyes), recorded on the row.
    signed = rec.needs_countersignature and rec.countersigned_by_id == actor.pk and rec.reviewer_id != actor.pk
    if action == "return_to_review":
        return signed and rec.countersign_agreed is False
    decisions = _APPROVALS if action == "countersign_approve" else _REFUSALS
    return signed and rec.countersign_agreed is True and rec.decision in decisions


def decision_guard(action: str):
    """The `cases.workflow.guard_transition` guard of a decision action: refused unless the recommendation (and,
    where four eyes apply, the countersignature by another senior reviewer) it rests on has just been recorded,
    so no caller can decide a case around `case_recommend` and `case_countersign`."""

    def guard(case: Case, actor: Any) -> str | None:
        latest = Recommendation.objects.filter(case=case).order_by("-id").first()
        if _rests_on(latest, actor, action):
            return None
        return _("A decision is taken through a recommendation and, where four eyes apply, a countersignature.")

    return guard


DECISION_ACTIONS = (
    "approve",
    "refuse",
    "refer_for_countersignature",
    "countersign_approve",
    "countersign_refuse",
    "return_to_review",
)


def pending_recommendation(case: Case) -> Recommendation | None:
    return (
        Recommendation.objects.filter(case=case, needs_countersignature=True, countersigned_by__isnull=True)
        .select_related("reviewer")
        .first()
    )


@transaction.atomic
def case_countersign(*, case: Case, actor: User, agree: bool, note: str = "") -> Recommendation:
    """A senior reviewer other than the one who recommended agrees (the decision takes effect) or disagrees
    (the case goes back to review, with the note saying why)."""
    if not _is_senior(actor):
        raise PermissionDenied(_("Only a senior reviewer may countersign."))
    if case.status != CaseStatus.AWAITING_COUNTERSIGNATURE:
        raise TransitionNotAllowed(
            _("%(reference)s is %(status)s: there is nothing to countersign.")
            % {"reference": case.reference, "status": case.get_status_display().lower()}
        )
    row = pending_recommendation(case)
    if row is None:
        raise TransitionNotAllowed(
            _("%(reference)s has no recommendation awaiting countersignature.") % {"reference": case.reference}
        )
    if row.reviewer_id == actor.pk:
        raise PermissionDenied(_("Four eyes: a recommendation must be countersigned by someone other than its author."))
    if not agree and not note.strip():
        raise ValidationError({"note": [_("Say why you do not agree, so the reviewer can act on it.")]})
    now = timezone.now()
    signed = Recommendation.objects.filter(pk=row.pk, countersigned_by__isnull=True).update(
        countersigned_by=actor, countersigned_at=now, countersign_agreed=agree, countersign_note=note
    )
    if signed != 1:
        raise CaseChanged(_("Someone else countersigned this case a moment ago. Reload it."))
    row.refresh_from_db()
    audit_record(
        actor=actor,
        verb="case.countersigned",
        target=case,
        case=case,
        organisation=case.organisation,
        after={"agreed": agree, "recommendation": row.decision, "recommended_by": row.reviewer.username},
        message=note,
    )
    if not agree:
        action = "return_to_review"
    elif row.decision == Recommendation.Decision.REFUSE:
        action = "countersign_refuse"
    else:
        action = "countersign_approve"
    row.case = case_transition(case=case, action=action, actor=actor, message=note)
    return row


# --- Notes -------------------------------------------------------------------------------------------------------

NOTE_MAX_CHARS = 10000


def may_write_note(*, user: Any, case: Case, visibility: str) -> bool:
    """Reviewers write either kind; officers of the case's organisation only notes the authority and they share,
    since an officer writing an 'internal' note would be writing one they themselves could never read again."""
    if _is_reviewer(user):
        return True
    return (
        visibility == CaseNote.Visibility.APPLICANT and user.is_officer and user.organisation_id == case.organisation_id
    )


@transaction.atomic
def case_note_add(*, case: Case, actor: User, text: str, visibility: str) -> CaseNote:
    if visibility not in CaseNote.Visibility.values:
        raise ValidationError({"visibility": [f"Choose one of: {', '.join(CaseNote.Visibility.values)}."]})
    if not may_write_note(user=actor, case=case, visibility=visibility):
        if actor.is_officer and actor.organisation_id == case.organisation_id:
            raise PermissionDenied(_("Officers write notes the authority and the applicant both read."))
        raise PermissionDenied(_("Only reviewers and the case's own officers may write notes on it."))
    text = text.strip()
    errors: dict[str, list[str]] = {}
    if not text:
        errors["text"] = [_("Write the note.")]
    elif len(text) > NOTE_MAX_CHARS:
        errors["text"] = [_("A note has at most %(limit)s characters.") % {"limit": NOTE_MAX_CHARS}]
    if case.status == CaseStatus.DRAFT:
        # Nobody at the authority can read a draft: a note on it would talk to no one.
        errors.setdefault("text", []).append("Notes can be written once the case is submitted.")
    if errors:
        raise ValidationError(errors)
    note = CaseNote.objects.create(case=case, author=actor, text=text, visibility=visibility)
    # The text goes into the event's data, not its message: the case page's timeline shows messages to
    # everyone who reads the case, and an internal note must not reach the applicant that way.
    audit_record(
        actor=actor,
        verb="case.note_added",
        target=note,
        case=case,
        organisation=case.organisation,
        after={"visibility": visibility, "text": text},
    )
    return note


@transaction.atomic
def case_close(*, case: Case, actor: User, reason: str) -> Case:
    """A senior reviewer closes an undecided case (e.g. an information request left unanswered), saying why."""
    if not _is_senior(actor):
        raise PermissionDenied(_("Only senior reviewers may close cases."))
    if not reason.strip():
        raise ValidationError({"reason": [_("Say why the case is closed: the applicant and the record need it.")]})
    return case_transition(case=case, action="close", actor=actor, message=reason.strip())


# --- Routing rules -----------------------------------------------------------------------------------------------

ROUTING_RULE_FIELDS = (
    "queue",
    "priority",
    "min_outcome",
    "max_outcome",
    "destination_country",
    "licence_type",
    "description",
    "active",
)


def may_edit_routing(user: Any) -> bool:
    # Routing decides who reviews which case: it belongs to the senior reviewers who run the queues, not to
    # whoever has the technical staff flag.
    return _is_senior(user)


def _rule_snapshot(rule: RoutingRule) -> dict[str, Any]:
    return {
        "queue": rule.queue.slug if rule.queue_id else None,
        "priority": rule.priority,
        "min_outcome": rule.min_outcome,
        "max_outcome": rule.max_outcome,
        "destination_country": str(rule.destination_country or ""),
        "licence_type": rule.licence_type,
        "description": rule.description,
        "active": rule.active,
    }


def _clean_rule(rule: RoutingRule) -> None:
    rule.full_clean()
    if rule.min_outcome and rule.max_outcome and RANK[rule.min_outcome] > RANK[rule.max_outcome]:
        raise ValidationError({"max_outcome": [_("The highest outcome must not be below the lowest.")]})


@transaction.atomic
def routing_rule_save(*, actor: User, data: dict[str, Any], rule: RoutingRule | None = None) -> RoutingRule:
    """Create a routing rule, or change one. Cases already routed stay where they are; new screenings use it."""
    if not may_edit_routing(actor):
        raise PermissionDenied(_("Only senior reviewers may change routing rules."))
    creating = rule is None
    if creating:
        rule = RoutingRule()
        before = None
    else:
        rule = RoutingRule.objects.select_for_update().get(pk=rule.pk)
        before = _rule_snapshot(rule)
    for field in ROUTING_RULE_FIELDS:
        if field in data:
            setattr(rule, field, data[field])
    _clean_rule(rule)
    rule.save()
    audit_record(
        actor=actor,
        verb="routing_rule.created" if creating else "routing_rule.changed",
        target=rule,
        before=before,
        after=_rule_snapshot(rule),
    )
    return rule


@transaction.atomic
def routing_rule_set_active(*, actor: User, rule: RoutingRule, active: bool) -> RoutingRule:
    if not may_edit_routing(actor):
        raise PermissionDenied(_("Only senior reviewers may change routing rules."))
    rule = RoutingRule.objects.select_for_update().get(pk=rule.pk)
    if rule.active == active:
        return rule
    before = _rule_snapshot(rule)
    rule.active = active
    rule.save(update_fields=["active"])
    audit_record(
        actor=actor,
        verb="routing_rule.activated" if active else "routing_rule.deactivated",
        target=rule,
        before=before,
        after=_rule_snapshot(rule),
    )
    return rule
