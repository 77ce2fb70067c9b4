"""Reads of the review: queues and who holds what. Reviewers read every submitted case (cases.selectors)."""

from django.db.models import QuerySet

from accounts.models import User
from cases.models import Case
from cases.selectors import cases_visible_to

from .models import CaseAssignment, Queue


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
