"""Reads of the review: queues and who holds what. Reviewers read every submitted case (cases.selectors)."""

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, F, Prefetch, Q, QuerySet

from accounts.models import User
from accounts.roles import CASE_READER_ROLES, Role
from cases.models import Case
from cases.selectors import cases_visible_to
from cases.vocab import CaseStatus
from cases.workflow import UNDECIDED
from parties.models import PotentialMatch

from .models import CaseAssignment, CaseNote, Queue, Recommendation


def queue_list() -> QuerySet[Queue]:
    return Queue.objects.all()


def queue_cases_for_user(*, user: User, queue: Queue, unclaimed_only: bool = False) -> QuerySet[Case]:
    qs = cases_visible_to(user).filter(assignment__queue=queue)
    if unclaimed_only:
        qs = qs.filter(assignment__assigned_to__isnull=True)
    return qs.select_related("organisation", "assignment__assigned_to").order_by("submitted_at", "id")


def cases_held_by(*, user: User) -> QuerySet[Case]:
    return cases_visible_to(user).filter(assignment__assigned_to=user).order_by("submitted_at", "id")


def assignment_of(case: Case) -> CaseAssignment | None:
    return CaseAssignment.objects.filter(case=case).select_related("queue", "assigned_to").first()


def decision_for_applicant(case: Case) -> dict | None:
    """What the applicant is told about a decided case: the decision, conditions, standard reasons and text."""
    if case.status not in (CaseStatus.APPROVED, CaseStatus.REFUSED):
        return None
    row = (
        Recommendation.objects.filter(case=case)
        .exclude(countersign_agreed=False)
        .prefetch_related("refusal_reasons")
        .first()
    )
    if row is None:
        return None
    return {
        "decision": case.status,
        "conditions": row.conditions,
        "refusal_reasons": [{"code": r.code, "title": r.title, "text": r.text} for r in row.refusal_reasons.all()],
        "text": row.applicant_text,
    }


def case_notes_for(*, case: Case, user: User) -> QuerySet[CaseNote]:
    """The notes on a case this user may read: the authority's staff read every note, the case's own officers
    only those written for the applicant, anyone else none. Callers have already checked the user sees the case."""
    notes = CaseNote.objects.filter(case=case).select_related("author").order_by("created_at", "id")
    if not user.is_authenticated or not user.is_active:
        return notes.none()
    if user.role_set & CASE_READER_ROLES:
        return notes
    if user.is_officer and user.organisation_id == case.organisation_id:
        return notes.filter(visibility=CaseNote.Visibility.APPLICANT)
    return notes.none()


# --- Reviewer pages ----------------------------------------------------------------------------------------------
#
# Working-day clocks live in the `timelimits` app, which an installation may not have: every read of a clock goes
# through these helpers, which join it only when the app is there and answer None where a case has none.

SHOWN_ON_HOME = 25


def clocks_installed() -> bool:
    return apps.is_installed("timelimits")


def with_clock(qs: QuerySet[Case]) -> QuerySet[Case]:
    return qs.select_related("clock") if clocks_installed() else qs


def clock_for(case: Case) -> Any:
    """The case's clock, or None: no timelimits app, or no clock row. Reads the joined row when there is one."""
    if not clocks_installed():
        return None
    try:
        return case.clock
    except ObjectDoesNotExist:
        return None


def with_urgency(cases: Iterable[Case], *, today: date) -> list[Case]:
    """The cases with `due_on` and `urgency` set from their clocks (None without one), for pages to show."""
    rows = list(cases)
    for case in rows:
        clock = clock_for(case)
        case.due_on = clock.due_on if clock else None
        case.urgency = clock.urgency(today) if clock else None
    return rows


def _open_cases(user: User) -> QuerySet[Case]:
    return cases_visible_to(user).filter(status__in=UNDECIDED)


def my_open_cases(*, user: User, today: date) -> list[Case]:
    qs = _open_cases(user).filter(assignment__assigned_to=user).select_related("organisation", "assignment__queue")
    order = ("clock__due_on", "submitted_at", "id") if clocks_installed() else ("submitted_at", "id")
    return with_urgency(with_clock(qs).order_by(*order), today=today)


