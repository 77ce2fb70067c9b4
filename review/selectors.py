"""Reads of the review: queues and who holds what. Reviewers read every submitted case (cases.selectors)."""

from django.db.models import QuerySet

from accounts.models import User
from accounts.roles import CASE_READER_ROLES
from cases.models import Case
from cases.selectors import cases_visible_to
from cases.vocab import CaseStatus

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