def queues_with_counts(*, user: User) -> list[Queue]:
    """Every queue with how many cases wait unclaimed in it and how many are open in it; `may_claim` says
    whether this user may claim from it (a senior-only queue is for senior reviewers)."""
    waiting = Q(assignments__assigned_to__isnull=True, assignments__case__status=CaseStatus.SCREENED)
    open_ = Q(assignments__case__status__in=UNDECIDED)
    queues = list(
        Queue.objects.annotate(
            waiting=Count("assignments", filter=waiting), open_count=Count("assignments", filter=open_)
        ).order_by("name")
    )
    reviewer = user.has_role(Role.REVIEWER, Role.SENIOR_REVIEWER)
    senior = user.has_role(Role.SENIOR_REVIEWER)
    for queue in queues:
        queue.may_claim = reviewer and (senior or not queue.senior_only)
    return queues


def cases_due(*, user: User, today: date, limit: int = SHOWN_ON_HOME) -> list[Case]:
    """Open cases whose clock runs and that are due soon or overdue, the most overdue first. Empty without
    clocks: nothing can be said to be due."""
    if not clocks_installed():
        return []
    qs = (
        _open_cases(user)
        .filter(clock__due_soon_on__lte=today, clock__stopped_on__isnull=True, clock__paused_since__isnull=True)
        .select_related("organisation", "clock", "assignment__assigned_to")
        .order_by("clock__due_on", "id")
    )
    return with_urgency(qs[:limit], today=today)


def awaiting_countersignature(*, user: User, today: date, limit: int = SHOWN_ON_HOME) -> list[Case]:
    """For senior reviewers: cases referred for countersignature, each with `pending` (the recommendation, with
    its reviewer) so the page can say which ones this user may not sign."""
    if not user.has_role(Role.SENIOR_REVIEWER):
        return []
    pending = Recommendation.objects.filter(needs_countersignature=True, countersigned_by__isnull=True)
    qs = (
        cases_visible_to(user)
        .filter(status=CaseStatus.AWAITING_COUNTERSIGNATURE)
        .select_related("organisation")
        .prefetch_related(Prefetch("recommendations", queryset=pending.select_related("reviewer"), to_attr="pending"))
        .order_by("updated_at", "id")
    )
    rows = with_urgency(with_clock(qs)[:limit], today=today)
    for case in rows:
        case.pending_recommendation = case.pending[0] if case.pending else None
    return rows


def open_party_matches(*, user: User, limit: int = SHOWN_ON_HOME) -> tuple[list[PotentialMatch], int]:
    """Restricted-party hits still to dispose of on open cases, strongest first, and how many there are."""
    if not user.has_role(Role.REVIEWER, Role.SENIOR_REVIEWER, Role.AUDITOR):
        return [], 0
    qs = PotentialMatch.objects.filter(status=PotentialMatch.Status.OPEN, case__in=_open_cases(user))
    rows = list(qs.select_related("case", "restricted_list").order_by("-score", "id")[:limit])
    return rows, qs.count()


def open_stricter_findings(*, user: User) -> int | None:
    """How many re-check findings that make an issued permit's outcome stricter wait for triage; None where the
    rechecks app is not installed or this user may not read its findings (the home page then shows no panel)."""
    if not apps.is_installed("rechecks"):
        return None
    from rechecks.models import Finding
    from rechecks.selectors import finding_list_for_user, may_read

    if not may_read(user):
        return None
    return finding_list_for_user(user=user, direction=Finding.Direction.STRICTER, status=Finding.Status.OPEN).count()


QUEUE_SORTS = {
    "due": ("clock__due_on", "submitted_at", "id"),
    "-due": ("-clock__due_on", "-submitted_at", "-id"),
    "submitted": ("submitted_at", "id"),
    "-submitted": ("-submitted_at", "-id"),
}


def queue_page_cases(*, user: User, queue: Queue, sort: str = "due", unassigned_only: bool = False) -> QuerySet[Case]:
    """Open cases in a queue, claimed or not, in the order asked for; by due date only where clocks exist."""
    qs = _open_cases(user).filter(assignment__queue=queue)
    if unassigned_only:
        qs = qs.filter(assignment__assigned_to__isnull=True)
    if sort not in QUEUE_SORTS or (sort.endswith("due") and not clocks_installed()):
        sort = "due" if clocks_installed() else "submitted"
    order = QUEUE_SORTS[sort]
    if clocks_installed() and sort.endswith("due"):
        # Cases without a clock go last either way.
        first = F("clock__due_on").asc(nulls_last=True) if sort == "due" else F("clock__due_on").desc(nulls_last=True)
        order = (first, *order[1:])
    return with_clock(qs.select_related("organisation", "assignment__assigned_to")).order_by(*order)
